"""
Issue 9, items 10 and 12 (donations): malformed input gets a clear form error
or is ignored, never a 500 and never a wrong charge; run on SQLite and on
PostgreSQL, where a value longer than its column is an error, not a truncation.
"""

import re

import pytest
from django.contrib.sessions.models import Session

from donations import services
from donations.models import Donation
from tests.donations.test_views import form_fields, gift, text
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

HUGE = "9" * 400
MALFORMED_AMOUNTS = ["Infinity", "-Infinity", "1e999999", "NaN", "sNaN", "-0", "-10", "1e3",
                     HUGE, "１０", "0x10", "1_000", "10.000.00"]  # fmt: skip


@pytest.mark.parametrize("amount", MALFORMED_AMOUNTS)
def test_a_link_with_a_malformed_amount_shows_the_page_with_nothing_chosen(client, amount):
    response = client.get("/donate/", {"amount": amount})
    assert response.status_code == 200
    page = text(response)
    assert ">Give</button>" in page
    assert not re.search(r'name="amount" value="[^"]*"[^>]*checked', page)


@pytest.mark.parametrize("amount", MALFORMED_AMOUNTS)
def test_a_malformed_typed_amount_is_a_form_error(client, amount):
    response = gift(client, amount="", other_amount=amount)
    assert response.status_code == 400
    assert "Enter an amount such as 25, 25.50, 25,50 or 1,000." in text(
        response
    ) or "Ensure this value has at most 12 characters" in text(response)
    assert not Donation.objects.exists()


@pytest.mark.parametrize("amount", ["Infinity", "1e999999", "NaN", "-0", HUGE])
def test_a_malformed_chosen_amount_is_a_form_error(client, amount):
    response = gift(client, amount=amount)
    assert response.status_code == 400
    assert "Choose one of the amounts, or type another." in text(response)
    assert not Donation.objects.exists()


@pytest.mark.parametrize(
    "typed, minor",
    [("10,00", 1000), ("10,50", 1050), ("1,000", 100_000), ("1,000.50", 100_050),
     ("25", 2500), ("25.5", 2550), (" 25.50 ", 2550)],
)  # fmt: skip
def test_amounts_are_read_as_the_reader_means_them(client, typed, minor):
    assert gift(client, amount="", other_amount=typed).status_code == 302
    assert Donation.objects.get().amount == minor


@pytest.mark.parametrize("typed", ["1,5", "10,000,00", "1,0000", "10,5", "1.000", "10,00.5"])
def test_ambiguous_amounts_are_refused_not_guessed(client, typed):
    response = gift(client, amount="", other_amount=typed)
    assert response.status_code == 400
    assert "Enter an amount such as 25, 25.50, 25,50 or 1,000." in text(response)
    assert not Donation.objects.exists()


def test_a_decimal_comma_is_not_read_as_one_in_a_currency_without_cents(client, settings):
    settings.DONATIONS_CURRENCIES = ["JPY"]
    settings.DONATIONS_MIN_AMOUNT = 100
    assert gift(client, amount="", other_amount="10,00", currency="JPY").status_code == 400
    assert gift(client, amount="", other_amount="1,000", currency="JPY").status_code == 302
    assert Donation.objects.get().amount == 1000


def test_the_button_reads_a_decimal_comma_too(client):
    assert ">Give $10.50</button>" in text(gift(client, amount="", other_amount="10,50", email="x"))


LONG_EMAIL = "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 10 + ".org"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"email": LONG_EMAIL}, "Ensure this value has at most 254 characters"),
        ({"name": "N" * 201}, "Ensure this value has at most 200 characters"),
        ({"public_message": "M" * 501}, "Ensure this value has at most 500 characters"),
        ({"email": "luisa\x00@example.org"}, "Please enter a valid email address"),
        ({"name": "Luisa\x00"}, "Null characters are not allowed."),
        ({"amount": "", "other_amount": "10\x00"}, "Null characters are not allowed."),
    ],
)
def test_fields_longer_than_their_columns_are_form_errors(client, fields, message):
    response = gift(client, **fields)
    assert response.status_code == 400
    assert message in text(response)
    assert not Donation.objects.exists()


