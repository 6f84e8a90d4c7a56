"""
A slow Stripe costs a few worker threads, not the site: once it failed to
answer, the next donors are told at once without asking it, until one donor's
try after the pause finds it answering; and only a few checkouts per process
wait for it at once.

Stripe is the local fake of test_provider_outage, here hanging: it answers
only after our timeout, or when the test lets it.
"""

import logging
import re
import threading
import time

import pytest

from donations.models import Donation
from donations.providers import ProviderUnavailable, guard
from donations.providers.stripe import StripeProvider
from newsroom.logs import JsonFormatter
from tests.donations.test_provider_outage import UNAVAILABLE, FakeStripe, filled_form
from tests.donations.test_views import text
from tests.factories import DonationFactory
from tests.faults import wait_until

pytestmark = pytest.mark.django_db

TIMEOUT = 1.0  # how long a donor waits for a Stripe that does not answer


@pytest.fixture
def hanging_stripe(settings, monkeypatch):
    monkeypatch.setattr(guard, "_guards", {})  # this process has not met this Stripe yet
    fake = FakeStripe()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{fake.port}"
    settings.STRIPE_CONNECT_TIMEOUT, settings.STRIPE_TIMEOUT = 0.3, TIMEOUT
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.DONATIONS_ATTEMPTS_PER_HOUR_PER_IP = 100
    fake.fail("slow")
    fake.up()
    yield fake
    fake.down()


def donate_form(client, email):
    return {**filled_form(client), "email": email}


def send(client, sent):
    """What the donor is answered, and how many seconds they waited for it."""
    started = time.monotonic()
    response = client.post("/donate/", sent)
    return response, time.monotonic() - started


def assert_told_to_retry(response):
    assert response.status_code == 503 and UNAVAILABLE in text(response)


def events(caplog, event):
    return [r for r in caplog.records if getattr(r, "event", None) == event]


def gifts():
    return sorted(Donation.objects.values_list("donor__email", "status", "provider_session_id"))


def session_for(stripe_api, sent):
    """The one checkout Stripe made for this form's gift."""
    return stripe_api.saved[f"checkout-{sent['checkout_key']}"][1]["id"]


def checkout_in_thread(gift, outcomes):
    """One donor's checkout waiting for Stripe on another server thread."""

    def run():
        try:
            outcomes.append(
                StripeProvider().start_checkout(
                    donation=gift,
                    success_url="https://news.example/thanks/",
                    cancel_url="https://news.example/donate/",
                    idempotency_key=f"checkout-thread-{gift.pk}",
                )
            )
        except ProviderUnavailable as failure:
            outcomes.append(failure)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_once_stripe_did_not_answer_the_next_donors_are_told_at_once_without_asking_it(
    client, hanging_stripe, caplog
):
    first = donate_form(client, "ana@example.org")
    response, waited = send(client, first)
    assert_told_to_retry(response)
    assert waited >= TIMEOUT
    assert len(hanging_stripe.requests) == 1

    for sent in [donate_form(client, f"{name}@example.org") for name in ("bea", "carla")] + [first]:
        response, waited = send(client, sent)
        assert_told_to_retry(response)
        assert waited < 1
    assert len(hanging_stripe.requests) == 1  # Stripe was not asked again

    # One pending gift per donor (Ana's sent twice), none with a checkout.
    assert gifts() == [
        (f"{name}@example.org", Donation.Status.PENDING, None) for name in ("ana", "bea", "carla")
    ]
    [paused] = events(caplog, "donations.provider_paused")
    assert paused.levelno == logging.WARNING
    assert (paused.provider, paused.seconds, paused.retried) == ("stripe", 30, False)
    assert paused.reason == "no answer from Stripe (ReadTimeout)"
    assert "@" not in JsonFormatter().format(paused)
    reasons = [r.reason for r in events(caplog, "donations.provider_unavailable")]
    assert reasons[0] == paused.reason and len(reasons) == 4
    assert all(re.fullmatch(r"paused after a failure, \d+\.\d s left", r) for r in reasons[1:])


