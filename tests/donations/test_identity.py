"""
Issue 9, item 2: a stranger typing a donor's email must not rename the donor,
opt them into the Supporter badge, or put words in their mouth on a public list.

Choice: a paid gift proves a payment, not that the payer owns the email. So
public lists show each paid gift under the name typed for that gift, and the
donor record (seen by revenue staff only) learns the name and badge wish of its
latest paid gift. The badge opt-in from a paid gift is kept: the donor record
is keyed by email, and a gift to us in someone's name is a real gift.
"""

import re

import pytest
from django.core import mail

from donations.badges import supporter_badges
from donations.models import Donation, Donor, ManualMethod
from tests.donations.test_views import form_fields, text
from tests.factories import CampaignFactory, DonationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory(name="Keep the lights on", slug="lights", show_donors=True)


@pytest.fixture
def victim(campaign):
    donor = Donor.objects.create(email="victim@example.org", name="Valentina Ruiz")
    DonationFactory(campaign=campaign, donor=donor, name="Valentina Ruiz", public_message="Bravo")
    return donor


def strangers_gift(client, **fields):
    """The stranger opens the campaign page and sends the form with the victim's email."""
    page = text(client.get("/donate/lights/"))
    data = {"amount": "10", "frequency": "once", "method": "card", "email": "VICTIM@example.org",
            "name": "Impostor", "wants_badge": "on", "public_message": "I was paid to write this",
            **form_fields(page), **fields}  # fmt: skip
    return client.post("/donate/lights/", data)


def recent_supporters(client):
    page = text(client.get("/donate/lights/"))
    section = page.split('id="recent-donors-title"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<li><strong>([^<]*)</strong>(?::\s*“([^”]*)”)?</li>", section)


def test_an_unpaid_gift_with_a_donors_email_changes_nothing_anyone_sees(client, victim):
    before = recent_supporters(client)
    response = strangers_gift(client)
    assert response.status_code == 302  # the stranger is sent to checkout, and never pays

    victim.refresh_from_db()
    assert (victim.name, victim.wants_badge) == ("Valentina Ruiz", False)
    assert Donor.objects.count() == 1  # "VICTIM@" is the same donor, not a new one
    pending = Donation.objects.get(status=Donation.Status.PENDING)
    assert (pending.name, pending.wants_badge, pending.donor) == ("Impostor", True, victim)
    assert recent_supporters(client) == before == [("Valentina Ruiz", "Bravo")]
    assert supporter_badges(["victim@example.org"]) == {}


def test_a_paid_gift_is_listed_under_its_own_name_and_brings_the_badge(
    client, victim, django_capture_on_commit_callbacks
):
    checkout = strangers_gift(client)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(checkout, {"outcome": "complete"})

    assert recent_supporters(client) == [
        ("Impostor", "I was paid to write this"),
        ("Valentina Ruiz", "Bravo"),
    ]
    victim.refresh_from_db()
    assert (victim.name, victim.wants_badge) == ("Impostor", True)
    assert supporter_badges(["victim@example.org"]) == {"victim@example.org": ["Supporter"]}
    assert mail.outbox[0].body.splitlines()[0] == "Dear Impostor,"


def test_a_pledge_teaches_the_donor_only_when_staff_mark_it_received(
    client, victim, revenue_client
):
    method = ManualMethod.objects.create(name="Zelle", instructions="Send to pay@example.org")
    strangers_gift(client, method=str(method.pk))
    victim.refresh_from_db()
    assert (victim.name, victim.wants_badge) == ("Valentina Ruiz", False)

    pledge = Donation.objects.get(status=Donation.Status.PENDING)
    revenue_client.post(
        "/admin/donations/donation/", {"action": "mark_received", "_selected_action": [pledge.pk]}
    )
    victim.refresh_from_db()
    assert (victim.name, victim.wants_badge) == ("Impostor", True)


def test_renewals_keep_the_name_and_anonymity_chosen_at_the_start(client, send_stripe_event):
    campaign = CampaignFactory(slug="monthly", show_donors=True)
    donor = Donor.objects.create(email="quiet@example.org", name="Public Name")
    gift = DonationFactory(
        donor=donor, campaign=campaign, status=Donation.Status.PENDING, completed_at=None,
        provider="stripe", frequency="month", amount=1000, name="", is_anonymous=True,
        provider_session_id="cs_quiet",
    )  # fmt: skip
    invoice = {
        "id": "in_first", "object": "invoice", "billing_reason": "subscription_create",
        "amount_paid": 1000, "currency": "usd",
        "parent": {"subscription_details": {
            "subscription": "sub_quiet", "metadata": {"donation_id": str(gift.pk)}}},
    }  # fmt: skip
    send_stripe_event("invoice.paid", invoice)
    send_stripe_event(
        "invoice.paid", {**invoice, "id": "in_2", "billing_reason": "subscription_cycle"}
    )

    renewal = Donation.objects.get(provider_payment_id="in_2")
    assert renewal.status == Donation.Status.COMPLETED
    assert (renewal.is_anonymous, renewal.name) == (True, "")
    assert "recent-donors" not in text(client.get("/donate/monthly/"))
