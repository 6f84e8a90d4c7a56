from django.conf import settings
from django.utils.module_loading import import_string


def badges_for(emails):
    """
    {email: [badge, …]} from each provider named in COMMENTS_BADGE_PROVIDERS,
    so other apps can honour commenters without this app importing them.
    """
    badges = {}
    for path in settings.COMMENTS_BADGE_PROVIDERS:
        for email, labels in import_string(path)(emails).items():
            badges.setdefault(email, []).extend(labels)
    return badges
