"""
Issue 9, item 10 (Stripe): whoever holds the webhook secret (Stripe, or a
misconfigured integration on the same account) can sign any body. An event of
an odd shape is answered 400 when its envelope is wrong, or 200 "not ours" when
a field inside is, and never a 500; either way no gift, recurring gift or
processed-event record changes. Every payload here is genuinely signed.
"""

import json
import logging
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from donations.models import Donation, ProcessedEvent, Subscription
from tests.donations.conftest import stripe_signature
from tests.donations.test_webhooks import first_invoice, monthly_gift, session
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_time_gift():
    return DonationFactory(
        status=Donation.Status.PENDING, completed_at=None, provider="stripe",
        provider_session_id="cs_test_1",
    )  # fmt: skip


@pytest.fixture
def gifts(send_stripe_event, one_time_gift):
    """
    A pending one-time gift, a monthly gift already paid through subscription
    sub_1, and a pending monthly gift: each odd event below would change one of them.
    """
    monthly = monthly_gift()
    assert send_stripe_event("invoice.paid", first_invoice(monthly)).status_code == 200
    new_monthly = DonationFactory(
        status=Donation.Status.PENDING, completed_at=None, provider="stripe", frequency="month",
        amount=1000, provider_session_id="cs_test_new",
    )  # fmt: skip
    return one_time_gift, monthly, new_monthly


def database():
    """Everything a webhook may change, as revenue staff would see it."""
    return (
        list(Donation.objects.order_by("pk").values()),
        list(Subscription.objects.order_by("pk").values()),
        list(ProcessedEvent.objects.order_by("pk").values_list("event_id", flat=True)),
    )


def envelope(obj, **changes):
    event = {"id": "evt_shape", "object": "event", "type": "checkout.session.completed",
             "data": {"object": obj}}  # fmt: skip
    event.update(changes)
    return {key: value for key, value in event.items() if value is not DROP}


DROP = object()


def envelopes(gift):
    """Envelopes around a session that would complete `gift`, were its handler to run."""
    paid = session(gift)
    return {
        "a list": [],
        "a list of events": [envelope(paid)],
        "a string": "evt_shape",
        "no type": envelope(paid, type=DROP),
        "type a list": envelope(paid, type=["checkout.session.completed"]),
        "no data": envelope(paid, data=DROP),
        "data null": envelope(paid, data=None),
        "data a list": envelope(paid, data=[paid]),
        "object null": envelope(None),
        "object a string": envelope("cs_test_1"),
        "object a list": envelope([paid]),
        "no id": envelope(paid, id=DROP),
        "id a number": envelope(paid, id=12),
        "id empty": envelope(paid, id=""),
        "id of 1000 characters": envelope(paid, id="evt_" + "a" * 996),
        "id with a NUL": envelope(paid, id="evt_\x00"),
        "id with a line break": envelope(paid, id="evt_1\nevt_2"),
        "id with a lone surrogate": envelope(paid, id="evt_\ud800"),
    }


@pytest.mark.parametrize("shape", list(envelopes(DonationFactory.build(pk=1))))
def test_a_signed_event_with_a_malformed_envelope_is_400_and_changes_nothing(
    send_signed_body, gifts, shape
):
    one_time = gifts[0]
    before = database()
    response = send_signed_body(json.dumps(envelopes(one_time)[shape]))
    assert response.status_code == 400
    assert response.content.startswith(b"malformed event")
    assert database() == before


@pytest.mark.parametrize(
    "body", ["{", "", "NaN", "[" * 100_000 + "]" * 100_000, '{"id": "evt_1"'], ids=repr
)
def test_a_signed_body_that_is_not_an_event_is_400_and_changes_nothing(
    send_signed_body, gifts, body
):
    before = database()
    assert send_signed_body(body).status_code == 400
    assert database() == before


def not_ours(caplog, response, before):
    """Acknowledged, so Stripe does not retry it for days; logged; nothing recorded."""
    assert response.status_code == 200
    assert database() == before
    assert any("Ignored Stripe event" in r.getMessage() for r in caplog.records)
    return True


