from pathlib import Path

from django.core.management.base import BaseCommand

from strategies.importers.sherloc_import import import_sherloc_files
from strategies.models import DOCUMENT_LANGUAGES, Status

from ._reporting import report_outcomes


class Command(BaseCommand):
    help = (
        "Import SHERLOC strategy pages saved as text. Each file is imported whole or not at all; "
        "good files are imported even when others fail. Re-importing a page updates its record."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--draft", action="store_true", help="Import as drafts instead of published records."
        )
        parser.add_argument(
            "--language",
            default="en",
            choices=[code for code, _name in DOCUMENT_LANGUAGES],
            metavar="CODE",
            help="Language of the pages' content (default: en).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything but write nothing."
        )

    def handle(self, *args, files, draft, language, dry_run, **options):
        outcomes = import_sherloc_files(
            files,
            status=Status.DRAFT if draft else Status.PUBLISHED,
            language=language,
            dry_run=dry_run,
        )
        report_outcomes(self, outcomes)
