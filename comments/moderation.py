"""
The moderation policy: what happens to a new comment before anyone sees it.

Called by `comment_post` and nowhere else. Every decision carries its reason,
which moderators see in the queue.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from comments.models import Comment, CommenterRule, ModerationRules
from comments.sanitize import render_comment


@dataclass(frozen=True)
class Decision:
    status: str
    reason: str


def _first_match(words, text):
    return next((word for word in words if word in text), None)


def decide(comment) -> Decision:
    if comment.is_staff:
        return Decision(Comment.Status.APPROVED, _("Posted by staff"))
    email = comment.author_email.lower()
    commenter = CommenterRule.objects.filter(email=email).first()
    if commenter and commenter.action == CommenterRule.Action.BAN:
        return Decision(Comment.Status.SPAM, _("Banned commenter"))

    rules = ModerationRules.current()
    everything = " ".join(
        [comment.body, comment.author_name, email, comment.author_url, comment.ip_address or ""]
    ).lower()
    if word := _first_match(rules.blocklist(), everything):
        return Decision(Comment.Status.SPAM, _("Contains the blocklisted “%s”") % word)
    if comment.article.comments_premoderated:
        return Decision(Comment.Status.PENDING, _("Every comment on this article is held"))
    if commenter and commenter.action == CommenterRule.Action.HOLD:
        return Decision(Comment.Status.PENDING, _("This commenter is always held"))
    if word := _first_match(rules.watchlist(), everything):
        return Decision(Comment.Status.PENDING, _("Contains the watched “%s”") % word)
    links = render_comment(comment.body).count("<a ")
    if rules.max_links and links >= rules.max_links:
        return Decision(Comment.Status.PENDING, _("Contains %d links") % links)
    if rules.require_previous_approval and not (
        Comment.objects.approved().filter(author_email__iexact=email).exists()
    ):
        return Decision(Comment.Status.PENDING, _("First comment from this email address"))
    return Decision(Comment.Status.APPROVED, _("Passed the moderation rules"))
