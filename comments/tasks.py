"""
Email about comments, run through Django's tasks API: at once in development,
from the database queue in production. The tasks decide who is written to and
when; the outbox (newsroom.mail) stores each email and sends it, trying again
while the mail server is down, so the reader's request never waits on it.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

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


def _comment(comment_id):
    return Comment.objects.select_related("article", "parent").filter(pk=comment_id).first()


def _manage_url(comment):
    return absolute(reverse("comments:manage", args=[manage_token(comment)]))


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
    cannot be used to bury someone in our email. With Redis down each process
    counts its own (newsroom.throttle.PER_PROCESS): the receipt is the
    commenter's only private link, so it still goes out, and a mailbox gets at
    most the limit times the number of task workers.
    """
    digest = hashlib.sha256(mailbox(email).encode()).hexdigest()[:32]
    allowed = throttle.within_limit(
        f"comments:receipts:{digest}",
        limit=settings.COMMENTS_RECEIPTS_PER_HOUR,
        seconds=3600,
        when_unavailable=throttle.PER_PROCESS,
    )
    if not allowed:
        logger.warning(
            "Comment receipt refused by the per-mailbox limit",
            extra={"event": "comments.receipt_limited", "mailbox": fingerprint(mailbox(email))},
        )
    return allowed


@task()
def send_comment_receipt(comment_id):
    """
    The commenter's private link. Only to a proven address does it repeat what
    they wrote: anyone can type any address into the form, and we must not mail
    a stranger's text to it under our name.
    """
    comment = _comment(comment_id)
    if comment is None or comment.user_id or comment.status == Comment.Status.SPAM:
        return
    if not claim_receipt(comment.author_email):
        return
    send_templated(
        "comments/email/receipt.txt",
        {
            "comment": comment,
            "article_url": absolute(comment.article.get_absolute_url()),
            "manage_url": _manage_url(comment),
        },
        [comment.author_email],
        purpose="comments.receipt",
    )


@task()
def send_approval_notice(comment_id):
    comment = _comment(comment_id)
    if comment is None or comment.status != Comment.Status.APPROVED:
        return
    send_templated(
        "comments/email/approved.txt",
        {"comment": comment, "comment_url": absolute(comment.get_absolute_url())},
        [comment.author_email],
        purpose="comments.approved",
    )


@task()
def send_reply_notification(reply_id):
    """
    Tell the parent's author someone replied, if they asked to be told, at most
    once per COMMENTS_REPLY_EMAIL_MINUTES for their comment's thread.
    """
    reply = _comment(reply_id)
    parent = reply.parent if reply else None
    if (
        parent is None
        or not parent.notify_replies
        or not parent.email_verified  # reply emails only to an address that asked, proven
        or parent.author_email == reply.author_email
        or parent.status in (Comment.Status.SPAM, Comment.Status.REMOVED)
    ):
        return
    now = timezone.now()
    quiet_since = now - timedelta(minutes=settings.COMMENTS_REPLY_EMAIL_MINUTES)
    unsubscribe_url = absolute(reverse("comments:unsubscribe", args=[unsubscribe_token(parent)]))
    # The quiet period is claimed only with the email stored: both, or neither.
    with transaction.atomic():
        claimed = (
            Comment.objects.filter(pk=parent.pk)
            .filter(Q(replies_notified_at__isnull=True) | Q(replies_notified_at__lt=quiet_since))
            .update(replies_notified_at=now)
        )
        if not claimed:
            return
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


@task()
def send_moderator_digest():
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
