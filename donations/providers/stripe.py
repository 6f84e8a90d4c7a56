import json
import random
import time

import stripe
from django.conf import settings

from donations.models import Frequency
from donations.money import format_money
from donations.providers import KeysSpent, ProviderRefused, ProviderUnavailable
from donations.providers.guard import guard_for

# Seconds a signature may be dated away from our clock, either way (Stripe's default).
TOLERANCE = 300
# Idempotency keys one checkout may use in turn; see _create_session.
KEYS_PER_CHECKOUT = 5


def client():
    """
    Stripe's library waits 80 seconds by default, longer than a server worker
    lives (gunicorn's default timeout is 30), so a slow Stripe would become our
    500. It never sends a request again itself: _send does, under the same
    idempotency key, so Stripe makes at most one checkout however many arrive.
    """
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=0,
        http_client=stripe.RequestsClient(
            timeout=(settings.STRIPE_CONNECT_TIMEOUT, settings.STRIPE_TIMEOUT)
        ),
    )


class WebhookRefused(ValueError):
    """A webhook we will not act on: `str()` is what the sender is told, `reason` what we log."""

    def __init__(self, message, reason=None):
        super().__init__(message)
        self.reason = reason or message


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
        # A slow Stripe must not hold every server thread (donations.providers.guard).
        with guard_for(self.name, settings.STRIPE_API_BASE).checkout(
            limit=settings.STRIPE_MAX_CONCURRENT_CHECKOUTS,
            pause=settings.STRIPE_PAUSE_AFTER_FAILURE_SECONDS,
        ):
            session = _create_session(params, idempotency_key)
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
            raise WebhookRefused("webhook not configured")
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=TOLERANCE
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
            raise WebhookRefused("invalid signature", _signature_fault(signature)) from error
        if _signed_at(signature) > time.time() + TOLERANCE:
            raise WebhookRefused("invalid signature", "signature dated ahead of our clock")
        try:
            return json.loads(payload)
        except (ValueError, RecursionError) as error:
            raise WebhookRefused("malformed event: not JSON") from error


def _signed_at(signature):
    """The timestamp the library verified: the header's first "t=" field, as it reads it."""
    return int(next(item.split("=")[1] for item in signature.split(",") if item.startswith("t=")))


def _signature_fault(signature):
    """
    Why a signature failed, for the log only: the sender is told "invalid
    signature" whatever the cause, as Stripe's own library tells nothing more.
    """
    if not signature:
        return "missing signature"
    try:
        signed_at = _signed_at(signature)
    except (ValueError, IndexError, StopIteration):
        return "malformed signature header"
    if signed_at < time.time() - TOLERANCE:
        return "stale signature"
    return "wrong signature"


def _create_session(params, idempotency_key):
    """
    Stripe's answer, or ProviderUnavailable / ProviderRefused with a short reason.

    Every try for one gift goes out under its own key, so a retry after a lost
    answer gets the session Stripe already made, never a second one. But Stripe
    keeps a 5xx it answered under a key for a day and replays it to every retry:
    a key whose first send in this try is such a replay was spent by an earlier
    try of the reader, and the next key is used. A session that may have been
    made under a spent key is harmless: no reader was ever sent to it.
    """
    for number in range(1, KEYS_PER_CHECKOUT + 1):
        key = idempotency_key if number == 1 else f"{idempotency_key}-{number}"
        try:
            return _send(params, key)
        except _SpentKey:
            continue
    # Stripe answered, with old failures only: no outage, so no pause for other donors.
    raise KeysSpent(f"Stripe replayed a failure under all {KEYS_PER_CHECKOUT} keys")


class _SpentKey(Exception):
    """Stripe replayed, to this try's first send under the key, a 5xx it saved there before."""


def _send(params, key):
    """
    Stripe's answer under one key, sent again after a failure Stripe may not
    have saved, at most STRIPE_MAX_NETWORK_RETRIES times. Stripe's library is
    told not to resend: a saved 5xx replayed to its own resend would look like
    a key spent before, and one try of the reader would spend every key.
    """
    retries = settings.STRIPE_MAX_NETWORK_RETRIES
    for sent in range(retries + 1):
        if sent:
            time.sleep(random.uniform(0.5, 1) * 2 ** (sent - 1))  # as Stripe's library waits
        try:
            return client().v1.checkout.sessions.create(params, {"idempotency_key": key})
        except stripe.APIError as error:
            if error.headers.get("Idempotent-Replayed") == "true" and _status(error) >= 500:
                if not sent:
                    raise _SpentKey from error
                # Our own resend met it: Stripe is failing now, and the reader's next try moves on.
                raise ProviderUnavailable(
                    f"HTTP {_status(error)} from Stripe, saved under this key"
                ) from error
            if sent == retries or not _may_resend(error):
                raise ProviderUnavailable(f"HTTP {_status(error)} from Stripe") from error
        except stripe.APIConnectionError as error:
            if sent == retries or not error.should_retry:
                cause = type(error.__cause__).__name__ if error.__cause__ else "no answer"
                raise ProviderUnavailable(f"no answer from Stripe ({cause})") from error
        except stripe.RateLimitError as error:
            raise ProviderUnavailable(f"HTTP {_status(error)} from Stripe: rate limited") from error
        except stripe.StripeError as error:
            # Stripe's message may quote what the reader typed: only its codes are logged.
            details = (error.json_body or {}).get("error") or {}
            raise ProviderRefused(
                f"HTTP {_status(error)} from Stripe: {details.get('type', '')} "
                f"{details.get('code', '')} {details.get('param', '')}".strip()
            ) from error


def _may_resend(error):
    """Stripe's advice if it gave one; else a 5xx or a conflict may pass on a resend (its rule)."""
    advice = error.headers.get("Stripe-Should-Retry")
    if advice in ("true", "false"):
        return advice == "true"
    return _status(error) >= 500 or _status(error) == 409


def _status(error):
    return error.http_status or 0
