"""
The Supporter badge beside a donor's comments: only if they asked for it, and
only while they give (an active recurring gift, or a gift in the last year).

The comments app asks for badges through COMMENTS_BADGE_PROVIDERS, so neither
app imports the other. The set of supporters is cached and forgotten whenever
a gift completes, is refunded or a recurring gift ends.
"""

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from donations.models import Donation, Donor, Subscription

CACHE_KEY = "donations:supporter-emails"


def _supporter_emails():
    since = timezone.now() - timedelta(days=365)
    return set(
        Donor.objects.filter(wants_badge=True)
        .filter(
            Q(subscriptions__status=Subscription.Status.ACTIVE)
            | Q(donations__status=Donation.Status.COMPLETED, donations__completed_at__gte=since)
        )
        .values_list("email", flat=True)
        .distinct()
    )


def supporter_badges(emails):
    supporters = cache.get_or_set(CACHE_KEY, _supporter_emails, timeout=3600)
    return {email: [_("Supporter")] for email in emails if email.lower() in supporters}


def forget_supporters():
    cache.delete(CACHE_KEY)
