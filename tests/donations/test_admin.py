import csv
import io

import pytest
from django.core import mail

from donations.models import Donation, ManualMethod
from tests.factories import CampaignFactory, DonationFactory, DonorFactory

pytestmark = pytest.mark.django_db

DONATIONS = "/admin/donations/donation/"


def test_list_filters_and_totals_what_it_shows(revenue_client):
    campaign = CampaignFactory(name="Winter drive")
    DonationFactory(campaign=campaign, amount=2500)
    DonationFactory(campaign=campaign, amount=10000, frequency="month")
    DonationFactory(amount=999_900, status=Donation.Status.REFUNDED)
    everything = revenue_client.get(DONATIONS).content.decode()
    assert "$10,124" in everything and "3 gifts" in everything
    completed = revenue_client.get(DONATIONS, {"status__exact": "completed"}).content.decode()
    assert "Total of this list: <strong>$125</strong> (2 gifts)" in completed
    monthly = revenue_client.get(DONATIONS, {"frequency__exact": "month"}).content.decode()
    assert "<strong>$100</strong> (1 gift)" in monthly


def test_search_by_email_and_name(revenue_client):
    DonationFactory(donor=DonorFactory(email="luisa@example.org", name="Luisa"))
    DonationFactory(donor=DonorFactory(email="pedro@example.org", name="Pedro"))
    page = revenue_client.get(DONATIONS, {"q": "luisa"}).content.decode()
    assert "luisa@example.org" in page and "pedro@example.org" not in page


def test_csv_export(revenue_client):
    gifts = [DonationFactory(amount=2500), DonationFactory(amount=1000, currency="EUR")]
    response = revenue_client.post(
        DONATIONS, {"action": "export_csv", "_selected_action": [g.pk for g in gifts]}
    )
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted((row["amount"], row["currency"]) for row in rows) == [
        ("1000", "EUR"),
        ("2500", "USD"),
    ]
    assert rows[0]["email"].endswith("@example.org")


def test_amounts_and_provider_references_are_read_only(revenue_client):
    donation = DonationFactory(amount=2500, provider_payment_id="pi_1")
    revenue_client.post(
        f"{DONATIONS}{donation.pk}/change/", {"amount": "1", "provider_payment_id": "pi_2"}
    )
    donation.refresh_from_db()
    assert (donation.amount, donation.provider_payment_id) == (2500, "pi_1")


def test_marking_a_pledge_received_completes_it_like_a_card_payment(
    revenue_client, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory()
    pledge = DonationFactory(
        status=Donation.Status.PENDING,
        completed_at=None,
        provider="manual",
        manual_method=ManualMethod.objects.create(name="Zelle", instructions="..."),
        campaign=campaign,
    )
    card = DonationFactory(status=Donation.Status.PENDING, completed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = revenue_client.post(
            DONATIONS,
            {"action": "mark_received", "_selected_action": [pledge.pk, card.pk]},
            follow=True,
        )
    assert "Completed 1 pledge." in response.content.decode()
    pledge.refresh_from_db()
    card.refresh_from_db()
    assert pledge.status == Donation.Status.COMPLETED and card.status == Donation.Status.PENDING
    assert len(mail.outbox) == 1


def test_donor_list_shows_lifetime_and_gifts(revenue_client):
    donor = DonorFactory(email="loyal@example.org")
    DonationFactory.create_batch(3, donor=donor, amount=1000)
    DonationFactory(donor=donor, amount=5000, status=Donation.Status.REFUNDED)
    page = revenue_client.get("/admin/donations/donor/").content.decode()
    assert "loyal@example.org" in page and "$30" in page


def test_campaign_list_shows_progress(revenue_client):
    campaign = CampaignFactory(goal=10_000)
    DonationFactory(campaign=campaign, amount=2500)
    page = revenue_client.get("/admin/donations/campaign/").content.decode()
    assert "$25 (25%, 1)" in page


def test_only_revenue_staff_see_donations(editor_client, moderator_client, revenue_client):
    assert revenue_client.get(DONATIONS).status_code == 200
    assert revenue_client.get("/admin/donations/donor/").status_code == 200
    assert revenue_client.get("/admin/articles/article/").status_code == 403
    for other in (editor_client, moderator_client):
        assert other.get(DONATIONS).status_code == 403
        assert other.get("/admin/donations/donor/").status_code == 403


@pytest.mark.parametrize("count", [1, 50])
def test_donation_list_has_a_fixed_query_budget(revenue_client, django_assert_num_queries, count):
    DonationFactory.create_batch(count, campaign=CampaignFactory())
    with django_assert_num_queries(12):
        response = revenue_client.get(DONATIONS)
    assert response.status_code == 200
