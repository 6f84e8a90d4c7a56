import re

from django.db import models
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from donations.money import format_money


class Frequency(models.TextChoices):
    ONCE = "once", _("One time")
    MONTHLY = "month", _("Monthly")
    YEARLY = "year", _("Yearly")


class CampaignQuerySet(models.QuerySet):
    def active(self, *, now=None):
        now = now or timezone.now()
        return self.filter(
            Q(starts_at__isnull=True) | Q(starts_at__lte=now),
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
            is_active=True,
        )

    def with_progress(self):
        """Raised and donors from completed gifts in the campaign's currency, in the same query."""
        completed = Q(
            donations__status=Donation.Status.COMPLETED,
            donations__currency=models.F("currency"),
        )
        return self.annotate(
            raised=Sum("donations__amount", filter=completed, default=0),
            donor_count=Count("donations__donor", filter=completed, distinct=True),
        )


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    pitch = models.TextField(_("pitch"), help_text=_("Why readers should give, in plain text."))
    goal = models.PositiveIntegerField(
        _("goal"), help_text=_("In the currency's smallest unit: 5000000 is $50,000.00.")
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    suggested_amounts = models.JSONField(
        _("suggested amounts"),
        default=list,
        blank=True,
        help_text=_("Whole units, e.g. [5, 10, 25, 50, 100]."),
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    show_donors = models.BooleanField(
        _("list recent donors"),
        default=False,
        help_text=_("Show recent non-anonymous donors and their messages on the campaign page."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("donations:campaign", kwargs={"slug": self.slug})

    def progress_percent(self):
        raised = getattr(self, "raised", 0) or 0
        return min(100, raised * 100 // self.goal) if self.goal else 0

    def goal_display(self):
        return format_money(self.goal, self.currency)

    def raised_display(self):
        return format_money(getattr(self, "raised", 0) or 0, self.currency)


class Donor(models.Model):
    """One person who gives, known by email; their gifts hang off this record."""

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    wants_badge = models.BooleanField(
        _("shows a Supporter badge"),
        default=False,
        help_text=_("The donor asked for a Supporter badge beside their comments."),
    )
    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)

    class Meta:
        ordering = ["email"]
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def learn_from_paid_gift(self, gift):
        """
        Take the name and badge wish from a gift once it is paid, never before:
        anyone can type any email into the form. A paid gift proves a payment, not
        that the payer owns the email, so public lists show each gift's own name.
        """
        self.name = gift.name or self.name
        self.wants_badge = self.wants_badge or gift.wants_badge


class ManualMethod(models.Model):
    """A way to give without a card, such as a bank transfer; staff confirm receipt by hand."""

    name = models.CharField(_("name"), max_length=100)
    instructions = models.TextField(
        _("instructions"), help_text=_("What the donor must do: account, reference, contact.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("manual payment method")
        verbose_name_plural = _("manual payment methods")

    def __str__(self):
        return self.name


def _money_mismatches(expected, *, amount, currency):
    """A provider's amount (an int of minor units, never 0 or 2**40) and currency against ours."""
    reasons = []
    if type(amount) is not int or amount != expected.amount:
        reasons.append(f"amount {amount!r} is not {expected.amount}")
    if not isinstance(currency, str) or currency.upper() != expected.currency.upper():
        reasons.append(f"currency {currency!r} is not {expected.currency}")
    return reasons


class Subscription(models.Model):
    """A recurring gift as the provider runs it; each paid invoice becomes a Donation."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    donor = models.ForeignKey(
        Donor, verbose_name=_("donor"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.SET_NULL
    )
    amount = models.PositiveIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    provider = models.CharField(_("provider"), max_length=20)
    provider_subscription_id = models.CharField(
        _("provider subscription"), max_length=255, unique=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recurring gift")
        verbose_name_plural = _("recurring gifts")

    def __str__(self):
        return f"{format_money(self.amount, self.currency)} / {self.get_frequency_display()}"

    def payment_mismatches(self, *, amount, currency):
        """Why a renewal payment is not this recurring gift's; empty when it is."""
        return _money_mismatches(self, amount=amount, currency=currency)


UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# Letters, digits, "-", "_", "." and space: enough for any campaign tag, never a formula or markup.
UTM_VALUE = re.compile(r"[A-Za-z0-9 _.\-]{1,100}", re.ASCII)


def safe_utm(values):
    """
    The campaign tags worth keeping from a link: known keys whose values use the
    safe alphabet. Anything else is dropped, since tags come from any URL anyone shares.
    """
    return {
        key: values[key]
        for key in UTM_KEYS
        if isinstance(values.get(key), str) and UTM_VALUE.fullmatch(values[key])
    }


class DonationQuerySet(models.QuerySet):
    def completed(self):
        return self.filter(status=Donation.Status.COMPLETED)


class Donation(models.Model):
    """One gift. Completed only on the payment provider's word, or staff's for manual methods."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

    donor = models.ForeignKey(
        Donor, verbose_name=_("donor"), on_delete=models.PROTECT, related_name="donations"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="donations",
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("recurring gift"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="donations",
    )
    amount = models.PositiveIntegerField(_("amount"), help_text=_("In the smallest unit."))
    currency = models.CharField(_("currency"), max_length=3)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.ONCE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    provider = models.CharField(_("provider"), max_length=20)
    checkout_key = models.CharField(
        _("checkout key"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    provider_session_id = models.CharField(
        _("provider checkout"), max_length=255, unique=True, null=True, blank=True
    )
    provider_payment_id = models.CharField(
        _("provider payment"), max_length=255, unique=True, null=True, blank=True
    )
    manual_method = models.ForeignKey(
        ManualMethod,
        verbose_name=_("manual method"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    name = models.CharField(
        _("name"),
        max_length=200,
        blank=True,
        help_text=_("As the reader typed it for this gift; shown publicly only once paid."),
    )
    wants_badge = models.BooleanField(
        _("asked for a Supporter badge"),
        default=False,
        help_text=_("Passed on to the donor only when this gift is paid."),
    )
    public_message = models.CharField(_("public message"), max_length=500, blank=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    source_path = models.CharField(_("came from"), max_length=500, blank=True)
    utm = models.JSONField(_("campaign tags"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)

    objects = DonationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        indexes = [models.Index(fields=["campaign", "status"], name="donation_progress")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="donation_amount_positive")
        ]

    def __str__(self):
        return f"{self.amount_display()} — {self.donor}"

    def amount_display(self):
        return format_money(self.amount, self.currency)

    def is_recurring(self):
        return self.frequency != Frequency.ONCE

    def complete(self, *, payment_id=None, now=None):
        """
        Mark paid. Returns False when it already was, or was refunded meanwhile (a
        late confirmation must not undo a refund), so callers act only once.
        """
        if self.status in (self.Status.COMPLETED, self.Status.REFUNDED):
            return False
        self.status = self.Status.COMPLETED
        self.completed_at = now or timezone.now()
        if payment_id:
            self.provider_payment_id = payment_id
        return True

    def payment_mismatches(self, *, amount, currency, session_id=None, subscription_id=None):
        """
        What a provider's confirmation says differently from this gift, as reasons
        for the log; empty when it matches. A payment for another amount, currency,
        checkout or recurring gift must never complete this one.
        """
        reasons = _money_mismatches(self, amount=amount, currency=currency)
        if session_id is not None and session_id != self.provider_session_id:
            reasons.append(f"checkout {session_id!r} is not {self.provider_session_id!r}")
        if (
            subscription_id is not None
            and self.subscription_id is not None
            and subscription_id != self.subscription.provider_subscription_id
        ):
            reasons.append(
                f"recurring gift {subscription_id!r} is not "
                f"{self.subscription.provider_subscription_id!r}"
            )
        return reasons

    def fail(self):
        if self.status == self.Status.PENDING:
            self.status = self.Status.FAILED

    def refund(self, *, now=None):
        self.status = self.Status.REFUNDED
        self.refunded_at = now or timezone.now()


class ProcessedEvent(models.Model):
    """Provider events already handled: a retried or concurrent delivery changes nothing."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("processed provider event")
        verbose_name_plural = _("processed provider events")
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="event_once")]

    def __str__(self):
        return f"{self.provider} {self.event_type} {self.event_id}"


class AppealQuerySet(models.QuerySet):
    def current(self):
        """The appeal shown at the end of every article: the newest active one."""
        return (
            self.filter(is_active=True).select_related("campaign").order_by("-updated_at").first()
        )


class Appeal(models.Model):
    """The call to action that closes every article and sends readers to the donate page."""

    message = models.TextField(
        _("message"),
        help_text=_("Plain text shown in the box at the end of every article."),
    )
    button_label = models.CharField(_("button label"), max_length=60, default=_("Donate"))
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Send readers to this campaign's page instead of the general donate page."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("The newest active appeal is the one shown.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("donation appeal")
        verbose_name_plural = _("donation appeals")

    def __str__(self):
        return self.message[:60]

    def get_absolute_url(self):
        return self.campaign.get_absolute_url() if self.campaign else reverse("donations:donate")
