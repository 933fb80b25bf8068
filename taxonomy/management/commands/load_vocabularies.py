from pathlib import Path

from django.core.management.base import BaseCommand

from taxonomy.loading import default_fixtures_dir, load_vocabularies


class Command(BaseCommand):
    help = (
        "Load or update the vocabularies (jurisdictions, regions, crime types, instruments and "
        "articles, cross-cutting issues) from the fixtures folder. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures",
            type=Path,
            default=None,
            help=f"Folder holding the vocabulary JSON files (default: {default_fixtures_dir()}).",
        )

    def handle(self, *args, fixtures: Path | None, **options):
        report = load_vocabularies(fixtures)
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Vocabularies loaded."))
