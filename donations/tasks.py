"""Receipts, sent through Django's tasks API: never in the way of a reader's request."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django_tasks import task

from donations.models import Donation


@task()
def send_receipt(donation_id):
    donation = (
        Donation.objects.select_related("donor", "campaign")
        .filter(pk=donation_id, status=Donation.Status.COMPLETED)
        .first()
    )
    if donation is None:
        return
    subject, _, body = render_to_string(
        "donations/email/receipt.txt", {"donation": donation, "site_name": settings.SITE_NAME}
    ).partition("\n")
    EmailMessage(subject.strip(), body.lstrip(), to=[donation.donor.email]).send()
