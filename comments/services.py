import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.models import Article
from comments import emails
from comments.models import Comment, Report
from comments.moderation import Decision, decide
from newsroom import audit, throttle
from newsroom.logs import fingerprint
from newsroom.network import network_of

logger = logging.getLogger(__name__)


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
    """
    At most COMMENTS_RATE_PER_MINUTE posts a minute per address (per IPv6 /64,
    see newsroom.network), counted in the shared cache. With Redis down each
    process counts its own: the honeypot, signed timestamp, duplicate check and
    moderation still stand behind it, and readers keep commenting.
    """
    network = network_of(ip_address)
    if network is None:
        return
    if not throttle.within_limit(
        f"comments:rate:{network}",
        limit=settings.COMMENTS_RATE_PER_MINUTE,
        seconds=60,
        when_unavailable=throttle.PER_PROCESS,
    ):
        logger.warning(
            "Comment refused by the rate limit",
            extra={"event": "comments.rate_limited", "client": fingerprint(network)},
        )
        raise CommentRejected(
            _("You have posted several comments in the last minute. Please wait a moment.")
        )


def take_flood_slot(*, email, ip_address):
    """
    Claim this sender's one post per COMMENTS_FLOOD_SECONDS, by email and by
    address. The slot is atomic in Redis, so two requests racing on several
    workers cannot both get it, even before either comment is committed.
    The local-memory cache is atomic only within one process: each process
    keeps its own slots, so with more than one, use Redis (see README). With
    Redis down each process keeps its own slots too, as for the rate limit.
    """
    seconds = settings.COMMENTS_FLOOD_SECONDS
    if seconds <= 0:
        return
    network = network_of(ip_address)
    senders = [f"email:{email.strip().lower()}"] + ([f"ip:{network}"] if network else [])
    taken = []
    for sender in senders:
        key = f"comments:flood:{fingerprint(sender)}"
        if not throttle.claim_slot(key, seconds=seconds, when_unavailable=throttle.PER_PROCESS):
            throttle.release_slots(taken)  # a refused post keeps no slot
            logger.warning(
                "Comment refused by the flood limit",
                extra={
                    "event": "comments.flood_limited",
                    "client": fingerprint(network),
                    "email": fingerprint(email),
                },
            )
            raise CommentRejected(_("You are posting comments too quickly. Slow down."))
        taken.append(key)


def _check_duplicate(*, article, email, body):
    if Comment.objects.filter(
        article=article, author_email__iexact=email, body__iexact=body.strip()
    ).exists():
        raise CommentRejected(_("Duplicate comment: it looks as though you’ve already said that!"))


def comment_recount(*, article_ids):
    """
    Store each article's approved-comment count, which lists and headers show.

    Each article's row is locked before its comments are counted, and stays
    locked until the caller's transaction commits: two posts committing at once
    would otherwise each count before the other's comment is visible, and the
    later write would leave one uncounted. The lock is the no-key kind, so new
    comments (whose foreign key share-locks the article) are not held up by it.
    Called inside a transaction it joins it, with no savepoint of its own.
    """
    ids = sorted(set(article_ids))
    with transaction.atomic(savepoint=False):
        list(
            Article.objects.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for article_id in ids:
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
    email_verified=False,
) -> Comment:
    """
    Store a reader's comment with the moderation policy's verdict, or raise
    CommentRejected. Its emails (receipt, reply notice, the desk's digest) are
    stored in the same transaction, so a comment is never kept without them;
    they are sent after the commit and can never undo it.
    `email_verified` says the sender proved the address (signed in, or a
    browser that followed a link sent to it); the view decides, this trusts it.
    """
    if not comments_are_open(article):
        raise CommentRejected(_("Comments are closed."))
    _check_rate(ip_address)
    _check_duplicate(article=article, email=author_email, body=body)
    signed_in = bool(user and user.is_authenticated)
    comment = Comment(
        article=article,
        body=body.strip(),
        author_name=author_name.strip(),
        author_email=author_email.strip().lower(),
        author_url=author_url.strip(),
        email_verified=signed_in or email_verified,
        user=user if signed_in else None,
        is_staff=signed_in and user.is_staff,
        ip_address=ip_address,
        # Browsers send what they like; PostgreSQL refuses NUL in text.
        user_agent=user_agent.replace("\x00", "")[:500],
        notify_replies=notify_replies,
    )
    comment.place_under(parent)
    # Last of the checks: a post refused for any other reason never holds the slot.
    take_flood_slot(email=author_email, ip_address=ip_address)
    decision = decide(comment)
    comment.set_status(decision.status, decision.reason)
    with transaction.atomic():
        comment.save()
        comment.set_path()
        Comment.objects.filter(pk=comment.pk).update(path=comment.path)
        emails.send_comment_receipt(comment)
        _emails_for_new_text(comment)
        if comment.status == Comment.Status.APPROVED:
            comment_recount(article_ids=[article.pk])
    return comment


def _emails_for_new_text(comment):
    """
    Text readers can now see tells the parent's author; held text tells the desk.
    Called before the article is recounted, so that every service locks comment
    rows before article rows and two of them cannot wait on each other.
    """
    if comment.status == Comment.Status.APPROVED:
        emails.send_reply_notification(comment)
    elif comment.status == Comment.Status.PENDING:
        emails.tell_moderators()


class CommentChanged(Exception):
    """The moderator decided on a version of a comment that is no longer its text."""

    def __init__(self, comments):
        super().__init__(comments)
        self.comments = comments


