from datetime import timedelta

import pytest
from django.utils import timezone

from donations import services
from donations.models import Donation, Subscription
from tests.factories import ArticleFactory, CommentFactory, DonationFactory, DonorFactory

pytestmark = pytest.mark.django_db

BADGE = '<span class="badge badge--supporter">Supporter</span>'


@pytest.fixture
def article():
    return ArticleFactory()


def comment_page(client, article, email):
    CommentFactory(article=article, author_email=email)
    return client.get(article.get_absolute_url()).content.decode()


def test_donors_who_opted_in_carry_the_badge(client, article):
    DonationFactory(donor=DonorFactory(email="luisa@example.org", wants_badge=True))
    assert BADGE in comment_page(client, article, "luisa@example.org")


def test_no_badge_without_the_opt_in(client, article):
    DonationFactory(donor=DonorFactory(email="quiet@example.org", wants_badge=False))
    assert BADGE not in comment_page(client, article, "quiet@example.org")


def test_badge_lasts_while_a_recurring_gift_runs_and_ends_a_year_after_the_last_gift(
    client, article
):
    donor = DonorFactory(email="monthly@example.org", wants_badge=True)
    old = timezone.now() - timedelta(days=400)
    subscription = Subscription.objects.create(
        donor=donor, amount=500, currency="USD", frequency="month", provider="test",
        provider_subscription_id="sub_1",
    )  # fmt: skip
    DonationFactory(donor=donor, completed_at=old, subscription=subscription)
    assert BADGE in comment_page(client, article, donor.email)
    services.subscription_cancel(subscription=subscription)
    assert BADGE not in client.get(article.get_absolute_url()).content.decode()


def test_badge_appears_as_soon_as_a_gift_completes(
    client, article, django_capture_on_commit_callbacks
):
    donor = DonorFactory(email="new@example.org", wants_badge=True)
    assert BADGE not in comment_page(client, article, donor.email)
    pending = DonationFactory(donor=donor, status=Donation.Status.PENDING, completed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.donation_confirm(donation=pending)
    assert BADGE in client.get(article.get_absolute_url()).content.decode()
