"""
Issue 9, item 6: a donation export opened in a spreadsheet must not run what a
reader typed. Text cells starting with = + - @ tab or CR get a leading quote
(OWASP), our own numbers stay numbers, and campaign tags are checked before
they are ever stored.
"""

import csv
import io

import pytest

from donations.models import Donation
from tests.donations.test_views import form_fields, text
from tests.factories import CampaignFactory, DonationFactory, DonorFactory

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example","x")'
DDE = "=cmd|' /C calc'!A0"


def export(revenue_client, gifts):
    response = revenue_client.post(
        "/admin/donations/donation/",
        {"action": "export_csv", "_selected_action": [g.pk for g in gifts]},
    )
    assert response["Content-Type"] == "text/csv"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_formula_typed_on_the_donate_page_is_inert_in_the_export(client, revenue_client):
    query = {"utm_source": DDE, "utm_medium": "email", "utm_campaign": "@SUM(A1:A9)"}
    page = text(client.get("/donate/", query))
    data = {"amount": "10", "frequency": "once", "method": "card", "name": HYPERLINK,
            "email": "luisa@example.org", **form_fields(page), "utm_source": DDE}  # fmt: skip
    assert client.post("/donate/", data).status_code == 302
    gift = Donation.objects.get()
    assert gift.utm == {"utm_medium": "email"}  # the formulas were never stored

    [row] = export(revenue_client, [gift])
    assert row["name"] == "'" + HYPERLINK
    assert (row["utm_source"], row["utm_medium"], row["utm_campaign"]) == ("", "email", "")
    assert row["amount"] == "1000" and row["id"] == str(gift.pk)


@pytest.mark.parametrize(
    "typed", [HYPERLINK, DDE, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
              "\t=1+1", "\r=1+1"],
)  # fmt: skip
def test_every_text_column_is_neutralised(revenue_client, typed):
    """Gifts stored before the check, or text from staff: still inert when exported."""
    gift = DonationFactory(
        name=typed, donor=DonorFactory(email="x@example.org", name=typed),
        campaign=CampaignFactory(name=typed), source_path=typed,
        utm={"utm_source": typed, "utm_medium": typed, "utm_campaign": typed},
    )  # fmt: skip
    [row] = export(revenue_client, [gift])
    for column in ("name", "campaign", "source_path", "utm_source", "utm_medium", "utm_campaign"):
        assert row[column] == "'" + typed, column
    assert row["amount"] == "2500" and row["email"] == "x@example.org"


def test_ordinary_values_are_exported_unchanged(revenue_client):
    gift = DonationFactory(name="Ana María", utm={"utm_source": "news-letter_1.0"})
    [row] = export(revenue_client, [gift])
    assert (row["name"], row["utm_source"], row["amount"]) == (
        "Ana María",
        "news-letter_1.0",
        "2500",
    )
