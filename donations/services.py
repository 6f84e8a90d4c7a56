import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donations import emails
from donations.badges import forget_supporters
from donations.models import Donation, Donor, ProcessedEvent, Subscription, safe_utm
from donations.providers import ProviderRefused, ProviderUnavailable, get_provider
from newsroom import audit, throttle
from newsroom.logs import fingerprint
from newsroom.network import network_of

logger = logging.getLogger(__name__)


class DonationRefused(Exception):
    """A gift refused before any provider was asked, with the reason the reader is shown."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class PaymentUnavailable(DonationRefused):
    """
    The card processor is down or slow: the reader may send the same form again,
    which meets the same pending gift and the same checkout.
    """


def _check_attempts(*, ip_address, email):
    """
    Card testers try many cards fast; each try costs us a provider session. The
    shared cache counts attempts per address, and per email from each address.
    An email is never counted across addresses: that would let a stranger who
    types a donor's email five times lock the donor out, while a tester can
    change emails at will anyway. With Redis down each process counts its own
    (newsroom.throttle.PER_PROCESS): a tester gets at most the limit times the
    number of processes, and donors keep giving.
    """
    network = network_of(ip_address)  # an IPv6 /64 is one sender
    pair = fingerprint(f"{email.strip().lower()} {network}")
    limits = [
        (
            "address",
            f"donations:attempts:ip:{network}",
            settings.DONATIONS_ATTEMPTS_PER_HOUR_PER_IP,
        ),
        (
            "email",
            f"donations:attempts:email:{pair}",
            settings.DONATIONS_ATTEMPTS_PER_HOUR_PER_EMAIL,
        ),
    ]
    for counted, key, limit in limits:
        if not throttle.within_limit(
            key, limit=limit, seconds=3600, when_unavailable=throttle.PER_PROCESS
        ):
            logger.warning(
                "Donation refused by the attempts limit",
                extra={
                    "event": "donations.attempts_refused",
                    "counted": counted,
                    "limit": limit,
                    "client": fingerprint(ip_address),
                    "network": fingerprint(network),
                    "email": fingerprint(email),
                },
            )
            raise DonationRefused(
                _("Too many donation attempts. Please wait an hour, or write to us for help.")
            )


def _provider():
    try:
        return get_provider()
    except ImproperlyConfigured:
        logger.exception("Donations cannot take card payments")
        raise DonationRefused(
            _(
                "Card payments are not available right now. Please try again later, or choose "
                "another way to give."
            )
        ) from None


def donation_start(
    *,
    checkout_key,
    amount,
    currency,
    frequency,
    email,
    name="",
    campaign=None,
    public_message="",
    is_anonymous=False,
    wants_badge=False,
    source_path="",
    utm=None,
    manual_method=None,
    ip_address=None,
    success_url,
    cancel_url,
):
    """
    Record a pending gift and open its checkout; returns (donation, url to send
    the reader to). The same checkout key (one rendering of the form) always
    leads to the same gift and the same provider checkout, however often sent;
    sent again for a different gift (the Back button, then a new amount) it is
    refused, so the old gift is never charged in the new one's place.
    """
    email = email.strip().lower()
    existing = Donation.objects.filter(checkout_key=checkout_key).select_related("donor").first()
    if existing is None:
        _check_attempts(ip_address=ip_address, email=email)
        try:
            with transaction.atomic():
                # What the reader typed stays on the gift; the donor learns it once paid.
                donor, _created = Donor.objects.get_or_create(email=email)
                existing = Donation.objects.create(
                    checkout_key=checkout_key,
                    donor=donor,
                    campaign=campaign,
                    amount=amount,
                    currency=currency,
                    frequency=frequency,
                    name=name,
                    wants_badge=wants_badge,
                    public_message=public_message,
                    is_anonymous=is_anonymous,
                    source_path=source_path[:500],
                    utm=safe_utm(utm or {}),
                    manual_method=manual_method,
                    provider="manual" if manual_method else _provider().name,
                )
        except IntegrityError:
            existing = Donation.objects.select_related("donor").get(checkout_key=checkout_key)
    sent = (amount, currency, frequency, email, manual_method and manual_method.pk,
            campaign and campaign.pk)  # fmt: skip
    kept = (existing.amount, existing.currency, existing.frequency, existing.donor.email,
            existing.manual_method_id, existing.campaign_id)  # fmt: skip
    if sent != kept:
        # The reader went back and changed the form: never charge the old gift's amount.
        raise DonationRefused(
            _(
                "You had already started a gift of %(amount)s with this form, and changed it "
                "since. Nothing was charged for the change: please check your gift and send "
                "it again."
            )
            % {"amount": existing.amount_display()}
        )
    _show_latest_choice(
        existing,
        name=name,
        public_message=public_message,
        is_anonymous=is_anonymous,
        wants_badge=wants_badge,
    )
    if existing.manual_method_id or existing.status != Donation.Status.PENDING:
        # A pledge has no checkout; a paid or failed gift never opens another one.
        return existing, None
    url = _start_checkout(existing, success_url=success_url, cancel_url=cancel_url)
    Donation.objects.filter(pk=existing.pk).update(provider_session_id=existing.provider_session_id)
    return existing, url


def _start_checkout(donation, *, success_url, cancel_url):
    """
    The provider's checkout for a pending gift, under the gift's own idempotency
    key. When the provider fails, nothing was charged and the gift stays
    pending, unchanged, for the reader's next try of the same form.
    """
    provider = _provider()
    fields = {"provider": provider.name, "donation": donation.pk}
    try:
        return provider.start_checkout(
            donation=donation,
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=f"checkout-{donation.checkout_key}",
        )
    except ProviderUnavailable as failure:
        logger.warning(
            "Payment provider unavailable",
            extra={"event": "donations.provider_unavailable", "reason": str(failure), **fields},
        )
        raise PaymentUnavailable(
            _(
                "Our card processor is not answering. Nothing was charged. Please try again "
                "in a minute."
            )
        ) from None
    except ProviderRefused as refusal:
        logger.error(
            "Payment provider refused a checkout",
            extra={"event": "donations.provider_refused", "reason": str(refusal), **fields},
        )
        raise DonationRefused(
            _(
                "Our card processor could not start this payment, and nothing was charged. "
                "Please check your gift and send it again, or write to us if this happens again."
            )
        ) from None


def _show_latest_choice(donation, **shown):
    """
    Back, then "give anonymously" or another name: the same gift, shown as the
    reader chose last. Once paid, what the payment confirmed is what is shown.
    """
    if all(getattr(donation, field) == value for field, value in shown.items()):
        return
    if not Donation.objects.filter(pk=donation.pk, status=Donation.Status.PENDING).update(**shown):
        raise DonationRefused(
            _(
                "This gift has already been received, so how it is shown can no longer be "
                "changed here. Please write to us and we will change it."
            )
        )
    for field, value in shown.items():
        setattr(donation, field, value)


def donation_confirm(*, donation, payment_id=None, subscription_id=None, by=None):
    """
    The provider (or staff, for a manual method) says the gift is paid: the one
    place a gift completes. Idempotent. The receipt is stored in the same
    transaction, so a paid gift is never kept without it, and sent after the commit.
    """
    with transaction.atomic():
        donation = Donation.objects.select_for_update().select_related("donor").get(pk=donation.pk)
        if subscription_id:
            donation_link_subscription(donation=donation, subscription_id=subscription_id)
        if not donation.complete(payment_id=payment_id):
            return False
        donation.save()
        _donor_learns(donation)
        action = "donation.marked_received" if donation.manual_method_id else "donation.completed"
        audit.record(action, actor=by, target=donation, amount=donation.amount)
        emails.send_receipt(donation)
        transaction.on_commit(forget_supporters)
    return True


def _donor_learns(donation):
    """A paid gift's name and badge wish reach its donor (and the supporters list)."""
    donor = Donor.objects.select_for_update().get(pk=donation.donor_id)
    donor.learn_from_paid_gift(donation)
    donor.save(update_fields=["name", "wants_badge"])