def odd_objects(one_time, monthly, new_monthly):
    renewal = first_invoice(monthly, id="in_2", billing_reason="subscription_cycle")
    new_gift = {"donation_id": str(new_monthly.pk)}
    deleted = {"id": "sub_1", "object": "subscription", "metadata": new_gift}
    refund = {"id": "ch_1", "object": "charge", "refunded": True, "payment_intent": "pi_1"}

    def invoice(**fields):
        return {**renewal, **fields}

    def details(**fields):
        return invoice(parent={"subscription_details": {**renewal["parent"]["subscription_details"],
                                                        **fields}})  # fmt: skip

    return {
        "metadata a string": ("checkout.session.completed",
                              session(one_time, metadata=f"donation_id={one_time.pk}")),
        "metadata a list": ("checkout.session.completed",
                            session(one_time, metadata=[one_time.pk])),
        "donation_id ²": ("checkout.session.completed",
                          session(one_time, metadata={"donation_id": "²"})),
        "donation_id in Arabic digits": ("checkout.session.completed",
                                         session(one_time, metadata={"donation_id": "١"})),
        "donation_id a number": ("checkout.session.completed",
                                 session(one_time, metadata={"donation_id": one_time.pk})),
        "donation_id a list": ("checkout.session.completed",
                               session(one_time, metadata={"donation_id": [one_time.pk]})),
        "payment_intent a list": ("checkout.session.completed",
                                  session(one_time, payment_intent=["pi_1"])),
        "payment_intent with a NUL": ("checkout.session.completed",
                                      session(one_time, payment_intent="pi_\x00")),
        "payment_intent of 5000 characters": ("checkout.session.completed",
                                              session(one_time, payment_intent="pi_" + "a" * 5000)),
        "subscription with a NUL": ("checkout.session.completed",
                                    session(new_monthly, mode="subscription",
                                            subscription="sub_\x00")),
        "subscription expanded without an id": ("checkout.session.completed",
                                                session(new_monthly, mode="subscription",
                                                        subscription={"object": "subscription"})),
        "invoice parent a string": ("invoice.paid", invoice(parent="sub_1")),
        "invoice parent a list": ("invoice.paid", invoice(parent=[renewal["parent"]])),
        "subscription_details a string": ("invoice.paid",
                                          invoice(parent={"subscription_details": "sub_1"})),
        "invoice metadata a string": ("invoice.paid", details(metadata="donation_id=1")),
        "invoice subscription a number": ("invoice.paid", details(subscription=1)),
        "invoice subscription of 5000 characters": ("invoice.paid",
                                                    details(subscription="sub_" + "1" * 5000)),
        "invoice without an id": ("invoice.paid", invoice(id=None)),
        "invoice id a dict": ("invoice.paid", invoice(id={"id": None})),
        "deleted subscription without an id": ("customer.subscription.deleted",
                                               {**deleted, "id": None}),
        "deleted subscription id of 5000 characters": ("customer.subscription.deleted",
                                                       {**deleted, "id": "sub_" + "a" * 5000}),
        "deleted subscription id with a NUL": ("customer.subscription.deleted",
                                               {**deleted, "id": "sub_1\x00"}),
        "deleted subscription metadata a list": ("customer.subscription.deleted",
                                                 {**deleted, "id": "sub_new", "metadata": []}),
        "refund payment_intent a list": ("charge.refunded", {**refund, "payment_intent": ["pi_1"]}),
        "refund invoice with a NUL": ("charge.refunded",
                                      {**refund, "payment_intent": None, "invoice": "in_\x00"}),
    }  # fmt: skip


@pytest.mark.parametrize(
    "shape", list(odd_objects(*(DonationFactory.build(pk=pk) for pk in (1, 2, 3))))
)
def test_a_signed_event_with_odd_fields_is_not_ours_and_changes_nothing(
    send_stripe_event, gifts, caplog, shape
):
    caplog.set_level(logging.WARNING, logger="donations")
    event_type, obj = odd_objects(*gifts)[shape]
    before = database()
    response = send_stripe_event(event_type, obj, event_id="evt_odd")
    assert not_ours(caplog, response, before)


