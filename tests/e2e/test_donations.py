import re

import pytest
from playwright.sync_api import expect

from donations.models import Appeal, Donation
from tests.factories import ArticleFactory, CampaignFactory, DonationFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _test_mode(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.DONATIONS_TEST_PROVIDER = True


@pytest.fixture
def campaign():
    campaign = CampaignFactory(
        name="Keep the lights on", goal=100_000, suggested_amounts=[5, 10, 25]
    )
    DonationFactory(campaign=campaign, amount=20_000)
    Appeal.objects.create(message="We are 100% reader-supported.", campaign=campaign)
    return campaign


def test_reader_gives_once_from_an_article(site, page, campaign):
    article = ArticleFactory(title="Peru Takes the Lead")
    page.goto(site.url + article.get_absolute_url())
    box = page.get_by_role("complementary").filter(has_text="100% reader-supported")
    box.get_by_role("link", name="$10").click()

    expect(page.get_by_role("heading", name="Keep the lights on")).to_be_visible()
    expect(page.get_by_text("$200 raised of $1,000")).to_be_visible()
    expect(page.get_by_role("radio", name="One time")).to_be_checked()
    page.get_by_role("textbox", name="Name").fill("Luisa")
    page.get_by_role("textbox", name="Email").fill("luisa@example.org")
    page.get_by_role("button", name="Give $10", exact=True).click()

    expect(page.get_by_text("TEST MODE")).to_be_visible()
    page.get_by_role("button", name="Complete test payment").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_text("Your gift of $10 (one time) is confirmed.")).to_be_visible()

    page.goto(f"{site.url}{campaign.get_absolute_url()}")
    expect(page.get_by_text("$210 raised of $1,000")).to_be_visible()
    expect(page.get_by_text("2 donors")).to_be_visible()
    donation = Donation.objects.get(donor__email="luisa@example.org")
    assert donation.source_path == article.get_absolute_url()


def test_reader_gives_monthly_and_the_button_says_so(site, page, campaign):
    page.goto(f"{site.url}/donate/")
    page.get_by_role("radio", name="25").check()
    expect(page.get_by_role("button", name="Give $25", exact=True)).to_be_visible()
    page.get_by_role("radio", name="Monthly").check()
    page.get_by_role("textbox", name="Email").fill("pedro@example.org")
    page.get_by_role("button", name="Give $25 / month").click()
    expect(page.get_by_text(re.compile(r"\$25, monthly"))).to_be_visible()
    page.get_by_role("button", name="Complete test payment").click()
    expect(page.get_by_text("Your gift of $25 (monthly) is confirmed.")).to_be_visible()
    assert Donation.objects.get(donor__email="pedro@example.org").subscription is not None


def test_a_decimal_comma_means_cents_on_the_button_and_at_checkout(site, page, campaign):
    page.goto(f"{site.url}/donate/")
    page.get_by_role("textbox", name="Other amount").fill("10,50")
    page.get_by_role("textbox", name="Email").fill("ana@example.org")
    page.get_by_role("button", name="Give $10.50", exact=True).click()
    expect(page.get_by_text(re.compile(r"\$10\.50, one time"))).to_be_visible()
    assert Donation.objects.get(donor__email="ana@example.org").amount == 1050
