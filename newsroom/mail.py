"""
The outbox: every email is rendered and stored as an OutgoingEmail before any
attempt to send it, then sent by a task, so no email is lost to a mail server
outage and none is sent twice.

Each send is claimed in its own committed transaction first, so a worker that
dies or loses the database after the server took the message leaves a row
marked "sending", never one that looks unsent: past its deadline it is marked
failed as "may have been delivered", for staff to check, not sent again.
A failed send is tried again with a growing wait, through the task backend
when it can defer a task (the database worker) and otherwise by
`manage.py send_queued_email`, which also sends any row whose task was lost.
Staff see what failed in the admin ("Outgoing email") and can send it again.
"""

import logging
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import DNS_NAME, EmailMessage
from django.db import transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks.signals import task_finished

from newsroom.logs import fingerprint
from newsroom.models import OutgoingEmail

logger = logging.getLogger(__name__)


def send_templated(template, context, to, *, headers=None, purpose):
    """
    Queue an email whose template's first line is the subject and the rest
    the body. It is sent once the caller's transaction commits: an email about
    something rolled back is never sent.
    """
    context = {"site_name": settings.SITE_NAME, **context}
    subject, _, body = render_to_string(template, context).partition("\n")
    email = OutgoingEmail.objects.create(
        purpose=purpose,
        recipients=list(to),
        subject=subject.strip(),
        body=body.lstrip(),
        # One Message-ID for every attempt, so a mail client can drop a copy
        # that a send interrupted after the server took it would repeat.
        headers={"Message-ID": make_msgid(domain=DNS_NAME), **(headers or {})},
        next_attempt_at=timezone.now(),
    )
    _deliver_after_commit(email.pk)
    return email


def _deliver_after_commit(email_id, task=None):
    """
    Queue the delivery once the caller's transaction commits. Robust: if the
    queue cannot take the task, the row stays due for `send_queued_email`, and
    the request that caused the email still succeeds. A named function, not a
    functools.partial: Django names the callback when it logs that failure, and
    a partial has no name, which would turn the logged failure into an error.
    """

    def enqueue_delivery():
        (task or deliver_email).enqueue(email_id)

    transaction.on_commit(enqueue_delivery, robust=True)


def _retry_policy():
    return {
        "max_attempts": settings.MAIL_MAX_ATTEMPTS,
        "first_delay": timedelta(seconds=settings.MAIL_RETRY_SECONDS),
        "max_delay": timedelta(seconds=settings.MAIL_RETRY_MAX_SECONDS),
    }


# SMTP gives each step (connect, greeting, sender, each recipient, data, its
# answer) up to EMAIL_TIMEOUT, so a live send is over well within this many.
SENDING_DEADLINE_TIMEOUTS = 10


def _sending_deadline(now):
    return now + SENDING_DEADLINE_TIMEOUTS * timedelta(seconds=settings.EMAIL_TIMEOUT or 60)


@task()
def deliver_email(email_id):
    """
    Send one stored email if it is due, at most once. The row is claimed
    (SENDING) and committed before the mail server is contacted, and the
    outcome recorded in a second transaction, so no lock is held while SMTP
    talks and a worker killed or cut from the database in between leaves a
    claim that nothing sends again (`fail_interrupted`). A row already claimed,
    sent, failed or not yet due is left. Returns the row's status, or None
    when there was nothing to do.
    """
    # Durable: a claim inside a caller's transaction would not be seen by other workers.
    with transaction.atomic(durable=True):
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .due(timezone.now())
            .filter(pk=email_id)
            .first()
        )
        if email is None:
            return None
        claim = _sending_deadline(timezone.now())
        email.claim(deadline=claim)
        email.save(update_fields=["status", "next_attempt_at"])
    message = EmailMessage(email.subject, email.body, to=email.recipients, headers=email.headers)
    try:
        message.send()
    except Exception as error:  # Any failure is retried: a queued email must never be stuck.
        return _record_failure(email_id, claim, error)
    return _record_sent(email_id, claim)


def _record_sent(email_id, claim):
    """
    Sent, even if the claim ran out meanwhile and the sweeper marked the row
    failed: the server took it, and staff must not be asked to send it again.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None:  # erased meanwhile (newsroom.privacy)
            return None
        ours = email.status == OutgoingEmail.Status.SENDING and email.next_attempt_at == claim
        if not (ours or email.status == OutgoingEmail.Status.FAILED):
            return None  # staff sent it again and another worker has it
        email.mark_sent(now=timezone.now())
        email.save(update_fields=["status", "sent_at", "next_attempt_at", "last_error"])
    return email.status


def _record_failure(email_id, claim, error):
    """A try again later, or failed for good; only while the claim is still ours."""
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update()
            .filter(pk=email_id, status=OutgoingEmail.Status.SENDING, next_attempt_at=claim)
            .first()
        )
        if email is None:
            return None
        email.record_failure(error, now=timezone.now(), **_retry_policy())
        email.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
        if email.status == OutgoingEmail.Status.RETRYING:
            _schedule(email)
    _log_failure(email, error)
    return email.status


def fail_interrupted(now):
    """
    Every email whose sending was cut past its deadline, marked failed rather
    than sent again: the mail server may have taken it before the cut, and
    sending it twice is worse than asking staff to check ("Send again now").
    """
    with transaction.atomic():
        emails = list(OutgoingEmail.objects.select_for_update(skip_locked=True).interrupted(now))
        for email in emails:
            email.mark_interrupted()
            email.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
    for email in emails:
        logger.error(
            "Email interrupted while sending; it may have been delivered, not sent again",
            extra={"event": "mail.delivery_uncertain", **_fields(email)},
        )
    return len(emails)


def _schedule(email):
    """The next attempt, through the queue when it can wait; otherwise the sweeper's."""
    if deliver_email.get_backend().supports_defer:
        _deliver_after_commit(email.pk, deliver_email.using(run_after=email.next_attempt_at))


def _fields(email):
    return {
        "purpose": email.purpose,
        "email_id": email.pk,
        "attempt": email.attempts,
        "recipient": ",".join(fingerprint(address) for address in email.recipients),
    }


def _log_failure(email, error):
    fields = {
        "event": "mail.send_failed",
        **_fields(email),
        # The class only: an SMTP error's text can quote the address.
        "error": type(error).__name__,
    }
    if email.status == OutgoingEmail.Status.FAILED:
        logger.error("Email not sent; giving up after %s attempts", email.attempts, extra=fields)
    else:
        fields["next_attempt_at"] = email.next_attempt_at.isoformat()
        logger.warning("Email not sent; will try again", extra=fields)


def send_again(emails):
    """Staff's "send again now": each failed or retrying email is due at once and queued."""
    now = timezone.now()
    pending = [OutgoingEmail.Status.FAILED, OutgoingEmail.Status.RETRYING]
    with transaction.atomic():
        chosen = list(emails.select_for_update().filter(status__in=pending))
        for email in chosen:
            email.send_again(now=now)
            email.save(update_fields=["status", "next_attempt_at"])
            _deliver_after_commit(email.pk)
    return len(chosen)


@receiver(task_finished, dispatch_uid="newsroom.mail.log_task_failure")
def log_task_failure(sender, task_result, **kwargs):
    """Any background task that failed, as one structured line an operator can search for."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    errors = task_result.errors
    logger.error(
        "Background task failed",
        extra={
            "event": "tasks.failed",
            "task": task_result.task.module_path,
            "task_id": str(task_result.id),
            "backend": task_result.backend,
            "error": errors[-1].exception_class_path if errors else "",
        },
    )
