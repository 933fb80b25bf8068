import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from strategies.exporters import strategy_json_lines
from strategies.models import Status, Strategy


class Command(BaseCommand):
    help = (
        "Write every strategy as canonical JSON Lines, one per line in strategy-ID order, to "
        "standard output or a file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path, help="File to write (default: stdout).")
        parser.add_argument(
            "--status",
            choices=Status.values,
            help="Only strategies with this status (default: all, drafts included).",
        )

    def handle(self, *args, output, status, **options):
        queryset = Strategy.objects.all()
        if status:
            queryset = queryset.filter(status=status)
        if output is None:
            for line in strategy_json_lines(queryset):
                self.stdout.write(line, ending="")
            return
        # Write beside the target and rename, so a failed export never leaves half a file.
        directory = output.resolve().parent
        if not directory.is_dir():
            raise CommandError(f"{output}: folder {directory} does not exist")
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{output.name}.")
        try:
            count = 0
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                for line in strategy_json_lines(queryset):
                    stream.write(line)
                    count += 1
            os.replace(temporary, output)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stderr.write(f"{count} strategies written to {output}")
