from datetime import timedelta

import pytest
from django.utils import timezone

from comments.badges import badges_for
from donations import services
from donations.models import Donation, Subscription
from tests.factories import DonationFactory, DonorFactory

pytestmark = pytest.mark.django_db

BADGE = ["Supporter"]


def badge(email):
    """
    What the comments app is told about this email, through COMMENTS_BADGE_PROVIDERS.
    Whether a comment may show it (a confirmed email) is the comments app's rule.
    """
    return badges_for([email]).get(email, [])


def test_donors_who_opted_in_carry_the_badge():
    DonationFactory(donor=DonorFactory(email="luisa@example.org", wants_badge=True))
    assert badge("luisa@example.org") == BADGE


def test_no_badge_without_the_opt_in():
    DonationFactory(donor=DonorFactory(email="quiet@example.org", wants_badge=False))
    assert badge("quiet@example.org") == []


def test_badge_lasts_while_a_recurring_gift_runs_and_ends_a_year_after_the_last_gift():
    donor = DonorFactory(email="monthly@example.org", wants_badge=True)
    old = timezone.now() - timedelta(days=400)
    subscription = Subscription.objects.create(
        donor=donor, amount=500, currency="USD", frequency="month", provider="test",
        provider_subscription_id="sub_1",
    )  # fmt: skip
    DonationFactory(donor=donor, completed_at=old, subscription=subscription)
    assert badge(donor.email) == BADGE
    services.subscription_cancel(subscription=subscription)
    assert badge(donor.email) == []


def test_badge_appears_as_soon_as_a_gift_completes(django_capture_on_commit_callbacks):
    donor = DonorFactory(email="new@example.org", wants_badge=True)
    assert badge(donor.email) == []
    pending = DonationFactory(donor=donor, status=Donation.Status.PENDING, completed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.donation_confirm(donation=pending)
    assert badge(donor.email) == BADGE
