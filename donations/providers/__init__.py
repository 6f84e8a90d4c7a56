"""
Payment providers: Stripe in production, a local TEST MODE stand-in otherwise.

Both only start checkouts and read the provider's confirmations; what a
confirmation does to a gift is decided once, in donations.services.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class ProviderUnavailable(Exception):
    """
    The provider did not answer, not in time, or asked us to slow down. No
    checkout reached the reader, so nothing can be charged, and the same attempt
    can be sent again: its idempotency key makes a second send safe.
    """


class KeysSpent(ProviderUnavailable):
    """
    The provider answered, but only with failures it saved under every key this
    gift may use: the reader is told to try again like in an outage, while the
    provider, which is answering, is not paused for other donors.
    """


class ProviderRefused(Exception):
    """
    The provider refused the checkout as we asked for it (a 4xx): sent again
    unchanged it would be refused again. The message names no reader.
    """


def get_provider():
    if settings.STRIPE_SECRET_KEY:
        from donations.providers.stripe import StripeProvider

        return StripeProvider()
    if settings.DONATIONS_TEST_PROVIDER:
        from donations.providers.testmode import TestModeProvider

        return TestModeProvider()
    raise ImproperlyConfigured(
        "No payment provider: set STRIPE_SECRET_KEY, or DONATIONS_TEST_PROVIDER=on for a test site."
    )
