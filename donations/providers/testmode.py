from django.core import signing
from django.urls import reverse

SALT = "donations.test-checkout"


class TestModeProvider:
    """A checkout page on this site, clearly marked TEST MODE, that completes or fails the gift."""

    name = "test"

    def start_checkout(self, *, donation, success_url, cancel_url, idempotency_key):
        donation.provider_session_id = f"test_{idempotency_key}"
        token = signing.dumps(donation.pk, salt=SALT)
        return reverse("donations:test_checkout", args=[token])

    @staticmethod
    def donation_id(token):
        return signing.loads(token, salt=SALT, max_age=24 * 3600)