def comment_moderate(*, comments, status, by, reason="", seen_versions=None) -> list[Comment]:
    """
    A moderator's decision on each comment, in one transaction with the
    emails it causes: authors of held comments now approved are told, and so
    are readers awaiting replies.

    `seen_versions` ({id: version}) binds an approval to the text the moderator
    read: if any comment is missing from it or has changed since, nothing is
    decided and CommentChanged names those comments. The rows are locked first,
    so an author's edit cannot slip in between the check and the approval.
    """
    changed = []
    with transaction.atomic():
        locked = (
            Comment.objects.select_for_update(of=("self",))
            .select_related("article")
            .filter(pk__in=[comment.pk for comment in comments])
            .order_by("pk")
        )
        comments = list(locked)
        if seen_versions is not None and status == Comment.Status.APPROVED:
            stale = [c for c in comments if seen_versions.get(c.pk) != c.version]
            if stale:
                raise CommentChanged(stale)
        for comment in comments:
            if comment.status == status:
                continue
            was_pending = comment.is_pending()
            comment.moderate(status, by=by, reason=reason)
            comment.save()
            audit.record(f"comment.{status}", actor=by, target=comment)
            changed.append((comment, was_pending))
            if comment.status == Comment.Status.APPROVED:
                if was_pending:
                    emails.send_approval_notice(comment)
                emails.send_reply_notification(comment)
        comment_recount(article_ids=[comment.article_id for comment, _ in changed])
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
            emails.tell_moderators()
            comment_recount(article_ids=[comment.article_id])
    return True


def _locked_for_author(comment, message):
    """The author's row, locked, or CommentRejected once it is no longer theirs to change."""
    current = Comment.objects.select_for_update().filter(pk=comment.pk).first()
    if current is None or not current.can_be_edited_by_author():
        raise CommentRejected(message)
    return current


def comment_edit_by_author(*, comment, body) -> Comment:
    """
    The author's own correction, allowed only while never published. The new
    text meets the moderation policy like a new comment (a blocklisted word
    sends it to spam, links hold it), and an edit never publishes a comment a
    moderator has already held.
    """
    with transaction.atomic():
        comment = _locked_for_author(
            comment, _("This comment has been moderated and can no longer be changed.")
        )
        comment.revise(body.strip())
        decision = decide(comment)
        if decision.status == Comment.Status.APPROVED and comment.moderated_at is not None:
            decision = Decision(Comment.Status.PENDING, comment.status_reason)
        comment.set_status(decision.status, decision.reason)
        comment.save()
        _emails_for_new_text(comment)
        if comment.status == Comment.Status.APPROVED:
            comment_recount(article_ids=[comment.article_id])
    return comment


def comment_withdraw(*, comment) -> None:
    """The author takes back a comment never published (see `comment_delete`)."""
    with transaction.atomic():
        comment = _locked_for_author(
            comment, _("This comment has been moderated and can no longer be withdrawn.")
        )
        _delete(comment, action="comment.withdrawn", by=None, reason=_("Withdrawn by its author"))


def comment_delete(*, comments, by) -> None:
    """
    A moderator deletes comments from the admin (see `_delete`), all or none in
    one transaction. Replies go first, so a parent chosen with all its replies
    leaves no placeholder.
    """
    with transaction.atomic():
        ids = [comment.pk for comment in comments]
        for comment in Comment.objects.filter(pk__in=ids).order_by("-path"):
            _delete(comment, action="comment.deleted", by=by, reason=_("Deleted by a moderator"))


def _delete(comment, *, action, by, reason):
    """
    A comment with replies stays as the "removed" placeholder, so nobody else's
    words go with it; either way the removal is in the audit log and the
    article's count is recounted.
    """
    has_replies = Comment.objects.filter(parent=comment).exists()
    audit.record(action, actor=by, target=comment, kept_as_placeholder=has_replies)
    if has_replies:
        comment.moderate(Comment.Status.REMOVED, by=by, reason=reason)
        comment.save()
    else:
        comment.delete()
    comment_recount(article_ids=[comment.article_id])


def comment_confirm_email(*, comment) -> Comment:
    """
    The author followed the private link sent to the address and pressed the
    button: the address is proven for this comment. A comment the policy held
    only while unproven, and no person has looked at, gets the policy's
    verdict again, as if it had been posted from a proven browser.
    """
    with transaction.atomic():
        comment = Comment.objects.select_for_update().filter(pk=comment.pk).first()
        if comment is None or comment.email_verified:
            return comment
        comment.email_verified = True
        if comment.is_pending() and comment.moderated_at is None:
            decision = decide(comment)
            comment.set_status(decision.status, decision.reason)
        comment.save()
        if comment.status == Comment.Status.APPROVED:
            emails.send_reply_notification(comment)
            comment_recount(article_ids=[comment.article_id])
    return comment


def comment_set_reply_notifications(*, comment, enabled):
    """
    Reply emails on or off. On only for a confirmed comment: whoever follows
    the emailed link owns the address but may not have written the comment,
    and must not be signed up for its replies without saying it is theirs.
    """
    comments = Comment.objects.filter(pk=comment.pk)
    if enabled:
        comments = comments.filter(email_verified=True)
    if not comments.update(notify_replies=enabled) and enabled:
        raise CommentRejected(
            _("First confirm that you wrote this comment; then you can choose reply emails.")
        )
    comment.notify_replies = enabled
