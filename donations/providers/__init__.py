"""
Payment providers: Stripe in production, a local TEST MODE stand-in otherwise.

Both only start checkouts and read the provider's confirmations; what a
confirmation does to a gift is decided once, in donations.services.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


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
