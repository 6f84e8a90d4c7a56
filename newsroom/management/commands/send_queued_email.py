"""
Send every outgoing email that is due: the retries on a task backend that
cannot defer (the immediate one), and in production a sweep for any row whose
task was lost. Safe from cron, even overlapping runs: each email is claimed
before it is sent, by the same `deliver_email` the workers run, so never twice.
An email whose sending was interrupted (its worker killed, its database cut)
is not sent again but marked failed, for staff to check: it may have arrived.
"""

from collections import Counter

from django.core.management.base import BaseCommand
from django.utils import timezone

from newsroom.mail import deliver_email, fail_interrupted
from newsroom.models import OutgoingEmail


class Command(BaseCommand):
    help = "Send the queued and retrying emails whose time has come."

    def handle(self, **options):
        now = timezone.now()
        interrupted = fail_interrupted(now)
        due = (
            OutgoingEmail.objects.due(now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)
        )
        outcomes = Counter(deliver_email.call(pk) for pk in list(due))
        self.stdout.write(
            f"{outcomes[OutgoingEmail.Status.SENT]} sent, "
            f"{outcomes[OutgoingEmail.Status.RETRYING]} to try again, "
            f"{outcomes[OutgoingEmail.Status.FAILED]} failed, "
            f"{outcomes[None]} left to another worker, "
            f"{interrupted} interrupted while sending (failed, may have been delivered)."
        )
