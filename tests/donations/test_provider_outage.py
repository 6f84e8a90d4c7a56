"""
Stripe down, slow, failing or throttling while a reader gives: the form comes
back with what they typed and says nothing was charged; sent again once Stripe
is back, it makes one gift and one checkout.

A real local HTTP server stands in for api.stripe.com and keeps its idempotency
rules: what it answered under a key it answers again (a saved 5xx included, as
Stripe's API v1 does, marked `Idempotent-Replayed: true`), while a throttled or
edge failure saves nothing.
"""

import json
import logging
import re
import socket
import threading
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from donations.models import Campaign, Donation
from donations.providers.stripe import KEYS_PER_CHECKOUT
from newsroom.logs import JsonFormatter
from tests.donations.conftest import FakeStripeAPI
from tests.donations.test_views import form_fields, text
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

UNAVAILABLE = "Our card processor is not answering. Nothing was charged. Please try again"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StripeAPI(FakeStripeAPI):
    """Checkout Session creation as Stripe answers it, in the fault the test chose."""

    def do_POST(self):
        fake = self.server.fake
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        key = self.headers.get("Idempotency-Key", "")
        with fake.lock:
            fake.requests.append({"key": key, "form": parse_qs(body)})
            fault = fake.fault if fake.faults_left > 0 else None
            fake.faults_left -= 1
        if fault == "slow":
            # The answer comes after the caller gave up; the session is made all the same.
            fake.released.wait(timeout=5)
        elif fault == "throttled":  # Stripe's rate limiter runs before its idempotency layer
            return self.answer(429, {"error": {"type": "rate_limit_error", "message": "Slow down"}})
        elif fault == "edge":  # a load balancer's answer: Stripe never saw the request
            return self.answer(503, "<html>Service Unavailable</html>")
        with fake.lock:
            if key in fake.saved:
                status, answer = fake.saved[key]
                return self.answer(status, answer, {"Idempotent-Replayed": "true"})
            if fault in ("saved_500", "replayed_500"):
                answer = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
                fake.saved[key] = (500, answer)
                # Stripe may leave out Should-Retry: its library then sends the same key again.
                advice = {"Stripe-Should-Retry": "false"} if fault == "saved_500" else {}
                return self.answer(500, answer, advice)
            if fault == "invalid":
                answer = {"error": {"type": "invalid_request_error", "code": "email_invalid",
                                    "param": "customer_email", "message": "Invalid email: "
                                    + parse_qs(body)["customer_email"][0]}}  # fmt: skip
                fake.saved[key] = (400, answer)
                return self.answer(400, answer)
            session_id = f"cs_test_{len(fake.sessions) + 1}"
            fake.sessions.append(session_id)
            answer = {"id": session_id, "object": "checkout.session",
                      "url": f"https://checkout.stripe.test/c/pay/{session_id}"}  # fmt: skip
            fake.saved[key] = (200, answer)
        return self.answer(200, answer)

    def answer(self, status, answer, headers=None):
        body = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
        try:
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the caller stopped waiting: so does Stripe


class FakeStripe:
    """One Stripe account's API at a fixed address, that can be down, then up."""

    def __init__(self):
        self.port = free_port()
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.requests, self.sessions, self.saved = [], [], {}
        self.fault, self.faults_left = None, 0
        self.server = None

    def fail(self, fault, times=10**6):
        self.fault, self.faults_left = fault, times

    def recover(self):
        self.faults_left = 0
        self.released.set()

    def up(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), StripeAPI)
        self.server.fake = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        self.released.set()
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def stripe_api(settings):
    fake = FakeStripe()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{fake.port}"
    settings.STRIPE_CONNECT_TIMEOUT = settings.STRIPE_TIMEOUT = 0.3
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    # Each try of the reader reaches Stripe here; test_provider_breaker covers the pause.
    settings.STRIPE_PAUSE_AFTER_FAILURE_SECONDS = 0
    yield fake
    fake.down()


@pytest.fixture
def campaign():
    return CampaignFactory(slug="lights", goal=100_000)


def filled_form(client):
    page = text(client.get("/donate/"))
    return {"amount": "10", "frequency": "once", "email": "luisa@example.org", "name": "Luisa",
            "method": "card", **form_fields(page)}  # fmt: skip


