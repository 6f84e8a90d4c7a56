import logging
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from newsroom.wordpress.importer import WordPressImport
from newsroom.wordpress.wxr import NotWXR

logger = logging.getLogger(__name__)


class DryRun(Exception):
    """Raised at the end of a dry run, so the whole import rolls back."""


class Command(BaseCommand):
    help = (
        "Import a WordPress export (Tools → Export, WXR 1.0–1.2): authors, categories, tags, "
        "posts, pages and comments, keeping old links working. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("export", help="the .xml file WordPress exported")
        parser.add_argument(
            "--media-dir",
            help="a copy of wp-content/uploads, for featured and body images (nothing is fetched)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change; write nothing"
        )

    def handle(self, *args, export, media_dir, dry_run, **options):
        interactive = sys.stdout.isatty()
        importer = WordPressImport(
            media_dir=media_dir, progress=self.progress if interactive else None
        )
        try:
            with transaction.atomic():
                importer.run(export)
                if dry_run:
                    raise DryRun
        except DryRun:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        except NotWXR as error:
            self.refused(export, str(error))
            raise CommandError(f"{export}: {error}. Nothing was imported.") from None
        except FileNotFoundError:
            self.refused(export, "no such file")
            raise CommandError(f"{export}: no such file.") from None
        if interactive:
            self.stdout.write("")
        self.stdout.write(importer.tally.table())
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("Import complete."))

    def refused(self, export, reason):
        """The whole file refused and rolled back, for the log as well as the terminal."""
        logger.error(
            "WordPress import refused: %s: %r",
            Path(export).name,
            reason,
            extra={"event": "wordpress.import_failed", "file": Path(export).name, "reason": reason},
        )

    def progress(self, items):
        if items % 50 == 0:
            self.stdout.write(f"\r{items} items…", ending="")
            self.stdout.flush()
