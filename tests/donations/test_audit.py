import pytest

from donations.models import Donation, ManualMethod
from newsroom.models import AuditEntry
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db


def actions():
    return list(AuditEntry.objects.order_by("pk").values_list("action", "actor__username"))


def test_money_events_are_logged_whoever_acts(send_stripe_event, revenue_client):
    gift = DonationFactory(
        status=Donation.Status.PENDING, completed_at=None, provider="stripe",
        provider_session_id="cs_1",
    )  # fmt: skip
    session = {"id": "cs_1", "mode": "payment", "payment_status": "paid",
               "amount_total": 2500, "currency": "usd",
               "payment_intent": "pi_1", "metadata": {"donation_id": str(gift.pk)}}  # fmt: skip
    send_stripe_event("checkout.session.completed", session)
    send_stripe_event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "refunded": True})
    pledge = DonationFactory(
        status=Donation.Status.PENDING, completed_at=None, provider="manual",
        manual_method=ManualMethod.objects.create(name="Zelle", instructions="..."),
    )  # fmt: skip
    revenue_client.post(
        "/admin/donations/donation/", {"action": "mark_received", "_selected_action": [pledge.pk]}
    )
    assert actions() == [
        ("donation.completed", None),
        ("donation.refunded", None),
        ("donation.marked_received", "till"),
    ]
