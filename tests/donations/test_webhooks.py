import pytest
from django.core import mail

from donations.models import Donation, ProcessedEvent, Subscription
from tests.donations.conftest import stripe_signature
from tests.factories import CampaignFactory, DonationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_gift():
    return DonationFactory(
        status=Donation.Status.PENDING,
        completed_at=None,
        provider="stripe",
        provider_session_id="cs_test_1",
        campaign=CampaignFactory(),
    )


def session(gift, **fields):
    return {
        "id": gift.provider_session_id,
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "payment_intent": "pi_1",
        "amount_total": gift.amount,
        "currency": gift.currency.lower(),
        "metadata": {"donation_id": str(gift.pk)},
        **fields,
    }


def test_checkout_completed_completes_the_gift_once(
    send_stripe_event, pending_gift, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = send_stripe_event("checkout.session.completed", session(pending_gift))
        again = send_stripe_event("checkout.session.completed", session(pending_gift))
    assert first.status_code == again.status_code == 200
    pending_gift.refresh_from_db()
    assert pending_gift.status == Donation.Status.COMPLETED
    assert pending_gift.provider_payment_id == "pi_1"
    assert ProcessedEvent.objects.count() == 1
    assert len(mail.outbox) == 1 and "$25" in mail.outbox[0].body


def test_the_same_gift_confirmed_by_two_different_events_counts_once(
    send_stripe_event, pending_gift
):
    send_stripe_event("checkout.session.completed", session(pending_gift), event_id="evt_a")
    send_stripe_event("checkout.session.completed", session(pending_gift), event_id="evt_b")
    assert Donation.objects.completed().count() == 1


def test_unpaid_checkout_completes_nothing(send_stripe_event, pending_gift):
    send_stripe_event("checkout.session.completed", session(pending_gift, payment_status="unpaid"))
    pending_gift.refresh_from_db()
    assert pending_gift.status == Donation.Status.PENDING


@pytest.mark.parametrize("signature", ["", "t=1,v1=deadbeef", None])
def test_bad_signature_is_400_and_changes_nothing(client, settings, pending_gift, signature):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    import json

    payload = json.dumps({"id": "evt_1", "type": "checkout.session.completed",
                          "data": {"object": session(pending_gift)}})  # fmt: skip
    header = signature if signature is not None else stripe_signature(payload, secret="whsec_other")
    response = client.post(
        "/donate/webhooks/stripe/", payload, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )  # fmt: skip
    assert response.status_code == 400
    pending_gift.refresh_from_db()
    assert pending_gift.status == Donation.Status.PENDING
    assert not ProcessedEvent.objects.exists()


def test_unknown_events_are_acknowledged_and_ignored(send_stripe_event):
    assert send_stripe_event("customer.created", {"id": "cus_1"}).status_code == 200
    assert not ProcessedEvent.objects.exists()


def monthly_gift():
    return DonationFactory(
        status=Donation.Status.PENDING,
        completed_at=None,
        provider="stripe",
        frequency="month",
        amount=1000,
        provider_session_id="cs_test_sub",
    )


def first_invoice(gift, **fields):
    return {
        "id": "in_first",
        "object": "invoice",
        "billing_reason": "subscription_create",
        "amount_paid": gift.amount,
        "currency": "usd",
        "parent": {
            "subscription_details": {
                "subscription": "sub_1",
                "metadata": {"donation_id": str(gift.pk)},
            }
        },
        **fields,
    }


@pytest.mark.parametrize("order", ["session-first", "invoice-first"])
def test_monthly_gift_ends_right_whatever_the_order(send_stripe_event, order):
    gift = monthly_gift()
    events = [
        ("checkout.session.completed", session(gift, mode="subscription", subscription="sub_1")),
        ("invoice.paid", first_invoice(gift)),
    ]
    for event_type, obj in events if order == "session-first" else reversed(events):
        assert send_stripe_event(event_type, obj).status_code == 200
    gift.refresh_from_db()
    assert gift.status == Donation.Status.COMPLETED
    assert gift.provider_payment_id == "in_first"
    assert gift.subscription.provider_subscription_id == "sub_1"
    assert Subscription.objects.count() == 1


def test_each_renewal_is_recorded_once_as_a_gift(send_stripe_event):
    gift = monthly_gift()
    send_stripe_event("invoice.paid", first_invoice(gift))
    renewal = first_invoice(gift, id="in_2", billing_reason="subscription_cycle")
    send_stripe_event("invoice.paid", renewal)
    send_stripe_event("invoice.paid", renewal, event_id="evt_retry_with_new_id")
    gifts = Donation.objects.completed().order_by("pk")
    assert [g.provider_payment_id for g in gifts] == ["in_first", "in_2"]
    assert gifts[1].subscription == gifts[0].subscription and gifts[1].amount == 1000


def test_refund_takes_the_gift_out_of_the_campaign(send_stripe_event, pending_gift, client):
    send_stripe_event("checkout.session.completed", session(pending_gift))
    response = send_stripe_event(
        "charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "refunded": True}
    )
    assert response.status_code == 200
    pending_gift.refresh_from_db()
    assert pending_gift.status == Donation.Status.REFUNDED and pending_gift.refunded_at


def test_refund_before_the_payment_is_known_is_retried_then_applied(
    send_stripe_event, pending_gift
):
    refund = {"id": "ch_1", "payment_intent": "pi_1", "refunded": True}
    assert send_stripe_event("charge.refunded", refund).status_code == 409
    assert not ProcessedEvent.objects.filter(event_type="charge.refunded").exists()
    send_stripe_event("checkout.session.completed", session(pending_gift))
    assert send_stripe_event("charge.refunded", refund).status_code == 200
    pending_gift.refresh_from_db()
    assert pending_gift.status == Donation.Status.REFUNDED


def test_a_late_confirmation_does_not_undo_a_refund(send_stripe_event, pending_gift):
    send_stripe_event("checkout.session.completed", session(pending_gift), event_id="evt_1")
    send_stripe_event("charge.refunded", {"id": "ch", "payment_intent": "pi_1", "refunded": True})
    send_stripe_event("checkout.session.completed", session(pending_gift), event_id="evt_2")
    pending_gift.refresh_from_db()
    assert pending_gift.status == Donation.Status.REFUNDED


def test_cancelled_subscription_is_recorded(send_stripe_event):
    gift = monthly_gift()
    send_stripe_event("invoice.paid", first_invoice(gift))
    send_stripe_event(
        "customer.subscription.deleted",
        {"id": "sub_1", "object": "subscription", "metadata": {"donation_id": str(gift.pk)}},
    )
    subscription = Subscription.objects.get()
    assert subscription.status == Subscription.Status.CANCELLED and subscription.cancelled_at


@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_concurrently_records_one_gift():
    """Two deliveries race; the database's unique event record lets exactly one through."""
    import threading

    from django.db import OperationalError, connection

    from donations import services, stripe_events

    gift = DonationFactory(
        status=Donation.Status.PENDING, completed_at=None, provider="stripe",
        provider_session_id="cs_race",
    )  # fmt: skip
    start = threading.Barrier(2)
    outcomes = []

    def deliver():
        start.wait()
        try:
            outcomes.append(
                services.event_process(
                    provider="stripe",
                    event_id="evt_race",
                    event_type="checkout.session.completed",
                    handler=lambda: stripe_events.checkout_session_completed(
                        session(gift), event_id="evt_race"
                    ),
                )
            )
        except OperationalError:
            outcomes.append("busy")  # SQLite's lock: answered non-2xx, Stripe delivers again
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(True) == 1
    assert ProcessedEvent.objects.filter(event_id="evt_race").count() == 1
    assert Donation.objects.completed().count() == 1
