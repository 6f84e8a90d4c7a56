"""
Issue 9, item 1 (donations): campaign and appeal titles, donor names, public
messages and payment method names are text wherever they are shown, to
readers and to staff. Each page is parsed as a browser would, and must hold no
element or attribute the payload tried to add.
"""

from html.parser import HTMLParser

import pytest

from donations.models import Appeal, Donation, Donor, ManualMethod
from tests.donations.test_views import gift, text
from tests.factories import ArticleFactory, CampaignFactory, DonationFactory

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</title><img src=x onerror=alert(1)>",
    "</textarea><img src=x onerror=alert(1)>",
]


class Injected(HTMLParser):
    """Collects what a payload could have added: an <img src=x>, or any on… attribute."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append(tag)
        self.found += [name for name, _value in attrs if name.startswith("on")]


def injected(response):
    assert response.status_code in (200, 400), response.status_code
    parser = Injected()
    parser.feed(text(response))
    return parser.found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_reader_pages_show_titles_names_and_messages_as_text(client, payload):
    campaign = CampaignFactory(name=payload, slug="hostile", pitch=payload, show_donors=True)
    Appeal.objects.update(is_active=False)
    Appeal.objects.create(message=payload, button_label=payload[:60], campaign=campaign)
    method = ManualMethod.objects.create(name=payload, instructions=payload)
    donor = Donor.objects.create(email="x@example.org", name=payload)
    DonationFactory(campaign=campaign, donor=donor, name=payload, public_message=payload)

    pages = {
        "campaign": client.get("/donate/hostile/"),
        "donate": client.get("/donate/"),
        "article": client.get(ArticleFactory().get_absolute_url()),
        "refused form": gift(
            client, "/donate/hostile/", name=payload, public_message=payload, email=payload
        ),  # fmt: skip
    }
    pledge = gift(client, "/donate/hostile/", name=payload, public_message=payload,
                  method=str(method.pk))  # fmt: skip
    pages["pledge thanks"] = client.get(pledge["Location"])
    card = gift(client, "/donate/hostile/", name=payload, email="y@example.org")
    pages["test checkout"] = client.get(card["Location"])
    for where, response in pages.items():
        assert injected(response) == [], where
    assert payload in Donation.objects.values_list(
        "name", flat=True
    )  # kept as typed, shown as text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_revenue_admin_shows_titles_names_and_messages_as_text(revenue_client, payload):
    campaign = CampaignFactory(name=payload, slug="hostile")
    Appeal.objects.create(message=payload, button_label=payload[:60], campaign=campaign)
    method = ManualMethod.objects.create(name=payload, instructions=payload)
    donor = Donor.objects.create(email="x@example.org", name=payload)
    gift = DonationFactory(
        campaign=campaign, donor=donor, name=payload, public_message=payload,
        manual_method=method, source_path=payload, utm={"utm_source": payload},
    )  # fmt: skip
    appeal = Appeal.objects.latest("pk")
    for path in [
        "/admin/donations/donation/", f"/admin/donations/donation/{gift.pk}/change/",
        "/admin/donations/donor/", f"/admin/donations/donor/{donor.pk}/change/",
        "/admin/donations/campaign/", f"/admin/donations/campaign/{campaign.pk}/change/",
        "/admin/donations/appeal/", f"/admin/donations/appeal/{appeal.pk}/change/",
        "/admin/donations/manualmethod/",
    ]:  # fmt: skip
        assert injected(revenue_client.get(path)) == [], path
