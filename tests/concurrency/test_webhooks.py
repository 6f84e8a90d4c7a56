"""
Stripe delivers an event at least once, and after a timeout of ours it sends
it again while the first delivery may still be running: here fifty deliveries
of one genuinely signed event arrive at the webhook at the same instant.
"""

import json

import pytest
from django.core import mail
from django.test import Client

from donations.models import Campaign, Donation, ProcessedEvent
from newsroom.models import AuditEntry
from tests.concurrency.conftest import together
from tests.donations.conftest import WEBHOOK_SECRET, stripe_signature
from tests.factories import CampaignFactory, DonationFactory

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

DELIVERIES = 50


def raised(campaign):
    return Campaign.objects.with_progress().get(pk=campaign.pk).raised


def test_fifty_deliveries_of_one_event_record_one_gift_one_total_one_receipt(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    campaign = CampaignFactory()
    DonationFactory(campaign=campaign, amount=10_000)
    gift = DonationFactory(
        campaign=campaign, status=Donation.Status.PENDING, completed_at=None,
        provider="stripe", provider_session_id="cs_crowd", amount=2500,
    )  # fmt: skip
    assert raised(campaign) == 10_000
    event = json.dumps(
        {
            "id": "evt_crowd",
            "object": "event",
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "id": "cs_crowd",
                    "object": "checkout.session",
                    "mode": "payment",
                    "payment_status": "paid",
                    "payment_intent": "pi_crowd",
                    "amount_total": 2500,
                    "currency": "usd",
                    "metadata": {"donation_id": str(gift.pk)},
                }
            },
        }
    )

    def deliver():
        return (
            Client()
            .post(
                "/donate/webhooks/stripe/",
                event,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=stripe_signature(event),
            )
            .status_code
        )

    answers = together([deliver] * DELIVERIES)

    # Every delivery is acknowledged, so Stripe stops sending it.
    assert answers == [200] * DELIVERIES
    assert ProcessedEvent.objects.filter(event_id="evt_crowd").count() == 1
    gift.refresh_from_db()
    assert gift.status == Donation.Status.COMPLETED and gift.provider_payment_id == "pi_crowd"
    assert Donation.objects.completed().filter(campaign=campaign).count() == 2
    assert raised(campaign) == 12_500
    assert AuditEntry.objects.filter(action="donation.completed").count() == 1
    receipts = [message for message in mail.outbox if gift.donor.email in message.to]
    assert len(receipts) == 1 and "$25" in receipts[0].body