def raised():
    return Campaign.objects.with_progress().get().raised


def events(caplog, event):
    return [r for r in caplog.records if getattr(r, "event", None) == event]


def assert_told_and_kept(response, sent):
    """The reader sees why, and the same form with what they typed, ready to send again."""
    page = text(response)
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert UNAVAILABLE in page
    assert 'value="luisa@example.org"' in page and 'value="Luisa"' in page
    assert re.search(r'value="10"[^>]*checked', page)
    assert form_fields(page)["checkout_key"] == sent["checkout_key"]


@pytest.mark.parametrize(
    "fault, sent_during_outage, keys",
    [
        ("down", 0, [""]),  # nothing listens: refused, tried again once
        ("slow", 4, [""]),  # answers after our timeout: tried again once, under the same key
        ("edge", 4, [""]),  # a 503 from Stripe's edge saves nothing: tried again once
        ("throttled", 2, [""]),  # a 429 is not tried again at once: the reader does, later
        # Stripe replays the 500 it saved under a key: each try of the reader moves on a key,
        # passing a spent one with a single send.
        ("saved_500", 3, ["", "-2", "-3"]),
    ],
)
def test_an_outage_shows_the_form_again_and_the_same_form_later_gives_once(
    client, stripe_api, campaign, send_stripe_event, fault, sent_during_outage, keys
):
    if fault != "down":
        stripe_api.fail(fault)
        stripe_api.up()
    sent = filled_form(client)

    for _attempt in range(2):  # the reader tries again while Stripe is still out
        assert_told_and_kept(client.post("/donate/", sent), sent)
        gift = Donation.objects.get()  # one pending gift, met again by the same form
        assert gift.status == Donation.Status.PENDING and gift.provider_session_id is None
        assert raised() == 0
    assert len(stripe_api.requests) == sent_during_outage

    stripe_api.recover()
    if fault == "down":
        stripe_api.up()
    response = client.post("/donate/", sent)

    gift = Donation.objects.get()
    assert len(stripe_api.sessions) == 1
    session_id = stripe_api.sessions[0]
    assert response.status_code == 302
    assert response["Location"] == f"https://checkout.stripe.test/c/pay/{session_id}"
    assert gift.provider_session_id == session_id
    key = f"checkout-{sent['checkout_key']}"
    assert {r["key"] for r in stripe_api.requests} == {key + suffix for suffix in keys}
    assert stripe_api.saved[key + keys[-1]][1]["id"] == session_id

    paid = {"id": session_id, "object": "checkout.session", "mode": "payment",
            "payment_status": "paid", "payment_intent": "pi_1", "amount_total": 1000,
            "currency": "usd", "metadata": {"donation_id": str(gift.pk)}}  # fmt: skip
    assert send_stripe_event("checkout.session.completed", paid).status_code == 200
    assert Donation.objects.get().status == Donation.Status.COMPLETED and raised() == 1000


def test_one_failure_at_stripes_edge_is_retried_under_the_same_key_unnoticed(client, stripe_api):
    stripe_api.fail("edge", times=1)
    stripe_api.up()
    sent = filled_form(client)
    response = client.post("/donate/", sent)
    assert response.status_code == 302 and stripe_api.sessions == ["cs_test_1"]
    assert [r["key"] for r in stripe_api.requests] == [f"checkout-{sent['checkout_key']}"] * 2