@pytest.mark.parametrize(
    "key", ["k" * 65, "k" * 5000, "short", "<script>alert(1)</script>xxxxxxxx",
            "a b c d e f g h i j", "abcdefghijklmnop\x00", "ÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀ", ""],
)  # fmt: skip
def test_a_tampered_checkout_key_is_refused_and_the_form_renewed(client, key):
    response = gift(client, checkout_key=key)
    assert response.status_code == 400
    page = text(response)
    assert "This form had expired. Please check your gift and send it again." in page
    assert not Donation.objects.exists()
    fresh = form_fields(page)["checkout_key"]
    assert fresh != key and re.fullmatch(r"[A-Za-z0-9_-]{32}", fresh)
    resent = {"amount": "10", "frequency": "once", "email": "l@example.org", "method": "card",
              **form_fields(page)}  # fmt: skip
    assert client.post("/donate/", resent).status_code == 302
    assert Donation.objects.count() == 1


@pytest.mark.parametrize("source", ["//[", "/x\x00y", "/" + "a" * 600, "/\r\nSet-Cookie: x=1"])
def test_a_malformed_source_is_dropped(client, source):
    page = client.get("/donate/", {"source": source})
    assert page.status_code in (200, 400)  # the site refuses a NUL in any address
    assert "Set-Cookie" not in text(page) and "aaaaa" not in text(page)
    assert gift(client, source=source).status_code in (302, 400)
    assert not Donation.objects.exclude(source_path="").exists()


@pytest.mark.parametrize(
    "changed",
    [{"amount": "25"}, {"amount": "", "other_amount": "1000"}, {"frequency": "month"},
     {"email": "someone-else@example.org"}],
)  # fmt: skip
def test_a_resent_form_with_a_different_gift_is_refused_never_charged_the_old_amount(
    client, fake_stripe, changed
):
    page = text(client.get("/donate/"))
    sent = {"amount": "10", "frequency": "once", "email": "luisa@example.org", "method": "card",
            **form_fields(page)}  # fmt: skip
    assert client.post("/donate/", sent).status_code == 302

    refused = client.post("/donate/", {**sent, **changed})  # the Back button, then a change
    assert refused.status_code == 400
    assert "You had already started a gift of $10 with this form" in text(refused)
    assert list(Donation.objects.values_list("amount", "frequency")) == [(1000, "once")]
    assert len(fake_stripe.requests) == 1

    again = client.post("/donate/", {**sent, **changed, **form_fields(text(refused))})
    assert again.status_code == 302
    assert Donation.objects.count() == 2 and len(fake_stripe.requests) == 2
    newest = Donation.objects.latest("pk")
    sent_to_stripe = fake_stripe.requests[1]["form"]
    assert sent_to_stripe["line_items[0][price_data][unit_amount]"] == [str(newest.amount)]


def test_going_back_to_give_anonymously_is_the_same_gift_shown_as_chosen_last(client, fake_stripe):
    campaign = CampaignFactory(slug="spring", show_donors=True)
    page = text(client.get("/donate/spring/"))
    sent = {"amount": "10", "frequency": "once", "email": "luisa@example.org", "method": "card",
            "name": "Luisa Real Name", "public_message": "Go!", **form_fields(page)}  # fmt: skip
    assert client.post("/donate/spring/", sent).status_code == 302

    changed = {**sent, "is_anonymous": "on", "name": "", "public_message": ""}
    assert client.post("/donate/spring/", changed).status_code == 302
    gift = Donation.objects.get()
    assert (gift.is_anonymous, gift.name, gift.public_message) == (True, "", "")

    services.donation_confirm(donation=gift, payment_id="pi_1")
    supporters = text(client.get("/donate/spring/"))
    assert "Luisa Real Name" not in supporters and "Go!" not in supporters
    assert campaign.donations.get().is_anonymous


def test_a_paid_gift_is_shown_as_the_payment_confirmed_it(client, fake_stripe):
    page = text(client.get("/donate/"))
    sent = {"amount": "10", "frequency": "once", "email": "luisa@example.org", "method": "card",
            "name": "Luisa", **form_fields(page)}  # fmt: skip
    client.post("/donate/", sent)
    services.donation_confirm(donation=Donation.objects.get(), payment_id="pi_1")

    refused = client.post("/donate/", {**sent, "name": "Someone Else"})
    assert refused.status_code == 400
    assert "already been received" in text(refused)
    assert Donation.objects.get().name == "Luisa"


def test_an_anonymous_visit_with_campaign_tags_stores_no_session(client):
    response = client.get("/donate/?utm_source=newsletter&utm_medium=email")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not Session.objects.exists()
    assert form_fields(text(response))["utm_source"] == "newsletter"


