"""
Receipts, sent through Django's tasks API and the outbox (newsroom.mail): never
in the way of a reader's request, and kept until the mail server takes them.
"""

from django_tasks import task

from donations.models import Donation
from newsroom.mail import send_templated


@task()
def send_receipt(donation_id):
    donation = (
        Donation.objects.select_related("donor", "campaign")
        .filter(pk=donation_id, status=Donation.Status.COMPLETED)
        .first()
    )
    if donation is None:
        return
    send_templated(
        "donations/email/receipt.txt",
        {"donation": donation},
        [donation.donor.email],
        purpose="donations.receipt",
    )
