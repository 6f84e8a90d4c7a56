"""
What the donations app holds about one person, by email, for their export and
erasure (newsroom.privacy joins it with the other apps).

Erasure keeps every gift and its amount: the accounts, the campaign totals
and the donor counts must not move when a donor asks to be forgotten. Only
what names the person goes. No IP address is stored with a gift.
"""

from decimal import Decimal

from django.db import transaction

from donations.badges import forget_supporters
from donations.models import Donation, Donor
from donations.money import format_money, minor_per_major

ERASED_DOMAIN = "erased.invalid"


def _iso(moment):
    return moment.isoformat() if moment else None


def _money(amount, currency):
    """Minor units as stored, and the same amount in the currency's units, as a string."""
    decimals = len(str(minor_per_major(currency))) - 1
    return {
        "amount_minor_units": amount,
        "amount": str(Decimal(amount).scaleb(-decimals)),
        "currency": currency,
        "shown_as": format_money(amount, currency),
    }


def donor_for(email):
    return Donor.objects.filter(email__iexact=email.strip()).first()


def donor_export(*, email) -> dict | None:
    """The donor record with every gift and recurring gift, or None if the email never gave."""
    donor = donor_for(email)
    if donor is None:
        return None
    donations = donor.donations.select_related("campaign", "manual_method").order_by(
        "created_at", "pk"
    )
    subscriptions = donor.subscriptions.select_related("campaign").order_by("created_at", "pk")
    return {
        "email": donor.email,
        "name": donor.name,
        "shows_supporter_badge": donor.wants_badge,
        "first_seen": _iso(donor.created_at),
        "donations": [
            {
                "id": gift.pk,
                **_money(gift.amount, gift.currency),
                "frequency": gift.frequency,
                "status": gift.status,
                "campaign": gift.campaign.name if gift.campaign else None,
                "provider": gift.provider,
                "manual_method": gift.manual_method.name if gift.manual_method else None,
                "name": gift.name,
                "public_message": gift.public_message,
                "anonymous": gift.is_anonymous,
                "asked_for_badge": gift.wants_badge,
                "came_from": gift.source_path,
                "campaign_tags": gift.utm,
                "created_at": _iso(gift.created_at),
                "completed_at": _iso(gift.completed_at),
                "refunded_at": _iso(gift.refunded_at),
            }
            for gift in donations
        ],
        "recurring_gifts": [
            {
                "id": recurring.pk,
                **_money(recurring.amount, recurring.currency),
                "frequency": recurring.frequency,
                "status": recurring.status,
                "campaign": recurring.campaign.name if recurring.campaign else None,
                "provider": recurring.provider,
                "started_at": _iso(recurring.created_at),
                "cancelled_at": _iso(recurring.cancelled_at),
            }
            for recurring in subscriptions
        ],
    }


def donor_anonymize(*, email) -> tuple[Donor | None, list[int]]:
    """
    Replace the donor's email by one that names no one and reaches no one
    (the .invalid domain never delivers; it stays unique per donor) and clear
    their name, and the name, message and badge wish typed with each gift,
    which is then listed as anonymous. Amounts, currencies, statuses and
    campaigns stay. Returns the donor (None if the email never gave) and the
    ids of their gifts. A second run finds no donor under the email.
    """
    donor = donor_for(email)
    if donor is None:
        return None, []
    Donor.objects.filter(pk=donor.pk).update(
        email=f"donor-{donor.pk}@{ERASED_DOMAIN}", name="", wants_badge=False
    )
    gifts = Donation.objects.filter(donor=donor)
    ids = list(gifts.values_list("pk", flat=True))
    gifts.update(name="", public_message="", wants_badge=False, is_anonymous=True)
    # The cached set of supporters holds the old email in clear until it is rebuilt.
    transaction.on_commit(forget_supporters)
    donor.refresh_from_db()
    return donor, ids