def test_only_safe_campaign_tags_reach_the_form_and_the_gift(client):
    query = "utm_source=news-letter_1.0&utm_medium=%3Dcmd%7C%27+%2FC+calc%27%21A0&utm_term=" + (
        "x" * 101
    )
    page = text(client.get(f"/donate/?{query}"))
    assert "cmd" not in page and "x" * 101 not in page
    hidden = form_fields(page)
    tampered = {**hidden, "utm_campaign": "<script>", "utm_content": "@SUM(1+1)"}
    data = {"amount": "10", "frequency": "once", "email": "l@example.org", "method": "card",
            **tampered}  # fmt: skip
    assert client.post("/donate/", data).status_code == 302
    assert Donation.objects.get().utm == {"utm_source": "news-letter_1.0"}


def test_attempts_from_a_stranger_do_not_lock_a_donor_out(client, settings):
    settings.DONATIONS_ATTEMPTS_PER_HOUR_PER_EMAIL = 5
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    for email in ["VICTIM@example.org", "victim@example.org", "Victim@Example.org",
                  " victim@EXAMPLE.org", "VICTIM@EXAMPLE.ORG"]:  # fmt: skip
        page = text(client.get("/donate/", **stranger))
        data = {"amount": "10", "frequency": "once", "email": email, "method": "card",
                **form_fields(page)}  # fmt: skip
        assert client.post("/donate/", data, **stranger).status_code == 302
    page = text(client.get("/donate/", **stranger))
    data = {"amount": "10", "frequency": "once", "email": "vIcTiM@example.org", "method": "card",
            **form_fields(page)}  # fmt: skip
    refused = client.post("/donate/", data, **stranger)
    assert "Too many donation attempts" in text(refused)  # any case counts as the same email

    victim = {"REMOTE_ADDR": "198.51.100.7"}
    page = text(client.get("/donate/", **victim))
    data = {"amount": "10", "frequency": "once", "email": "victim@example.org", "method": "card",
            **form_fields(page)}  # fmt: skip
    assert client.post("/donate/", data, **victim).status_code == 302
    assert Donation.objects.filter(donor__email="victim@example.org").count() == 6


@pytest.mark.parametrize(
    "fields, message",
    [({"frequency": "week"}, "Select a valid choice. week is not one of the available choices."),
     ({"method": "999"}, "Select a valid choice. 999 is not one of the available choices."),
     ({"frequency": "<b>x</b>"}, "&lt;b&gt;x&lt;/b&gt; is not one of the available choices.")],
)  # fmt: skip
def test_a_forged_choice_is_a_visible_form_error(client, fields, message):
    response = gift(client, **fields)
    assert response.status_code == 400
    assert message in text(response)
    assert not Donation.objects.exists()


def test_a_forged_source_or_tag_is_dropped_not_a_reason_to_refuse_the_gift(client):
    response = gift(client, source="/a\x00b", utm_source="news\x00letter", utm_medium="email")
    assert response.status_code == 302
    assert Donation.objects.get().utm == {"utm_medium": "email"}
    assert Donation.objects.get().source_path == ""


def test_the_form_of_a_paid_gift_sent_again_opens_no_second_checkout(client, fake_stripe):
    page = text(client.get("/donate/"))
    sent = {"amount": "10", "frequency": "once", "email": "luisa@example.org", "method": "card",
            "name": "Luisa", **form_fields(page)}  # fmt: skip
    client.post("/donate/", sent)
    services.donation_confirm(donation=Donation.objects.get(), payment_id="pi_1")

    again = client.post("/donate/", sent, follow=True)
    assert again.redirect_chain[0][0].startswith("/donate/thanks/")
    assert len(fake_stripe.requests) == 1
    assert Donation.objects.get().status == Donation.Status.COMPLETED


def test_card_testers_cannot_spread_over_their_ipv6_network(client, settings):
    """One IPv6 subscriber holds a /64: its addresses share one attempt limit."""
    settings.DONATIONS_ATTEMPTS_PER_HOUR_PER_IP = 3
    statuses = []
    for host in range(1, 6):
        page = text(client.get("/donate/"))
        data = {"amount": "10", "frequency": "once", "email": f"t{host}@example.org",
                "method": "card", **form_fields(page)}  # fmt: skip
        response = client.post("/donate/", data, REMOTE_ADDR=f"2001:db8:1:2::{host}")
        statuses.append(response.status_code)
    assert statuses == [302, 302, 302, 400, 400]
    assert Donation.objects.count() == 3
    other_network = client.post(
        "/donate/",
        {"amount": "10", "frequency": "once", "email": "x@example.org", "method": "card",
         **form_fields(text(client.get("/donate/")))},
        REMOTE_ADDR="2001:db8:1:3::1",
    )  # fmt: skip
    assert other_network.status_code == 302
