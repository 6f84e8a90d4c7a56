"""
What each Stripe event means for our gifts. Every handler is idempotent on
Stripe's own ids, so retries and out-of-order deliveries end in one state.

A confirmation completes a gift only when its amount, currency, checkout and
recurring gift are the ones we stored; otherwise it is logged and refused
(answered 2xx: the same signed event will never match, so a retry helps nobody).
"""

from donations import services
from donations.models import Donation, Subscription


class NotYetKnown(Exception):
    """The event refers to a gift we have not recorded yet; Stripe will deliver it again."""


def _donation_from_metadata(metadata):
    donation_id = str((metadata or {}).get("donation_id") or "")
    donation = None
    if donation_id.isdigit() and len(donation_id) < 19:
        donation = (
            Donation.objects.select_related("donor", "subscription").filter(pk=donation_id).first()
        )
    if donation is None:
        raise NotYetKnown(donation_id)
    return donation


def _invoice_subscription(invoice):
    """The subscription id and metadata, where old and new Stripe API versions put them."""
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    details = invoice.get("subscription_details") or {}
    return (
        parent.get("subscription") or invoice.get("subscription"),
        parent.get("metadata") or details.get("metadata") or {},
    )


def _matches(target, event_id, reasons):
    if reasons:
        services.payment_mismatch_record(target=target, event_id=event_id, reasons=reasons)
    return not reasons


def checkout_session_completed(session, *, event_id=""):
    donation = _donation_from_metadata(session.get("metadata"))
    reasons = donation.payment_mismatches(
        amount=session.get("amount_total"),
        currency=session.get("currency"),
        session_id=session.get("id") or "",
        subscription_id=session.get("subscription"),
    )
    if not _matches(donation, event_id, reasons):
        return
    if session.get("mode") == "subscription":
        # The gift itself completes on the first invoice.paid, which carries its payment id.
        services.donation_link_subscription(
            donation=donation, subscription_id=session["subscription"]
        )
    elif session.get("payment_status") == "paid":
        services.donation_confirm(donation=donation, payment_id=session.get("payment_intent"))


def invoice_paid(invoice, *, event_id=""):
    subscription_id, metadata = _invoice_subscription(invoice)
    if not subscription_id:
        return
    amount, currency = invoice.get("amount_paid"), invoice.get("currency")
    if invoice.get("billing_reason") == "subscription_create":
        donation = _donation_from_metadata(metadata)
        reasons = donation.payment_mismatches(
            amount=amount, currency=currency, subscription_id=subscription_id
        )
        if _matches(donation, event_id, reasons):
            services.donation_confirm(
                donation=donation, payment_id=invoice["id"], subscription_id=subscription_id
            )
        return
    subscription = Subscription.objects.filter(provider_subscription_id=subscription_id).first()
    if subscription is None:
        subscription = services.subscription_for(_donation_from_metadata(metadata), subscription_id)
    reasons = subscription.payment_mismatches(amount=amount, currency=currency)
    if _matches(subscription, event_id, reasons):
        services.donation_renewal(
            subscription=subscription, payment_id=invoice["id"], amount=amount, currency=currency
        )


def charge_refunded(charge, *, event_id=""):
    if not charge.get("refunded"):
        return  # a partial refund: the gift stands, staff see it in Stripe
    payment_ids = [pid for pid in (charge.get("payment_intent"), charge.get("invoice")) if pid]
    donation = Donation.objects.filter(provider_payment_id__in=payment_ids).first()
    if donation is None:
        raise NotYetKnown(payment_ids)
    services.donation_refund(donation=donation)


def customer_subscription_deleted(stripe_subscription, *, event_id=""):
    subscription = Subscription.objects.filter(
        provider_subscription_id=stripe_subscription["id"]
    ).first()
    if subscription is None:
        donation = _donation_from_metadata(stripe_subscription.get("metadata"))
        subscription = services.subscription_for(donation, stripe_subscription["id"])
    services.subscription_cancel(subscription=subscription)


HANDLERS = {
    "checkout.session.completed": checkout_session_completed,
    "invoice.paid": invoice_paid,
    "charge.refunded": charge_refunded,
    "customer.subscription.deleted": customer_subscription_deleted,
}
