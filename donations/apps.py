from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


def check_stripe_webhook_secret(app_configs, **kwargs):
    """Card gifts through Stripe complete only by its signed webhook, which needs the secret."""
    if settings.STRIPE_SECRET_KEY and not settings.STRIPE_WEBHOOK_SECRET:
        return [
            checks.Error(
                "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: no card gift can "
                "complete, since every webhook is refused.",
                hint="Create the webhook endpoint in Stripe (README: Taking donations) and set "
                "its signing secret as STRIPE_WEBHOOK_SECRET.",
                id="donations.E001",
            )
        ]
    return []


class DonationsConfig(AppConfig):
    name = "donations"
    verbose_name = _("Donations")

    def ready(self):
        checks.register(check_stripe_webhook_secret, checks.Tags.security)
