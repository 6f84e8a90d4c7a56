from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """
    One action that matters, written by the code that took it (a service, an
    admin action, a webhook handler), never inferred afterwards.
    """

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=50, db_index=True)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), null=True, on_delete=models.SET_NULL
    )
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=255, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


class LegacyLink(models.Model):
    """
    A WordPress query-string address (?p=, ?page_id=, ?cat=, ?attachment_id=)
    and the page that now answers it, so old links and bookmarks keep working.
    """

    class Kind(models.TextChoices):
        POST = "p", _("post")
        PAGE = "page_id", _("page")
        CATEGORY = "cat", _("category")
        ATTACHMENT = "attachment_id", _("attachment")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    wp_id = models.PositiveBigIntegerField(_("WordPress ID"))
    path = models.CharField(_("now at"), max_length=500)

    class Meta:
        verbose_name = _("old WordPress link")
        verbose_name_plural = _("old WordPress links")
        constraints = [models.UniqueConstraint(fields=["kind", "wp_id"], name="legacy_link_once")]

    def __str__(self):
        return f"/?{self.kind}={self.wp_id} → {self.path}"


class WordPressImportRecord(models.Model):
    """Each import run; WordPress ids are only unique within one site, so one site is kept."""

    base_site_url = models.URLField(_("WordPress site"))
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("WordPress import")
        verbose_name_plural = _("WordPress imports")

    def __str__(self):
        return f"{self.base_site_url} ({self.imported_at:%Y-%m-%d %H:%M})"


INTERRUPTED_WHILE_SENDING = _(
    "Interrupted while sending: it may have been delivered. "
    "Check with the recipient before sending again."
)


class OutgoingEmailQuerySet(models.QuerySet):
    def due(self, now):
        """Waiting to be sent and its time has come: what a worker or the sweeper may send now."""
        return self.filter(
            status__in=[OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.RETRYING],
            next_attempt_at__lte=now,
        )

    def interrupted(self, now):
        """
        Claimed for sending and still not sent or failed after the claim's
        deadline: its worker died, or lost the database, in the middle of it.
        """
        return self.filter(status=OutgoingEmail.Status.SENDING, next_attempt_at__lt=now)

    def addressed_to(self, email):
        """Email to `email`, its case aside; the database narrows by text, Python decides."""
        wanted = email.strip().lower()
        candidates = self.annotate(recipients_text=Cast("recipients", models.TextField())).filter(
            recipients_text__icontains=wanted
        )
        return self.filter(
            pk__in=[
                email.pk
                for email in candidates
                if wanted in (address.lower() for address in email.recipients)
            ]
        )

    def visible_to(self, user):
        """
        Each app's email to the staff of that app: a purpose names its app
        ("comments.receipt"), so moderators see commenters' email and revenue
        staff donors', but neither sees the other's readers.
        """
        if user.is_superuser:
            return self
        allowed = models.Q(pk__in=[])
        for config in django_apps.get_app_configs():
            if user.has_module_perms(config.label):
                allowed |= models.Q(purpose__startswith=f"{config.label}.")
        return self.filter(allowed)


class OutgoingEmail(models.Model):
    """
    One email, rendered and stored before any attempt to send it, so a mail
    server outage delays it instead of losing it (newsroom.mail).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        RETRYING = "retrying", _("retrying")
        FAILED = "failed", _("failed")

    purpose = models.CharField(_("purpose"), max_length=100, db_index=True)
    recipients = models.JSONField(_("recipients"))
    subject = models.TextField(_("subject"))
    body = models.TextField(_("body"))
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing email")
        permissions = [("resend_outgoingemail", _("Can send an outgoing email again now"))]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outgoing_email_due")]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.recipients)} ({self.get_status_display()})"

    def claim(self, *, deadline):
        """
        Taken by one worker, in a committed transaction before it talks to the
        mail server, so that no other worker, sweeper or staff action sends it
        meanwhile; `deadline` is when it counts as interrupted.
        """
        if self.status not in (self.Status.QUEUED, self.Status.RETRYING):
            raise ValueError(
                f"Only a queued or retrying email can be sent, not a {self.status} one."
            )
        self.status = self.Status.SENDING
        self.next_attempt_at = deadline

    def mark_interrupted(self):
        """
        Its sending was cut after the claim: the server may have taken it. It is
        not sent again by itself, which could send it twice; staff decide.
        """
        self.attempts += 1
        self.status = self.Status.FAILED
        self.next_attempt_at = None
        self.last_error = str(INTERRUPTED_WHILE_SENDING)

    def mark_sent(self, *, now):
        self.status = self.Status.SENT
        self.sent_at = now
        self.next_attempt_at = None
        self.last_error = ""

    def record_failure(self, error, *, now, max_attempts, first_delay, max_delay):
        """
        Count the attempt, then wait twice as long as last time (`first_delay`
        after the first failure, never more than `max_delay`) or, after
        `max_attempts`, give up: the row stays for staff to see and send again.
        """
        self.attempts += 1
        self.last_error = f"{type(error).__name__}: {error}"[:2000]
        if self.attempts >= max_attempts:
            self.status = self.Status.FAILED
            self.next_attempt_at = None
        else:
            self.status = self.Status.RETRYING
            self.next_attempt_at = now + min(first_delay * 2 ** (self.attempts - 1), max_delay)

    def send_again(self, *, now):
        """Due at once, whatever the schedule said; a failed one gets one more attempt."""
        if self.status == self.Status.SENT:
            raise ValueError("This email was sent; sending it again would send it twice.")
        if self.status == self.Status.SENDING:
            raise ValueError("This email is being sent; sending it again could send it twice.")
        self.status = self.Status.RETRYING
        self.next_attempt_at = now
