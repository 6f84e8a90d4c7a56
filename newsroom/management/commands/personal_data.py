"""
A reader's right of access and to erasure, from a shell: the same services as
the admin's personal data page (newsroom.privacy).
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from newsroom import privacy


class Command(BaseCommand):
    help = (
        "Export (JSON on standard output) or erase everything held under one email address. "
        "Erasing anonymizes comments and the donor record; gift amounts stay. It needs --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("email", help="matched case-insensitively, otherwise exactly")
        parser.add_argument("--yes", action="store_true", help="erase without asking again")

    def handle(self, *args, action, email, yes, **options):
        email = email.strip()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address.") from None
        if action == "export":
            data = privacy.personal_data_export(email=email)
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        found = privacy.personal_data_summary(email=email)
        self.stdout.write(_describe(found))
        if not yes:
            raise CommandError("Nothing was erased. Run again with --yes to erase.")
        erasure = privacy.personal_data_erase(email=email)
        self.stdout.write(
            f"Erased: {erasure.comments} comments anonymized, "
            f"{erasure.donor_records} donor record anonymized, "
            f"{erasure.donations} gifts kept without the donor's name, "
            f"{erasure.emails} emails deleted."
            if erasure
            else "Nothing held under this address: nothing changed."
        )


def _describe(found):
    return (
        f"Held under this address: {found['comments']} comments, "
        f"{found['donor_records']} donor record, {found['donations']} gifts, "
        f"{found['recurring_gifts']} recurring gifts, {found['emails']} emails; kept as they are: "
        f"{found['commenter_rules']} moderators' rules, {found['reports']} reports."
    )