def test_retries_are_bounded_by_the_setting(client, stripe_api, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_api.fail("edge")
    stripe_api.up()
    assert client.post("/donate/", filled_form(client)).status_code == 503
    assert len(stripe_api.requests) == 1


def test_a_checkout_stripe_refuses_is_a_clear_message_and_a_fresh_form(client, stripe_api, caplog):
    stripe_api.fail("invalid")
    stripe_api.up()
    sent = filled_form(client)
    response = client.post("/donate/", sent)
    page = text(response)
    assert response.status_code == 400
    assert "Our card processor could not start this payment, and nothing was charged." in page
    assert 'value="luisa@example.org"' in page
    # Stripe keeps its 400 for that key: the corrected form is a new attempt.
    assert form_fields(page)["checkout_key"] != sent["checkout_key"]
    assert Donation.objects.get().status == Donation.Status.PENDING and not stripe_api.sessions
    # Staff learn Stripe's codes; Stripe's message, which quotes the reader, stays out.
    [record] = [
        r for r in caplog.records if getattr(r, "event", "") == "donations.provider_refused"
    ]
    assert record.levelno == logging.ERROR
    assert (
        record.reason == "HTTP 400 from Stripe: invalid_request_error email_invalid customer_email"
    )
    assert "luisa" not in JsonFormatter().format(record)

    stripe_api.recover()
    again = client.post("/donate/", {**sent, **form_fields(page)})
    assert again.status_code == 302 and stripe_api.sessions == ["cs_test_1"]


def test_a_500_stripe_replays_to_our_own_retry_is_an_outage_that_spends_one_key(
    client, stripe_api, campaign, send_stripe_event, caplog
):
    """
    Stripe saves its 500 under the key and, without Should-Retry, its library's
    retry meets the replay: that is Stripe failing now, not a key spent before.
    """
    stripe_api.fail("replayed_500")
    stripe_api.up()
    sent = filled_form(client)
    key = f"checkout-{sent['checkout_key']}"

    assert_told_and_kept(client.post("/donate/", sent), sent)
    assert [r["key"] for r in stripe_api.requests] == [key, key]
    [paused] = events(caplog, "donations.provider_paused")
    assert paused.reason == "HTTP 500 from Stripe, saved under this key"

    # Still failing: the spent key is passed once, the next one fails as the first did.
    assert_told_and_kept(client.post("/donate/", sent), sent)
    assert [r["key"] for r in stripe_api.requests[2:]] == [key, f"{key}-2", f"{key}-2"]
    assert not events(caplog, "donations.provider_refused")
    assert Donation.objects.get().status == Donation.Status.PENDING and raised() == 0

    stripe_api.recover()
    response = client.post("/donate/", sent)
    assert response.status_code == 302
    assert stripe_api.sessions == ["cs_test_1"]
    assert response["Location"] == "https://checkout.stripe.test/c/pay/cs_test_1"
    assert [r["key"] for r in stripe_api.requests[5:]] == [key, f"{key}-2", f"{key}-3"]
    gift = Donation.objects.get()
    assert gift.status == Donation.Status.PENDING and gift.provider_session_id == "cs_test_1"

    paid = {"id": "cs_test_1", "object": "checkout.session", "mode": "payment",
            "payment_status": "paid", "payment_intent": "pi_1", "amount_total": 1000,
            "currency": "usd", "metadata": {"donation_id": str(gift.pk)}}  # fmt: skip
    assert send_stripe_event("checkout.session.completed", paid).status_code == 200
    assert send_stripe_event("checkout.session.completed", paid).status_code == 200
    assert Donation.objects.get().status == Donation.Status.COMPLETED and raised() == 1000


def test_a_form_whose_keys_stripe_all_failed_is_told_to_retry_and_pauses_no_one(
    client, stripe_api, settings, caplog
):
    """
    Each try of the reader during the outage spends one key; once all are
    spent, Stripe answering only replays is no outage: other donors go on.
    """
    stripe_api.fail("saved_500")
    stripe_api.up()
    sent = filled_form(client)
    for _attempt in range(KEYS_PER_CHECKOUT):
        assert_told_and_kept(client.post("/donate/", sent), sent)
    assert len(events(caplog, "donations.provider_paused")) == KEYS_PER_CHECKOUT

    stripe_api.recover()
    settings.STRIPE_PAUSE_AFTER_FAILURE_SECONDS = 30  # a failure now would stop the next donor
    assert_told_and_kept(client.post("/donate/", sent), sent)
    assert len(stripe_api.requests) == sum(range(1, KEYS_PER_CHECKOUT + 1)) + KEYS_PER_CHECKOUT
    assert not stripe_api.sessions and not events(caplog, "donations.provider_refused")
    spent = events(caplog, "donations.provider_unavailable")[-1]
    assert spent.reason == f"Stripe replayed a failure under all {KEYS_PER_CHECKOUT} keys"
    assert len(events(caplog, "donations.provider_paused")) == KEYS_PER_CHECKOUT

    other = {**filled_form(client), "email": "bea@example.org"}
    assert client.post("/donate/", other).status_code == 302
    assert stripe_api.sessions == ["cs_test_1"]
