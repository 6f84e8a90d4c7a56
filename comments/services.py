from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.models import Article
from comments import tasks
from comments.models import Comment, Report
from comments.moderation import decide
from newsroom import audit


class CommentRejected(Exception):
    """A comment refused before it was stored, with the reason the reader is shown."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def comments_are_open(article, *, now=None):
    """Open unless the article says closed or its discussion has aged past the setting."""
    if not article.comments_open:
        return False
    days = settings.COMMENTS_CLOSE_AFTER_DAYS
    if days and article.publish_at:
        return (now or timezone.now()) < article.publish_at + timedelta(days=days)
    return True


def _check_rate(ip_address):
    """At most COMMENTS_RATE_PER_MINUTE posts a minute per address, counted in the shared cache."""
    if not ip_address:
        return
    key = f"comments:rate:{ip_address}:{int(timezone.now().timestamp() // 60)}"
    cache.add(key, 0, timeout=90)
    if cache.incr(key) > settings.COMMENTS_RATE_PER_MINUTE:
        raise CommentRejected(
            _("You have posted several comments in the last minute. Please wait a moment.")
        )


def _check_flood_and_duplicates(*, article, email, ip_address, body):
    recent = timezone.now() - timedelta(seconds=settings.COMMENTS_FLOOD_SECONDS)
    same_sender = Q(author_email__iexact=email)
    if ip_address:
        same_sender |= Q(ip_address=ip_address)
    flood_checked = settings.COMMENTS_FLOOD_SECONDS > 0
    if flood_checked and Comment.objects.filter(same_sender, created_at__gte=recent).exists():
        raise CommentRejected(_("You are posting comments too quickly. Slow down."))
    if Comment.objects.filter(
        article=article, author_email__iexact=email, body__iexact=body.strip()
    ).exists():
        raise CommentRejected(_("Duplicate comment: it looks as though you’ve already said that!"))


def comment_recount(*, article_ids):
    """Store each article's approved-comment count, which lists and headers show."""
    for article_id in set(article_ids):
        count = Comment.objects.approved().filter(article_id=article_id).count()
        Article.objects.filter(pk=article_id).update(comment_count=count)


def comment_post(
    *,
    article,
    body,
    author_name,
    author_email,
    author_url="",
    parent=None,
    user=None,
    ip_address=None,
    user_agent="",
    notify_replies=False,
) -> Comment:
    """
    Store a reader's comment with the moderation policy's verdict, or raise
    CommentRejected. Emails go out after the commit and can never undo it.
    """
    if not comments_are_open(article):
        raise CommentRejected(_("Comments are closed."))
    _check_rate(ip_address)
    _check_flood_and_duplicates(
        article=article, email=author_email, ip_address=ip_address, body=body
    )
    comment = Comment(
        article=article,
        body=body.strip(),
        author_name=author_name.strip(),
        author_email=author_email.strip().lower(),
        author_url=author_url.strip(),
        user=user if user and user.is_authenticated else None,
        is_staff=bool(user and user.is_authenticated and user.is_staff),
        ip_address=ip_address,
        user_agent=user_agent[:500],
        notify_replies=notify_replies,
    )
    comment.place_under(parent)
    decision = decide(comment)
    comment.status, comment.status_reason = decision.status, decision.reason
    with transaction.atomic():
        comment.save()
        comment.set_path()
        Comment.objects.filter(pk=comment.pk).update(path=comment.path)
        if comment.status == Comment.Status.APPROVED:
            comment_recount(article_ids=[article.pk])
        transaction.on_commit(lambda: _after_posting(comment))
    return comment


def _after_posting(comment):
    tasks.send_comment_receipt.enqueue(comment.pk)
    if comment.status == Comment.Status.APPROVED:
        tasks.send_reply_notification.enqueue(comment.pk)
    elif comment.status == Comment.Status.PENDING:
        _tell_moderators()


def _tell_moderators():
    """One email to the desk per COMMENTS_MODERATOR_EMAIL_MINUTES, however many comments wait."""
    if cache.add(
        "comments:moderators-told", 1, timeout=settings.COMMENTS_MODERATOR_EMAIL_MINUTES * 60
    ):
        tasks.send_moderator_digest.enqueue()


def comment_moderate(*, comments, status, by, reason="") -> list[Comment]:
    """
    A moderator's decision on each comment, in one transaction. Authors of
    held comments now approved are told, and so are readers awaiting replies.
    """
    changed = []
    with transaction.atomic():
        for comment in comments:
            if comment.status == status:
                continue
            was_pending = comment.is_pending()
            comment.moderate(status, by=by, reason=reason)
            comment.save()
            audit.record(f"comment.{status}", actor=by, target=comment)
            changed.append((comment, was_pending))
        comment_recount(article_ids=[comment.article_id for comment, _ in changed])

        def notify():
            for comment, was_pending in changed:
                if comment.status == Comment.Status.APPROVED:
                    if was_pending:
                        tasks.send_approval_notice.enqueue(comment.pk)
                    tasks.send_reply_notification.enqueue(comment.pk)

        transaction.on_commit(notify)
    return [comment for comment, _ in changed]


def comment_report(*, comment, reporter) -> bool:
    """
    Count one reader's report; at the threshold an approved comment goes back
    to the queue. Returns False when this reader had already reported it.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                Report.objects.create(comment=comment, reporter=reporter)
        except IntegrityError:
            return False
        Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
        comment.refresh_from_db(fields=["report_count", "status"])
        if (
            comment.status == Comment.Status.APPROVED
            and comment.report_count >= settings.COMMENTS_REPORTS_TO_HOLD
        ):
            comment.moderate(
                Comment.Status.PENDING,
                by=None,
                reason=_("Reported by %d readers") % comment.report_count,
            )
            comment.save()
            comment_recount(article_ids=[comment.article_id])
            transaction.on_commit(_tell_moderators)
    return True


def comment_edit_by_author(*, comment, body):
    """The author's own correction, allowed while a moderator has not yet decided."""
    if not comment.can_be_edited_by_author():
        raise CommentRejected(_("This comment has been moderated and can no longer be changed."))
    comment.body = body.strip()
    comment.save()


def comment_withdraw(*, comment):
    if not comment.can_be_edited_by_author():
        raise CommentRejected(_("This comment has been moderated and can no longer be withdrawn."))
    comment.delete()


def comment_set_reply_notifications(*, comment, enabled):
    Comment.objects.filter(pk=comment.pk).update(notify_replies=enabled)
    comment.notify_replies = enabled
