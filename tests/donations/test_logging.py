"""
What an operator's log says at the donations' trust boundaries: one structured
record per refusal or failure, with its reason and keyed fingerprints of the
sender, never the reader's address or email themselves.
"""

import json
import logging
import time

import pytest

from donations.models import Donation
from newsroom.logs import JsonFormatter, fingerprint
from newsroom.network import network_of
from tests.donations.conftest import WEBHOOK_SECRET, stripe_signature
from tests.donations.test_provider_outage import free_port
from tests.donations.test_views import gift

pytestmark = pytest.mark.django_db

ADDRESS = "127.0.0.1"  # the test client's REMOTE_ADDR
EMAIL = "luisa@example.org"


@pytest.fixture(autouse=True)
def _capture(caplog):
    caplog.set_level(logging.INFO, logger="donations")


def logged(caplog, event):
    """The one record of `event`, as its JSON line, checked to name nobody."""
    records = [r for r in caplog.records if getattr(r, "event", None) == event]
    assert len(records) == 1, [r.getMessage() for r in caplog.records]
    line = JsonFormatter().format(records[0])
    assert ADDRESS not in line and EMAIL not in line and "luisa" not in line.lower()
    return records[0], json.loads(line)


def webhook(client, payload, **headers):
    return client.post(
        "/donate/webhooks/stripe/", payload, content_type="application/json", **headers
    )


EVENT = json.dumps({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}})


@pytest.mark.parametrize(
    "signature, reason",
    [
        (None, "missing signature"),
        (stripe_signature(EVENT, secret="whsec_someone_else"), "wrong signature"),
        ("v1=abc", "malformed signature header"),
        ("stale", "stale signature"),
        ("ahead", "signature dated ahead of our clock"),
    ],
)
def test_a_refused_webhook_signature_is_logged_with_its_reason(client, settings, caplog,
                                                                signature, reason):  # fmt: skip
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    if signature in ("stale", "ahead"):
        offset = -600 if signature == "stale" else 600
        signature = stripe_signature(EVENT, timestamp=time.time() + offset)
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
    response = webhook(client, EVENT, **headers)
    assert response.status_code == 400 and response.content == b"invalid signature"
    record, line = logged(caplog, "donations.webhook_refused")
    assert record.levelno == logging.WARNING
    assert line["reason"] == reason
    assert line["client"] == fingerprint(ADDRESS) and len(line["client"]) == 16


def test_a_webhook_without_a_secret_configured_is_logged(client, settings, caplog):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert webhook(client, EVENT, HTTP_STRIPE_SIGNATURE=stripe_signature(EVENT)).status_code == 400
    assert logged(caplog, "donations.webhook_refused")[1]["reason"] == "webhook not configured"


def test_a_signed_but_malformed_event_is_logged(send_signed_body, caplog):
    assert send_signed_body(json.dumps({"id": "evt_1"})).status_code == 400
    assert logged(caplog, "donations.webhook_refused")[1]["reason"] == "malformed event: type"


def test_events_acknowledged_but_not_acted_on_are_logged(send_stripe_event, caplog):
    assert send_stripe_event("customer.created", {"id": "cus_1"}).status_code == 200
    record, line = logged(caplog, "donations.webhook_ignored")
    assert record.levelno == logging.INFO and line["stripe_type"] == "customer.created"
    caplog.clear()

    not_ours = {"id": "cs_1", "metadata": {"donation_id": "not a number"}}
    assert send_stripe_event("checkout.session.completed", not_ours).status_code == 200
    record, line = logged(caplog, "donations.webhook_ignored")
    assert record.levelno == logging.WARNING and line["stripe_event"].startswith("evt_")
    assert "no gift of ours" in line["reason"]


@pytest.mark.parametrize("counted", ["address", "email"])
def test_card_testing_refusals_are_logged_with_fingerprints(client, settings, caplog, counted):
    settings.DONATIONS_ATTEMPTS_PER_HOUR_PER_IP = 3 if counted == "address" else 100
    settings.DONATIONS_ATTEMPTS_PER_HOUR_PER_EMAIL = 3 if counted == "email" else 100
    for _try in range(3):
        assert gift(client, email=EMAIL).status_code == 302
    refused = gift(client, email=EMAIL)
    assert "Too many donation attempts" in refused.content.decode()
    record, line = logged(caplog, "donations.attempts_refused")
    assert record.levelno == logging.WARNING
    assert line["counted"] == counted and line["limit"] == 3
    assert line["client"] == fingerprint(ADDRESS)
    assert line["network"] == fingerprint(network_of(ADDRESS))
    assert line["email"] == fingerprint(EMAIL)
    assert Donation.objects.count() == 3


def test_a_provider_outage_is_logged_once_per_try(client, settings, caplog):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    response = gift(client, email=EMAIL)
    assert response.status_code == 503
    record, line = logged(caplog, "donations.provider_unavailable")
    assert record.levelno == logging.WARNING
    assert line["provider"] == "stripe" and line["donation"] == Donation.objects.get().pk
    assert line["reason"] == "no answer from Stripe (ConnectionError)"
    # Stripe's outage is not our error: no ERROR line per reader's try.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_staff_can_follow_one_sender_across_events(client, settings, caplog):
    """The same address gives the same fingerprint wherever it is logged, for one key."""
    settings.DONATIONS_ATTEMPTS_PER_HOUR_PER_IP = 0
    gift(client, email=EMAIL)
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    webhook(client, EVENT)
    refused = logged(caplog, "donations.attempts_refused")[1]
    assert logged(caplog, "donations.webhook_refused")[1]["client"] == refused["client"]
    settings.SECRET_KEY = "another key"
    assert fingerprint(ADDRESS) != refused["client"]