def donation_link_subscription(*, donation, subscription_id):
    if donation.subscription_id is None:
        donation.subscription = subscription_for(donation, subscription_id)
        donation.save(update_fields=["subscription"])


def subscription_for(donation, provider_subscription_id):
    subscription, _created = Subscription.objects.get_or_create(
        provider_subscription_id=provider_subscription_id,
        defaults={
            "donor": donation.donor,
            "campaign": donation.campaign,
            "amount": donation.amount,
            "currency": donation.currency,
            "frequency": donation.frequency,
            "provider": donation.provider,
        },
    )
    return subscription


def donation_renewal(*, subscription, payment_id, amount, currency):
    """
    A recurring gift's later payment: a new completed gift, once per provider
    payment, under the name and anonymity the reader chose when they started it,
    with its receipt stored in the same transaction.
    """
    with transaction.atomic():
        first = subscription.donations.order_by("pk").first()
        donation, created = Donation.objects.get_or_create(
            provider_payment_id=payment_id,
            defaults={
                "name": first.name if first else "",
                "wants_badge": first.wants_badge if first else False,
                "is_anonymous": first.is_anonymous if first else True,
                "donor": subscription.donor,
                "campaign": subscription.campaign,
                "subscription": subscription,
                "amount": amount,
                "currency": currency.upper(),
                "frequency": subscription.frequency,
                "provider": subscription.provider,
                "status": Donation.Status.COMPLETED,
                "completed_at": timezone.now(),
            },
        )
        if created:
            _donor_learns(donation)
            audit.record("donation.completed", target=donation, amount=donation.amount)
            emails.send_receipt(donation)
            transaction.on_commit(forget_supporters)
    return donation


def payment_mismatch_record(*, target, event_id, reasons):
    """
    A provider's signed confirmation that does not match what we stored: logged
    and in the audit trail for revenue staff, and nothing else. Completing it
    would count money that was never paid for this gift.
    """
    logger.error("Refused provider event %s for %s: %s", event_id, target, "; ".join(reasons))
    audit.record("donation.payment_mismatch", target=target, event=event_id, reasons=reasons)


def donation_refund(*, donation):
    with transaction.atomic():
        donation = Donation.objects.select_for_update().get(pk=donation.pk)
        if donation.status != Donation.Status.REFUNDED:
            donation.refund()
            donation.save()
            audit.record("donation.refunded", target=donation, amount=donation.amount)
            transaction.on_commit(forget_supporters)


def subscription_cancel(*, subscription):
    if subscription.status != Subscription.Status.CANCELLED:
        subscription.status = Subscription.Status.CANCELLED
        subscription.cancelled_at = timezone.now()
        subscription.save()
        forget_supporters()


def donation_fail(*, donation):
    donation.fail()
    donation.save(update_fields=["status"])


def event_process(*, provider, event_id, event_type, handler):
    """
    Run `handler` once per provider event, in one transaction with the record
    that it ran: a retried or concurrent delivery of the same event does nothing.
    Returns False for an event already handled.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProcessedEvent.objects.create(
                    provider=provider, event_id=event_id, event_type=event_type
                )
        except IntegrityError:
            return False
        handler()
    return True
