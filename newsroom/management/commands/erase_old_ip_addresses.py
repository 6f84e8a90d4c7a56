"""
Forget commenters' IP addresses and browsers once they have served their purpose
(spotting abuse while a discussion is live): run daily from cron. One UPDATE of
only the rows still holding one, so it can be run again, or twice at once.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from comments.privacy import comment_addresses_erase


class Command(BaseCommand):
    help = (
        "Erase the IP address and browser of comments posted more than "
        "PRIVACY_KEEP_IP_DAYS days ago (default 90). Safe to run from cron, again or twice at once."
    )

    def handle(self, *args, **options):
        days = settings.PRIVACY_KEEP_IP_DAYS
        if days < 0:
            raise CommandError(f"PRIVACY_KEEP_IP_DAYS must be 0 or more, not {days}.")
        erased = comment_addresses_erase(posted_before=timezone.now() - timedelta(days=days))
        self.stdout.write(
            f"Erased the IP address and browser of {erased} "
            f"comment{'' if erased == 1 else 's'} posted more than {days} days ago."
        )
