import stripe
from django.conf import settings

from donations.models import Frequency
from donations.money import format_money


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
        The event as plain dicts, if Stripe signed it with our webhook secret;
        raises ValueError otherwise.
        """
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, settings.STRIPE_WEBHOOK_SECRET
            )
        except stripe.SignatureVerificationError as error:
            raise ValueError("bad signature") from error
        return event.to_dict()
