"""
The moderation policy: what happens to a comment before anyone sees it.

Called by the posting service and again on every edit by its author, so an
edit meets the same rules as a new comment. Every decision carries its reason,
which moderators see in the queue.

Words are matched against what readers would see and where its links go,
folded (see `comments.sanitize.matched_text`), so entities, percent-escapes,
empty tags, invisible characters and look-alike letters do not hide a
blocklisted word.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from comments.models import Comment, CommenterRule, ModerationRules
from comments.sanitize import fold, matched_text_and_links


@dataclass(frozen=True)
class Decision:
    status: str
    reason: str


def _first_match(words, text):
    return next((word for word in words if word in text), None)


def _is_known_commenter(comment):
    """
    Trust needs proof of identity now and a history under it. Proof is this
    comment being confirmed (signed in, or a browser that followed the emailed
    link); typing an address proves nothing. History is any approved comment
    with the same email and name (as WordPress matches both), confirmed or not:
    a moderator approved it under that identity, and regulars from before
    confirmation existed, or imported from WordPress, have only such comments.
    """
    return (
        comment.email_verified
        and Comment.objects.approved()
        .filter(
            author_email__iexact=comment.author_email,
            author_name__iexact=comment.author_name,
        )
        .exclude(pk=comment.pk)
        .exists()
    )


def decide(comment) -> Decision:
    if comment.is_staff:
        return Decision(Comment.Status.APPROVED, _("Posted by staff"))
    email = comment.author_email.lower()
    commenter = CommenterRule.objects.filter(email=email).first()
    if commenter and commenter.action == CommenterRule.Action.BAN:
        return Decision(Comment.Status.SPAM, _("Banned commenter"))

    rules = ModerationRules.current()
    text, links = matched_text_and_links(comment.body)
    everything = " ".join(
        [
            text,
            fold(" ".join([comment.author_name, email, comment.author_url])),
            comment.ip_address or "",
        ]
    )
    if word := _first_match(rules.blocklist(), everything):
        return Decision(Comment.Status.SPAM, _("Contains the blocklisted “%s”") % word)
    if comment.article.comments_premoderated:
        return Decision(Comment.Status.PENDING, _("Every comment on this article is held"))
    if commenter and commenter.action == CommenterRule.Action.HOLD:
        return Decision(Comment.Status.PENDING, _("This commenter is always held"))
    if word := _first_match(rules.watchlist(), everything):
        return Decision(Comment.Status.PENDING, _("Contains the watched “%s”") % word)
    if rules.max_links and links >= rules.max_links:
        return Decision(Comment.Status.PENDING, _("Contains %d links") % links)
    if rules.require_previous_approval and not _is_known_commenter(comment):
        if not comment.email_verified:
            return Decision(Comment.Status.PENDING, _("Email address not confirmed"))
        return Decision(Comment.Status.PENDING, _("First comment from this email address"))
    return Decision(Comment.Status.APPROVED, _("Passed the moderation rules"))
