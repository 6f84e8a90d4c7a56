"""
Email about comments, decided and stored in the outbox (newsroom.mail) inside
the transaction of the write that causes it: the comment and its receipt, the
approval and its notice, are committed together or not at all. A queue that
took these decisions after the commit could lose them for good in a database
cut between the two; the outbox's rows are swept until sent (`send_queued_email`).

Call these from the services' `transaction.atomic()` blocks only.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment
from comments.tokens import manage_token, unsubscribe_token
from newsroom import throttle
from newsroom.logs import fingerprint
from newsroom.mail import send_templated

logger = logging.getLogger(__name__)

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def absolute(path):
    scheme = "http" if settings.DEBUG else "https"
    return f"{scheme}://{Site.objects.get_current().domain}{path}"


def mailbox(email):
    """
    The mailbox an address reaches, as mail servers commonly read it: case,
    quotes, backslash escapes and a `+tag` make no difference, and Gmail
    ignores dots and answers for googlemail.com too, so `"Vic\\tim"+1@Example.org`
    is `victim@example.org` and `V.ictim@googlemail.com` is `victim@gmail.com`.
    """
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.replace('"', "").replace("\\", "").partition("+")[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def claim_receipt(email):
    """
    At most COMMENTS_RECEIPTS_PER_HOUR receipts an hour to one mailbox, however
    its address is spelled, counted in the shared cache, so the comment form
    cannot be used to bury someone in our email. The key is the mailbox's keyed
    fingerprint: a plain hash in Redis could be reversed by hashing guesses.
    With Redis down each process counts its own (newsroom.throttle.PER_PROCESS):
    the receipt is the commenter's only private link, so it still goes out, and
    a mailbox gets at most the limit times the number of app processes.
    """
    box = fingerprint(mailbox(email))
    allowed = throttle.within_limit(
        f"comments:receipts:{box}",
        limit=settings.COMMENTS_RECEIPTS_PER_HOUR,
        seconds=3600,
        when_unavailable=throttle.PER_PROCESS,
    )
    if not allowed:
        logger.warning(
            "Comment receipt refused by the per-mailbox limit",
            extra={"event": "comments.receipt_limited", "mailbox": box},
        )
    return allowed


def send_comment_receipt(comment):
    """
    The commenter's private link. Only to a proven address does it repeat what
    they wrote: anyone can type any address into the form, and we must not mail
    a stranger's text to it under our name.
    """
    if comment.user_id or comment.status == Comment.Status.SPAM:
        return
    if not claim_receipt(comment.author_email):
        return
    send_templated(
        "comments/email/receipt.txt",
        {
            "comment": comment,
            "article_url": absolute(comment.article.get_absolute_url()),
            "manage_url": absolute(reverse("comments:manage", args=[manage_token(comment)])),
        },
        [comment.author_email],
        purpose="comments.receipt",
    )


def send_approval_notice(comment):
    send_templated(
        "comments/email/approved.txt",
        {"comment": comment, "comment_url": absolute(comment.get_absolute_url())},
        [comment.author_email],
        purpose="comments.approved",
    )


def send_reply_notification(reply):
    """
    Tell the parent's author someone replied, if they asked to be told, at most
    once per COMMENTS_REPLY_EMAIL_MINUTES for their comment's thread. The wish
    and the quiet period are read from the parent's row as it is now, and the
    period is claimed in the caller's transaction with the email stored: both,
    or neither.
    """
    parent = reply.parent
    if parent is None or parent.author_email == reply.author_email:
        return
    now = timezone.now()
    quiet_since = now - timedelta(minutes=settings.COMMENTS_REPLY_EMAIL_MINUTES)
    claimed = (
        # Reply emails only to an address that asked, proven.
        Comment.objects.filter(pk=parent.pk, notify_replies=True, email_verified=True)
        .exclude(status__in=[Comment.Status.SPAM, Comment.Status.REMOVED])
        .filter(Q(replies_notified_at__isnull=True) | Q(replies_notified_at__lt=quiet_since))
        .update(replies_notified_at=now)
    )
    if not claimed:
        return
    unsubscribe_url = absolute(reverse("comments:unsubscribe", args=[unsubscribe_token(parent)]))
    send_templated(
        "comments/email/reply.txt",
        {
            "reply": reply,
            "parent": parent,
            "reply_url": absolute(reply.get_absolute_url()),
            "unsubscribe_url": unsubscribe_url,
        },
        [parent.author_email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        purpose="comments.reply",
    )


def tell_moderators():
    """
    One email to the desk per COMMENTS_MODERATOR_EMAIL_MINUTES, however many
    comments wait. With Redis down, one per process: the desk still hears of a
    held comment, and a crowd's comments do not become an email each. Should
    the caller's transaction fail after the window was claimed, the next held
    comment after the window tells the desk; the queue itself loses nothing.
    """
    if not throttle.claim_slot(
        "comments:moderators-told",
        seconds=settings.COMMENTS_MODERATOR_EMAIL_MINUTES * 60,
        when_unavailable=throttle.PER_PROCESS,
    ):
        return
    moderators = list(
        get_user_model()
        .objects.filter(groups__name="Moderators", is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    pending = Comment.objects.pending()
    oldest = pending.order_by("created_at").first()
    if not moderators or oldest is None:
        return
    send_templated(
        "comments/email/moderators.txt",
        {
            "count": pending.count(),
            "oldest": oldest,
            "queue_url": absolute(
                reverse("admin:comments_comment_changelist") + "?status__exact=pending"
            ),
        },
        moderators,
        purpose="comments.moderator_digest",
    )
