from django import template
from django.conf import settings

from donations.models import Appeal
from donations.money import SYMBOLS

register = template.Library()


@register.inclusion_tag("donations/includes/_donation_box.html", takes_context=True)
def donation_box(context):
    """The appeal closing every article; its links remember which page the reader came from."""
    appeal = Appeal.objects.current()
    campaign = appeal.campaign if appeal else None
    currency = campaign.currency if campaign else settings.DONATIONS_CURRENCIES[0]
    return {
        "appeal": appeal,
        "amounts": (campaign and campaign.suggested_amounts)
        or settings.DONATIONS_SUGGESTED_AMOUNTS,
        "currency_symbol": SYMBOLS.get(currency, f"{currency} "),
        "source": context["request"].path,
    }
