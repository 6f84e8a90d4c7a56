import re

import pytest
from django.core import mail
from django.utils import timezone

from donations.models import Donation, Donor, ManualMethod
from tests.factories import ArticleFactory, CampaignFactory, DonationFactory

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def form_fields(page):
    """The hidden inputs the page hands the browser, sent back as the browser would."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


def gift(client, path="/donate/", **fields):
    """Open the donate page and send its form as a reader would."""
    page = text(client.get(path))
    data = {"amount": "10", "frequency": "once", "email": "luisa@example.org", "name": "Luisa",
            "method": "card", **form_fields(page), **fields}  # fmt: skip
    return client.post(path, data)


@pytest.fixture
def campaign():
    return CampaignFactory(name="Keep the lights on", slug="lights", goal=100_000)


def test_donate_page_shows_pitch_progress_amounts_and_one_time_by_default(client, campaign):
    DonationFactory(campaign=campaign, amount=25_000)
    DonationFactory(campaign=campaign, amount=5_000)
    page = text(client.get("/donate/"))
    assert "Keep the lights on" in page and "Help us report." in page
    assert '<progress max="100000" value="30000"' in page
    assert "$300</strong> raised of $1,000" in page and "2 donors" in page
    for amount in (5, 10, 25):
        assert f'value="{amount}"' in page
    assert re.search(r'value="once"[^>]*checked', page)
    assert not re.search(r'value="month"[^>]*checked', page)


def test_the_button_says_how_often(client, campaign):
    assert ">Give $10</button>" in text(client.get("/donate/?amount=10"))
    assert ">Give $10 / month</button>" in text(client.get("/donate/?amount=10&frequency=month"))


def test_a_gift_goes_to_checkout_and_completes_only_on_confirmation(
    client, campaign, django_capture_on_commit_callbacks
):
    response = gift(client, source="/2016/10/28/peru-takes-the-lead/")
    donation = Donation.objects.get()
    assert response.status_code == 302 and "/donate/test-checkout/" in response["Location"]
    assert donation.status == Donation.Status.PENDING and donation.amount == 1000
    assert donation.source_path == "/2016/10/28/peru-takes-the-lead/"
    thanks = client.get("/donate/thanks/?gift=x")
    assert thanks.status_code == 200
    donation.refresh_from_db()
    assert donation.status == Donation.Status.PENDING  # returning completes nothing

    checkout = text(client.get(response["Location"]))
    assert "TEST MODE" in checkout and "$10, one time" in checkout
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response["Location"], {"outcome": "complete"}, follow=True)
    assert "Your gift of $10 (one time) is confirmed." in text(done)
    donation.refresh_from_db()
    assert donation.status == Donation.Status.COMPLETED
    receipt = mail.outbox[0]
    assert receipt.to == ["luisa@example.org"] and "Amount: $10" in receipt.body
    assert "$10</strong> raised" in text(client.get("/donate/"))


def test_monthly_gift_receipt_says_how_to_cancel(client, django_capture_on_commit_callbacks):
    location = gift(client, frequency="month")["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(location, {"outcome": "complete"})
    donation = Donation.objects.get()
    assert donation.subscription.frequency == "month"
    assert "Frequency: Monthly" in mail.outbox[0].body and "To cancel" in mail.outbox[0].body


def test_a_failed_test_payment_is_recorded_and_said(client):
    location = gift(client)["Location"]
    page = text(client.post(location, {"outcome": "fail"}, follow=True))
    assert "did not go through" in page
    assert Donation.objects.get().status == Donation.Status.FAILED


def test_double_click_makes_one_gift(client, time_machine):
    # Both clicks in one instant: the checkout link is signed with the time it was made.
    time_machine.move_to(timezone.now(), tick=False)
    page = text(client.get("/donate/"))
    data = {"amount": "25", "frequency": "once", "email": "a@example.org", "method": "card",
            **form_fields(page)}  # fmt: skip
    first, second = client.post("/donate/", data), client.post("/donate/", data)
    assert first["Location"] == second["Location"]
    assert Donation.objects.count() == 1


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"amount": "", "other_amount": "0.50"}, "Gifts can be from $1 to $10,000."),
        ({"amount": "", "other_amount": "20000"}, "Gifts can be from $1 to $10,000."),
        (
            {"amount": "", "other_amount": "ten"},
            "Enter an amount such as 25, 25.50, 25,50 or 1,000.",
        ),
        (
            {"amount": "", "other_amount": "10.001"},
            "Enter an amount such as 25, 25.50, 25,50 or 1,000.",
        ),
        ({"email": "not-an-email"}, "Please enter a valid email address"),
        ({"currency": "XYZ"}, "We accept gifts in USD."),
        ({"website": "http://spam.example"}, "looks automated"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(client, fields, message):
    response = gift(client, **fields)
    assert response.status_code == 400
    assert message in text(response)
    assert not Donation.objects.exists()


def test_attempts_are_limited_per_address_and_create_no_checkout(client, settings, fake_stripe):
    settings.DONATIONS_ATTEMPTS_PER_HOUR_PER_IP = 2
    for number in range(2):
        assert gift(client, email=f"card{number}@example.org").status_code == 302
    refused = gift(client, email="card3@example.org")
    assert "Too many donation attempts" in text(refused)
    assert Donation.objects.count() == 2 and len(fake_stripe.requests) == 2


def test_stripe_checkout_is_created_with_an_idempotency_key(client, fake_stripe):
    page = text(client.get("/donate/"))
    data = {"amount": "10", "frequency": "month", "email": "a@example.org", "method": "card",
            **form_fields(page)}  # fmt: skip
    first, again = client.post("/donate/", data), client.post("/donate/", data)
    assert first["Location"].startswith("https://checkout.stripe.test/c/pay/cs_test_")
    assert first["Location"] == again["Location"]
    sent = fake_stripe.requests
    assert [r["path"] for r in sent] == ["/v1/checkout/sessions"] * 2
    assert sent[0]["headers"]["Idempotency-Key"] == sent[1]["headers"]["Idempotency-Key"]
    assert sent[0]["headers"]["Authorization"] == "Bearer sk_test_fake"
    form = sent[0]["form"]
    donation = Donation.objects.get()
    assert form["mode"] == ["subscription"]
    assert form["line_items[0][price_data][unit_amount]"] == ["1000"]
    assert form["line_items[0][price_data][currency]"] == ["usd"]
    assert form["line_items[0][price_data][recurring][interval]"] == ["month"]
    assert form["subscription_data[metadata][donation_id]"] == [str(donation.pk)]
    assert donation.provider_session_id.startswith("cs_test_")


def test_one_time_stripe_checkout_is_in_payment_mode(client, fake_stripe):
    gift(client)
    form = fake_stripe.requests[0]["form"]
    assert form["mode"] == ["payment"]
    assert "line_items[0][price_data][recurring][interval]" not in form


def test_test_mode_is_refused_in_production_unless_enabled(client, settings):
    settings.DONATIONS_TEST_PROVIDER = False
    response = gift(client)
    assert "Card payments are not available right now" in text(response)
    assert not Donation.objects.exists()


def test_manual_pledge_shows_instructions_and_waits_for_staff(client):
    method = ManualMethod.objects.create(name="Zelle", instructions="Send to pay@example.org")
    response = client.get(gift(client, method=str(method.pk))["Location"])
    assert "Send to pay@example.org" in text(response)
    donation = Donation.objects.get()
    assert donation.status == Donation.Status.PENDING and donation.manual_method == method


def test_utm_tags_are_kept_with_the_gift(client):
    gift(client, path="/donate/?utm_source=newsletter&utm_campaign=december")
    assert Donation.objects.get().utm == {"utm_source": "newsletter", "utm_campaign": "december"}


def test_outside_addresses_are_not_kept_as_source(client):
    gift(client, source="https://evil.example/x")
    assert Donation.objects.get().source_path == ""


def test_article_box_links_to_the_form_with_amounts_and_the_article(client):
    article = ArticleFactory()
    page = text(client.get(article.get_absolute_url()))
    assert f'href="/donate/?amount=10&amp;source={article.get_absolute_url()}' in page.replace(
        "%2F", "/"
    )


def test_campaign_page_lists_recent_named_donors(client, campaign):
    campaign.show_donors = True
    campaign.save()
    named = Donor.objects.create(email="p@example.org", name="Pedro")
    DonationFactory(campaign=campaign, donor=named, name="Pedro", public_message="Keep going")
    DonationFactory(campaign=campaign, is_anonymous=True, public_message="Secret")
    page = text(client.get("/donate/lights/"))
    assert "Pedro" in page and "Keep going" in page and "Secret" not in page


@pytest.mark.parametrize("gifts", [1, 50])
def test_donate_page_has_a_fixed_query_budget(client, campaign, gifts, django_assert_num_queries):
    DonationFactory.create_batch(gifts, campaign=campaign)
    with django_assert_num_queries(5):
        response = client.get("/donate/lights/")
    assert f"{gifts} donor" in text(response)


def test_test_checkout_is_not_found_where_test_mode_is_off(client, settings):
    location = gift(client)["Location"]
    settings.DONATIONS_TEST_PROVIDER = False
    assert client.get(location).status_code == 404
    assert client.post(location, {"outcome": "complete"}).status_code == 404
    assert Donation.objects.get().status == Donation.Status.PENDING
