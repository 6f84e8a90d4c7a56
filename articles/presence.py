"""
Who has an article open in the admin, so a second editor knows before typing.

Kept in the shared cache for a few minutes from each opening; it informs and
never locks: the version check on saving is what prevents overwrites.
"""

from django.core.cache import cache
from django.utils import timezone

PRESENCE_SECONDS = 15 * 60


def editing_now(article_id, user):
    """Note that `user` opened the article; return (name, since) of the others who did lately."""
    key = f"articles:editing:{article_id}"
    now = timezone.now()
    recent = {
        user_id: (name, since)
        for user_id, (name, since) in (cache.get(key) or {}).items()
        if (now - since).total_seconds() < PRESENCE_SECONDS and user_id != user.pk
    }
    cache.set(
        key, {**recent, user.pk: (user.get_full_name() or user.get_username(), now)},
        PRESENCE_SECONDS,
    )  # fmt: skip
    return list(recent.values())
