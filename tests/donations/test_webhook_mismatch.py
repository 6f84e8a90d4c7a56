"""
Standing defence: a signed Stripe event completes a gift only if its amount,
currency, checkout and recurring gift are the ones we stored. A mismatch is
answered 200 (the same signed event will never match, so Stripe's retries
would only repeat it for days), logged, put in the audit trail, and completes
nothing. Also issue 9 item 10: invoices of 0, negative or beyond 2**31 are
refused the same way, never a 500.
"""

import logging

import pytest
from django.core import mail

from donations.models import Donation, ProcessedEvent, Subscription
from newsroom.models import AuditEntry
from tests.donations.test_webhooks import first_invoice, monthly_gift, session
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_gift():
    return DonationFactory(
        status=Donation.Status.PENDING, completed_at=None, provider="stripe", amount=2500,
        provider_session_id="cs_test_1",
    )  # fmt: skip


def refused(caplog, response, gift):
    """What staff and the database see after a refused confirmation."""
    assert response.status_code == 200
    gift.refresh_from_db()
    assert gift.status == Donation.Status.PENDING and gift.completed_at is None
    assert AuditEntry.objects.filter(action="donation.payment_mismatch").count() == 1
    assert not AuditEntry.objects.filter(action="donation.completed").exists()
    assert any("Refused provider event" in r.getMessage() for r in caplog.records)
    assert not mail.outbox
    return True


@pytest.mark.parametrize(
    "changed",
    [{"amount_total": 100}, {"amount_total": 0}, {"amount_total": -2500},
     {"amount_total": 2**31}, {"amount_total": "2500"}, {"amount_total": None},
     {"currency": "eur"}, {"currency": None}, {"id": "cs_someone_else"}, {"id": None}],
)  # fmt: skip
def test_a_paid_checkout_that_is_not_this_gift_completes_nothing(
    send_stripe_event, pending_gift, caplog, changed, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.ERROR, logger="donations")
    with django_capture_on_commit_callbacks(execute=True):
        response = send_stripe_event("checkout.session.completed", session(pending_gift, **changed))
    assert refused(caplog, response, pending_gift)
    assert Donation.objects.completed().count() == 0


def test_the_matching_checkout_still_completes_after_a_refused_one(send_stripe_event, pending_gift):
    send_stripe_event("checkout.session.completed", session(pending_gift, amount_total=1))
    send_stripe_event("checkout.session.completed", session(pending_gift), event_id="evt_real")
    pending_gift.refresh_from_db()
    assert pending_gift.status == Donation.Status.COMPLETED
    assert ProcessedEvent.objects.count() == 2


@pytest.mark.parametrize(
    "changed",
    [{"amount_paid": 1}, {"amount_paid": 0}, {"amount_paid": -1000}, {"amount_paid": 2**31},
     {"amount_paid": 2**63}, {"currency": "jpy"}],
)  # fmt: skip
def test_a_first_invoice_for_another_amount_completes_nothing(send_stripe_event, caplog, changed):
    caplog.set_level(logging.ERROR, logger="donations")
    gift = monthly_gift()
    response = send_stripe_event("invoice.paid", first_invoice(gift, **changed))
    assert refused(caplog, response, gift)
    assert not Subscription.objects.exists()


def test_a_first_invoice_of_another_subscription_completes_nothing(send_stripe_event, caplog):
    caplog.set_level(logging.ERROR, logger="donations")
    gift = monthly_gift()
    linked = session(gift, mode="subscription", subscription="sub_1")
    send_stripe_event("checkout.session.completed", linked)
    other = first_invoice(gift)
    other["parent"]["subscription_details"]["subscription"] = "sub_stranger"
    response = send_stripe_event("invoice.paid", other)
    assert refused(caplog, response, gift)
    assert list(Subscription.objects.values_list("provider_subscription_id", flat=True)) == [
        "sub_1"
    ]


@pytest.mark.parametrize("amount", [0, -1000, 2**31, 2**40, 999, "1000", None])
def test_a_renewal_for_another_amount_records_no_gift(send_stripe_event, caplog, amount):
    caplog.set_level(logging.ERROR, logger="donations")
    gift = monthly_gift()
    send_stripe_event("invoice.paid", first_invoice(gift))
    renewal = first_invoice(
        gift, id="in_2", billing_reason="subscription_cycle", amount_paid=amount
    )
    response = send_stripe_event("invoice.paid", renewal)
    assert response.status_code == 200
    assert list(Donation.objects.values_list("provider_payment_id", flat=True)) == ["in_first"]
    entry = AuditEntry.objects.get(action="donation.payment_mismatch")
    assert entry.details["event"] == "evt_invoice.paid_in_2"
    assert any("Refused provider event" in r.getMessage() for r in caplog.records)


def test_a_renewal_in_another_currency_records_no_gift(send_stripe_event):
    gift = monthly_gift()
    send_stripe_event("invoice.paid", first_invoice(gift))
    renewal = first_invoice(gift, id="in_2", billing_reason="subscription_cycle", currency="eur")
    assert send_stripe_event("invoice.paid", renewal).status_code == 200
    assert Donation.objects.count() == 1


def test_an_event_naming_a_gift_we_have_not_recorded_yet_is_retried_later(send_stripe_event):
    obj = {"id": "cs_x", "mode": "payment", "payment_status": "paid", "amount_total": 2500,
           "currency": "usd", "metadata": {"donation_id": "999999"}}  # fmt: skip
    assert send_stripe_event("checkout.session.completed", obj).status_code == 409
    assert not ProcessedEvent.objects.exists()


@pytest.mark.parametrize("donation_id", ["abc", "1" * 40, "-1", "", None, {"x": 1}])
def test_an_event_naming_no_gift_of_ours_is_acknowledged_not_retried_for_days(
    send_stripe_event, donation_id
):
    """Another integration on the same Stripe account: no retry will ever make it ours."""
    obj = {"id": "cs_x", "mode": "payment", "payment_status": "paid", "amount_total": 2500,
           "currency": "usd", "metadata": {"donation_id": donation_id}}  # fmt: skip
    assert send_stripe_event("checkout.session.completed", obj).status_code == 200
    assert not ProcessedEvent.objects.exists()
