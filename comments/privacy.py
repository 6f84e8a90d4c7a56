"""
What the comments app holds about one person, by email, for their export and
erasure (newsroom.privacy joins it with the other apps), and the routine
erasure of commenters' network details once they are no longer needed.

An address matches case-insensitively and otherwise exactly: `comments.emails.mailbox`
merges `+tags` and Gmail dots only to count receipts, where merging too much is
the safe side; here it would hand one person's words to the holder of another address.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from comments.models import Comment, CommenterRule, Report
from comments.sanitize import render_comment
from comments.templatetags.comments import forget_rendered_discussions


def _iso(moment):
    return moment.isoformat() if moment else None


def comments_by(email):
    return Comment.objects.filter(author_email__iexact=email.strip())


def comment_export(*, email) -> list[dict]:
    """Every comment written under `email`, whatever its status, oldest first."""
    comments = comments_by(email).select_related("article").order_by("created_at", "pk")
    return [
        {
            "id": comment.pk,
            "article": {
                "title": comment.article.title,
                "url": comment.article.get_absolute_url(),
            },
            "in_reply_to": comment.parent_id,
            "name": comment.author_name,
            "email": comment.author_email,
            "website": comment.author_url,
            "text": comment.body,
            "status": comment.status,
            "email_confirmed": comment.email_verified,
            "email_me_replies": comment.notify_replies,
            "posted_at": _iso(comment.created_at),
            "changed_at": _iso(comment.updated_at),
            "moderated_at": _iso(comment.moderated_at),
            "ip_address": comment.ip_address,
            "browser": comment.user_agent,
        }
        for comment in comments
    ]


def commenter_rule_export(*, email) -> list[dict]:
    rules = CommenterRule.objects.filter(email__iexact=email.strip())
    return [
        {"action": rule.action, "note": rule.note, "created_at": _iso(rule.created_at)}
        for rule in rules
    ]


def report_export(*, email) -> list[dict]:
    """
    Reports count an account or a network, never an email: only those made
    from an account with this email are theirs.
    """
    accounts = get_user_model().objects.filter(email__iexact=email.strip()).values_list("pk")
    reporters = [f"user:{pk}" for (pk,) in accounts]
    reports = Report.objects.filter(reporter__in=reporters).order_by("created_at", "pk")
    return [
        {"comment": report.comment_id, "reported_at": _iso(report.created_at)} for report in reports
    ]


def comment_anonymize(*, email) -> list[int]:
    """
    Strip the person from their comments in one UPDATE, keeping the rows: the
    replies of others stay in their thread, under a placeholder with no name,
    address or words of theirs. Rows already anonymized no longer match the
    email, so a second run changes nothing. `updated_at` moves, since the
    article page caches each thread under its comments' last change; and
    once committed, those articles' cached threads are deleted, which held
    the person's name and words until they expired.
    Returns the ids changed, for the audit log's own references to them.
    """
    rows = list(comments_by(email).values_list("pk", "article_id"))
    ids = [pk for pk, _ in rows]
    articles = {article_id for _, article_id in rows}
    placeholder = gettext("[removed at the author's request]")
    Comment.objects.filter(pk__in=ids).update(
        author_name=gettext("Deleted reader"),
        author_email="",
        author_url="",
        user=None,
        email_verified=False,
        notify_replies=False,
        body=placeholder,
        body_html=render_comment(placeholder),
        version=F("version") + 1,
        ip_address=None,
        user_agent="",
        updated_at=timezone.now(),
    )
    if articles:
        transaction.on_commit(lambda: forget_rendered_discussions(articles))
    return ids


def comment_addresses_erase(*, posted_before) -> int:
    """
    Forget the IP address and browser of every comment posted before `posted_before`,
    in one UPDATE that matches only rows still holding one: a second run, or
    two at once, change nothing more. `updated_at` stays, as nothing shown changes.
    """
    return (
        Comment.objects.filter(created_at__lt=posted_before)
        .filter(Q(ip_address__isnull=False) | ~Q(user_agent=""))
        .update(ip_address=None, user_agent="")
    )