def test_after_the_pause_one_donor_tries_stripe_again_and_its_answer_ends_the_pause(
    client, hanging_stripe, settings, caplog
):
    settings.STRIPE_PAUSE_AFTER_FAILURE_SECONDS = 0.5
    ana = donate_form(client, "ana@example.org")
    assert_told_to_retry(client.post("/donate/", ana))
    time.sleep(0.5)  # the pause

    # Stripe still hangs: one checkout tries it, and the others do not wait with it.
    outcomes = []
    trying = checkout_in_thread(DonationFactory(status=Donation.Status.PENDING), outcomes)
    wait_until(lambda: len(hanging_stripe.requests) == 2, message="the try after the pause")
    bea = donate_form(client, "bea@example.org")
    response, waited = send(client, bea)
    assert_told_to_retry(response)
    assert waited < 1
    trying.join()
    assert isinstance(outcomes[0], ProviderUnavailable)
    # Its failure starts another pause.
    response, waited = send(client, bea)
    assert_told_to_retry(response)
    assert waited < 1
    assert len(hanging_stripe.requests) == 2
    assert [r.retried for r in events(caplog, "donations.provider_paused")] == [False, True]

    reasons = [r.reason for r in events(caplog, "donations.provider_unavailable")]
    assert reasons[1] == "paused while one checkout tries again"
    assert re.fullmatch(r"paused after a failure, 0\.\d s left", reasons[2])

    hanging_stripe.recover()
    time.sleep(0.5)
    response, waited = send(client, ana)  # the same form, sent again
    assert response.status_code == 302 and waited < 1
    gift = Donation.objects.get(checkout_key=ana["checkout_key"])
    assert gift.provider_session_id == session_for(hanging_stripe, ana)
    assert len(hanging_stripe.requests) == 3
    assert len(events(caplog, "donations.provider_resumed")) == 1

    # Stripe answered, so donors go to it together again, not one by one.
    hanging_stripe.released.clear()
    hanging_stripe.fail("slow")
    waiting = checkout_in_thread(DonationFactory(status=Donation.Status.PENDING), outcomes)
    wait_until(lambda: len(hanging_stripe.requests) == 4, message="a checkout waiting")
    response, waited = send(client, bea)
    waiting.join()
    assert_told_to_retry(response)
    assert waited >= TIMEOUT and len(hanging_stripe.requests) == 5


def test_beyond_the_checkouts_allowed_to_wait_for_stripe_a_donor_is_told_at_once(
    client, hanging_stripe, settings, caplog
):
    settings.STRIPE_MAX_CONCURRENT_CHECKOUTS = 2
    settings.STRIPE_TIMEOUT = 5  # the two wait until Stripe is let answer
    outcomes = []
    waiting = [
        checkout_in_thread(DonationFactory(status=Donation.Status.PENDING), outcomes)
        for _donor in range(2)
    ]
    wait_until(lambda: len(hanging_stripe.requests) == 2, message="two checkouts waiting")

    carla = donate_form(client, "carla@example.org")
    response, waited = send(client, carla)
    assert_told_to_retry(response)
    assert waited < 1
    assert len(hanging_stripe.requests) == 2
    [refused] = events(caplog, "donations.provider_unavailable")
    assert refused.reason == "2 checkouts already waiting"
    assert not events(caplog, "donations.provider_paused")  # Stripe did not fail: it is slow

    hanging_stripe.recover()
    for thread in waiting:
        thread.join()
    assert sorted(outcomes) == sorted(
        f"https://checkout.stripe.test/c/pay/{session}" for session in hanging_stripe.sessions
    )
    response = client.post("/donate/", carla)
    assert response.status_code == 302
    assert Donation.objects.get(checkout_key=carla["checkout_key"]).provider_session_id == (
        session_for(hanging_stripe, carla)
    )
