"""
What each Stripe event means for our gifts. Every handler is idempotent on
Stripe's own ids, so retries and out-of-order deliveries end in one state.

A confirmation completes a gift only when its amount, currency, checkout and
recurring gift are the ones we stored; otherwise it is logged and refused
(answered 2xx: the same signed event will never match, so a retry helps nobody).
Fields are read only as the types Stripe documents; anyone holding the webhook
secret can sign anything else, which is "not ours": answered 2xx, changes nothing.
"""

import re
import unicodedata

from donations import services
from donations.models import Donation, Subscription

# Stripe's ids ("sub_1Mo…", "in_1Mo…"): letters, digits and "_", within our 255-character columns.
STRIPE_ID = re.compile(r"[A-Za-z0-9_-]{1,255}", re.ASCII)
DONATION_ID = re.compile(r"[0-9]{1,18}", re.ASCII)


class NotYetKnown(Exception):
    """The event refers to a gift we have not recorded yet; Stripe will deliver it again."""


class NotOurs(Exception):
    """
    A field is not of a type Stripe documents, or names no gift of ours that it
    could apply to: acknowledged, so nobody retries it for days, and nothing changes.
    """


def event_parts(event):
    """
    The id, type and object of a signed event, or ValueError with a short reason:
    anyone holding the webhook secret can sign any JSON, and the event id is stored.
    """
    if not isinstance(event, dict):
        raise ValueError("malformed event: not an object")
    event_id, event_type, data = event.get("id"), event.get("type"), event.get("data")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 255:
        raise ValueError("malformed event: id")
    if any(unicodedata.category(char).startswith("C") for char in event_id):
        raise ValueError("malformed event: id")
    if not isinstance(event_type, str):
        raise ValueError("malformed event: type")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise ValueError("malformed event: data.object")
    return event_id, event_type, data["object"]


def _optional_id(value):
    """A Stripe id, given as itself or as an expanded object; None when absent."""
    if isinstance(value, dict):
        value = value.get("id")
        if value is None:
            raise NotOurs("an expanded object without an id")
    if value is None:
        return None
    if not isinstance(value, str) or not STRIPE_ID.fullmatch(value):
        raise NotOurs(f"not a Stripe id: {value!r:.80}")
    return value


def _id(value):
    """A Stripe id that must be there."""
    value = _optional_id(value)
    if value is None:
        raise NotOurs("no id")
    return value


def _object(value):
    """A nested object Stripe may leave out (null), and otherwise sends as an object."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise NotOurs(f"not an object: {value!r:.80}")
    return value


def _metadata(value):
    """Metadata as Stripe keeps it: an object of strings, or nothing."""
    metadata = _object(value)
    if not all(isinstance(item, str) for item in metadata.values()):
        raise NotOurs(f"metadata not of strings: {value!r:.80}")
    return metadata


def _donation_from_metadata(metadata):
    """The gift our checkout named in the metadata it set: a string of digits."""
    donation_id = metadata.get("donation_id")
    if donation_id is None or not DONATION_ID.fullmatch(donation_id):
        raise NotOurs(f"no gift of ours in metadata: {metadata!r:.80}")
    donation = (
        Donation.objects.select_related("donor", "subscription").filter(pk=donation_id).first()
    )
    if donation is None:
        raise NotYetKnown(donation_id)
    return donation


def _recurring_donation_from_metadata(metadata):
    """A recurring gift's first donation: a one-time gift has no subscription to start or end."""
    donation = _donation_from_metadata(metadata)
    if not donation.is_recurring():
        raise NotOurs(f"gift {donation.pk} is not recurring")
    return donation


def _invoice_subscription(invoice):
    """The subscription id and metadata, where old and new Stripe API versions put them."""
    parent = _object(_object(invoice.get("parent")).get("subscription_details"))
    details = _object(invoice.get("subscription_details"))
    return (
        _optional_id(parent.get("subscription") or invoice.get("subscription")),
        _metadata(parent.get("metadata") or details.get("metadata")),
    )


def _matches(target, event_id, reasons):
    if reasons:
        services.payment_mismatch_record(target=target, event_id=event_id, reasons=reasons)
    return not reasons


def checkout_session_completed(session, *, event_id=""):
    metadata = _metadata(session.get("metadata"))
    subscription_id = _optional_id(session.get("subscription"))
    payment_id = _optional_id(session.get("payment_intent"))
    recurring = session.get("mode") == "subscription"
    donation = (
        _recurring_donation_from_metadata(metadata)
        if recurring
        else _donation_from_metadata(metadata)
    )
    reasons = donation.payment_mismatches(
        amount=session.get("amount_total"),
        currency=session.get("currency"),
        session_id=session.get("id") or "",
        subscription_id=subscription_id,
    )
    if not _matches(donation, event_id, reasons):
        return
    if recurring:
        # The gift itself completes on the first invoice.paid, which carries its payment id.
        services.donation_link_subscription(donation=donation, subscription_id=_id(subscription_id))
    elif session.get("payment_status") == "paid":
        services.donation_confirm(donation=donation, payment_id=payment_id)


def invoice_paid(invoice, *, event_id=""):
    subscription_id, metadata = _invoice_subscription(invoice)
    if not subscription_id:
        return
    payment_id = _id(invoice.get("id"))
    amount, currency = invoice.get("amount_paid"), invoice.get("currency")
    if invoice.get("billing_reason") == "subscription_create":
        donation = _recurring_donation_from_metadata(metadata)
        reasons = donation.payment_mismatches(
            amount=amount, currency=currency, subscription_id=subscription_id
        )
        if _matches(donation, event_id, reasons):
            services.donation_confirm(
                donation=donation, payment_id=payment_id, subscription_id=subscription_id
            )
        return
    subscription = Subscription.objects.filter(provider_subscription_id=subscription_id).first()
    if subscription is None:
        donation = _recurring_donation_from_metadata(metadata)
        subscription = services.subscription_for(donation, subscription_id)
    reasons = subscription.payment_mismatches(amount=amount, currency=currency)
    if _matches(subscription, event_id, reasons):
        services.donation_renewal(
            subscription=subscription, payment_id=payment_id, amount=amount, currency=currency
        )


def charge_refunded(charge, *, event_id=""):
    payment_ids = [
        pid
        for pid in (_optional_id(charge.get("payment_intent")), _optional_id(charge.get("invoice")))
        if pid
    ]
    if not charge.get("refunded"):
        return  # a partial refund: the gift stands, staff see it in Stripe
    donation = Donation.objects.filter(provider_payment_id__in=payment_ids).first()
    if donation is None:
        raise NotYetKnown(payment_ids)
    services.donation_refund(donation=donation)


def customer_subscription_deleted(stripe_subscription, *, event_id=""):
    subscription_id = _id(stripe_subscription.get("id"))
    metadata = _metadata(stripe_subscription.get("metadata"))
    subscription = Subscription.objects.filter(provider_subscription_id=subscription_id).first()
    if subscription is None:
        donation = _recurring_donation_from_metadata(metadata)
        subscription = services.subscription_for(donation, subscription_id)
    services.subscription_cancel(subscription=subscription)


HANDLERS = {
    "checkout.session.completed": checkout_session_completed,
    "invoice.paid": invoice_paid,
    "charge.refunded": charge_refunded,
    "customer.subscription.deleted": customer_subscription_deleted,
}