def test_an_expanded_subscription_is_stored_by_its_id(send_stripe_event):
    gift = monthly_gift()
    expanded = {"id": "sub_1", "object": "subscription", "status": "active"}
    checkout = session(gift, mode="subscription", subscription=expanded)
    invoice = first_invoice(gift)
    invoice["parent"]["subscription_details"]["subscription"] = expanded
    assert send_stripe_event("checkout.session.completed", checkout).status_code == 200
    assert send_stripe_event("invoice.paid", invoice).status_code == 200
    gift.refresh_from_db()
    assert gift.status == Donation.Status.COMPLETED
    assert list(Subscription.objects.values_list("provider_subscription_id", flat=True)) == [
        "sub_1"
    ]


def test_an_expanded_payment_intent_is_stored_by_its_id(send_stripe_event, one_time_gift):
    checkout = session(one_time_gift, payment_intent={"id": "pi_1", "object": "payment_intent"})
    assert send_stripe_event("checkout.session.completed", checkout).status_code == 200
    one_time_gift.refresh_from_db()
    assert one_time_gift.status == Donation.Status.COMPLETED
    assert one_time_gift.provider_payment_id == "pi_1"


@pytest.mark.parametrize(
    "event_type, billing_reason",
    [("invoice.paid", "subscription_cycle"), ("invoice.paid", "subscription_create"),
     ("checkout.session.completed", None), ("customer.subscription.deleted", None)],
)  # fmt: skip
def test_recurring_events_for_a_one_time_gift_create_nothing(
    send_stripe_event, one_time_gift, caplog, event_type, billing_reason
):
    """Its amount matches, so only its frequency tells that this is not its recurring gift."""
    caplog.set_level(logging.WARNING, logger="donations")
    metadata = {"donation_id": str(one_time_gift.pk)}
    obj = {
        "invoice.paid": first_invoice(one_time_gift, id="in_2", billing_reason=billing_reason),
        "checkout.session.completed": session(
            one_time_gift, mode="subscription", subscription="sub_9"
        ),
        "customer.subscription.deleted": {"id": "sub_9", "metadata": metadata},
    }[event_type]
    before = database()
    assert not_ours(caplog, send_stripe_event(event_type, obj), before)
    assert not Subscription.objects.exists()


def signed_at(send_signed_body, gift, seconds_from_now):
    payload = json.dumps(envelope(session(gift)))
    return send_signed_body(payload, timestamp=time.time() + seconds_from_now)


@pytest.mark.parametrize("seconds_from_now", [4000, 301, -4000, -301])
def test_a_signature_dated_outside_five_minutes_either_way_is_refused(
    send_signed_body, one_time_gift, seconds_from_now
):
    response = signed_at(send_signed_body, one_time_gift, seconds_from_now)
    assert response.status_code == 400
    assert response.content == b"invalid signature"
    one_time_gift.refresh_from_db()
    assert one_time_gift.status == Donation.Status.PENDING
    assert not ProcessedEvent.objects.exists()


@pytest.mark.parametrize("seconds_from_now", [240, -240])
def test_a_signature_within_five_minutes_of_our_clock_is_accepted(
    send_signed_body, one_time_gift, seconds_from_now
):
    assert signed_at(send_signed_body, one_time_gift, seconds_from_now).status_code == 200
    one_time_gift.refresh_from_db()
    assert one_time_gift.status == Donation.Status.COMPLETED


def test_without_a_webhook_secret_an_event_signed_with_the_empty_key_is_refused(
    client, settings, one_time_gift
):
    """An empty key is a key anyone holds: a forged payment must not complete the gift."""
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = json.dumps(envelope(session(one_time_gift)))
    response = client.post(
        "/donate/webhooks/stripe/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload, secret=""),
    )
    assert response.status_code == 400
    one_time_gift.refresh_from_db()
    assert one_time_gift.status == Donation.Status.PENDING
    assert not ProcessedEvent.objects.exists()


def test_the_deploy_check_fails_with_stripe_keys_but_no_webhook_secret(settings):
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    settings.STRIPE_WEBHOOK_SECRET = ""
    with pytest.raises(SystemCheckError, match="STRIPE_WEBHOOK_SECRET"):
        call_command("check", "--deploy", stdout=StringIO(), stderr=StringIO())
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    call_command("check", stdout=StringIO())
