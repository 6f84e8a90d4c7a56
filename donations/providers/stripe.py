import json
import time

import stripe
from django.conf import settings

from donations.models import Frequency
from donations.money import format_money

# Seconds a signature may be dated away from our clock, either way (Stripe's default).
TOLERANCE = 300


def client():
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
    )


class StripeProvider:
    """Stripe Checkout: payment mode for one-time gifts, subscription mode for recurring ones."""

    name = "stripe"

    def start_checkout(self, *, donation, success_url, cancel_url, idempotency_key):
        metadata = {"donation_id": str(donation.pk)}
        product = {"name": f"Donation {format_money(donation.amount, donation.currency)}"}
        price = {
            "currency": donation.currency.lower(),
            "unit_amount": donation.amount,
            "product_data": product,
        }
        params = {
            "success_url": success_url,
            "cancel_url": cancel_url,
            "customer_email": donation.donor.email,
            "client_reference_id": str(donation.pk),
            "metadata": metadata,
            "line_items": [{"quantity": 1, "price_data": price}],
        }
        if donation.frequency == Frequency.ONCE:
            params["mode"] = "payment"
            params["payment_intent_data"] = {"metadata": metadata}
        else:
            params["mode"] = "subscription"
            price["recurring"] = {"interval": donation.frequency}
            params["subscription_data"] = {"metadata": metadata}
        session = client().v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key})
        donation.provider_session_id = session.id
        return session.url

    @staticmethod
    def verified_event(payload, signature):
        """
        The signed body, parsed from JSON but not yet checked for shape, if Stripe
        signed it with our webhook secret within five minutes of our clock: the
        library refuses only old signatures, and one dated hours ahead would stay
        replayable until then. Raises ValueError with a short reason otherwise.
        """
        if not settings.STRIPE_WEBHOOK_SECRET:
            # An empty key is still a key: anyone could sign with it and forge payments.
            raise ValueError("webhook not configured")
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=TOLERANCE
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
            raise ValueError("invalid signature") from error
        if _signed_at(signature) > time.time() + TOLERANCE:
            raise ValueError("invalid signature")
        try:
            return json.loads(payload)
        except (ValueError, RecursionError) as error:
            raise ValueError("malformed event: not JSON") from error


def _signed_at(signature):
    """The timestamp the library verified: the header's first "t=" field, as it reads it."""
    return int(next(item.split("=")[1] for item in signature.split(",") if item.startswith("t=")))
