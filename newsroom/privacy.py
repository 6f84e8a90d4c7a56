"""
A person's data across the apps, by email address: exported as one JSON
document, or erased. The admin page and `manage.py personal_data` both call
these, so the rule is written once.

Erasure anonymizes rather than deletes: comments stay in their threads under
a placeholder, so others' replies keep their place, and gifts stay with their
amounts, so the accounts and campaign totals do not move. The audit log names
the person only by a keyed fingerprint of the email (newsroom.logs).
"""

import logging
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from comments import privacy as comments_privacy
from comments.models import Comment
from donations import privacy as donations_privacy
from donations.models import Donation, Donor
from newsroom import audit
from newsroom.logs import fingerprint
from newsroom.models import AuditEntry, OutgoingEmail

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1


def _collect(email):
    return {
        "format": FORMAT_VERSION,
        "email": email,
        "exported_at": timezone.now().isoformat(),
        "comments": comments_privacy.comment_export(email=email),
        "commenter_rules": comments_privacy.commenter_rule_export(email=email),
        "reports": comments_privacy.report_export(email=email),
        "donor": donations_privacy.donor_export(email=email),
        "emails": _email_export(email),
    }


def _email_export(email):
    """The site's email to the person: what it said and when, as they received it."""
    return [
        {
            "purpose": sent.purpose,
            "subject": sent.subject,
            "body": sent.body,
            "status": sent.status,
            "created_at": sent.created_at.isoformat(),
            "sent_at": sent.sent_at.isoformat() if sent.sent_at else None,
        }
        for sent in OutgoingEmail.objects.addressed_to(email).order_by("created_at", "pk")
    ]


def summary_of(data) -> dict:
    """Counts of what an export holds."""
    donor = data["donor"] or {"donations": [], "recurring_gifts": []}
    return {
        "comments": len(data["comments"]),
        "donor_records": int(data["donor"] is not None),
        "donations": len(donor["donations"]),
        "recurring_gifts": len(donor["recurring_gifts"]),
        "commenter_rules": len(data["commenter_rules"]),
        "reports": len(data["reports"]),
        "emails": len(data["emails"]),
    }


def personal_data_export(*, email, by=None) -> dict:
    """
    Everything held under `email` (matched case-insensitively, otherwise exactly;
    see comments.privacy), as JSON-ready data. The export itself is audited:
    it discloses a reader's data to whoever asked.
    """
    email = email.strip()
    data = _collect(email)
    audit.record("personal_data.exported", actor=by, mailbox=fingerprint(email), **summary_of(data))
    logger.info(
        "Personal data exported",
        extra={"event": "privacy.exported", "mailbox": fingerprint(email)},
    )
    return data


def personal_data_summary(*, email) -> dict:
    """What an erasure of `email` would find, counted, with nothing written."""
    return summary_of(_collect(email.strip()))


@dataclass(frozen=True)
class Erasure:
    comments: int
    donor_records: int
    donations: int
    emails: int

    def __bool__(self):
        return bool(self.comments or self.donor_records or self.emails)


def personal_data_erase(*, email, by=None) -> Erasure:
    """
    Anonymize the person's comments and donor record in one transaction, and
    rewrite the audit log's descriptions of those rows, which named them
    (`str()` of a gift shows the donor's email). One audit entry records the
    erasure; a second run finds nothing under the email and writes none.
    Once committed, the caches that held the person are emptied by the apps
    that fill them: the article pages' rendered threads and the supporters.

    Kept on purpose: moderators' standing rules about the address (a ban must
    outlive the banned person's request) and reports, which name an account.
    """
    email = email.strip()
    with transaction.atomic():
        comment_ids = comments_privacy.comment_anonymize(email=email)
        donor, donation_ids = donations_privacy.donor_anonymize(email=email)
        # Copies of the site's own email (receipts, private links) are not records we
        # must keep; unsent ones are not sent to an address that asked to be forgotten.
        emails, _ = OutgoingEmail.objects.addressed_to(email).delete()
        erasure = Erasure(
            comments=len(comment_ids),
            donor_records=int(donor is not None),
            donations=len(donation_ids),
            emails=emails,
        )
        if not erasure:
            return erasure
        _rename_audit_targets(Comment.objects.filter(pk__in=comment_ids).select_related("article"))
        _rename_audit_targets(Donation.objects.filter(pk__in=donation_ids).select_related("donor"))
        _rename_audit_targets(Donor.objects.filter(pk=donor.pk) if donor else Donor.objects.none())
        audit.record(
            "personal_data.erased",
            actor=by,
            mailbox=fingerprint(email),
            comments=erasure.comments,
            donor_records=erasure.donor_records,
            donations=erasure.donations,
            emails=erasure.emails,
        )
    logger.info(
        "Personal data erased",
        extra={"event": "privacy.erased", "mailbox": fingerprint(email)},
    )
    return erasure


def _rename_audit_targets(objects):
    """Describe each object in the audit log as it now is, without the person in it."""
    content_type = None
    for obj in objects:
        content_type = content_type or ContentType.objects.get_for_model(obj)
        AuditEntry.objects.filter(target_type=content_type, target_id=str(obj.pk)).update(
            target_repr=str(obj)[:255]
        )
