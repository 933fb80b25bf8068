from pathlib import Path

from django.core.management.base import BaseCommand

from strategies.importers.jsonl import import_strategy_lines
from strategies.importers.outcome import FileOutcome

from ._reporting import report_outcomes


class Command(BaseCommand):
    help = (
        "Import strategies from canonical JSON Lines (as written by export_strategies), creating "
        "or updating each by strategy ID. A file is imported whole or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything but write nothing."
        )

    def handle(self, *args, files, dry_run, **options):
        outcomes = []
        for path in files:
            try:
                with path.open("rb") as handle:
                    outcomes.append(
                        import_strategy_lines(handle, source=str(path), dry_run=dry_run)
                    )
            except OSError as error:
                outcomes.append(FileOutcome(str(path), errors=[f"{path}: {error.strerror}"]))
        report_outcomes(self, outcomes)
