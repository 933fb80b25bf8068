"""How the import commands report per-file outcomes (shared by import_sherloc and
import_strategies so that both speak the same way)."""

from django.core.management.base import BaseCommand, CommandError

from strategies.importers.outcome import FileOutcome


def report_outcomes(command: BaseCommand, outcomes: list[FileOutcome]) -> None:
    failed = 0
    for outcome in outcomes:
        if outcome.ok:
            verb = "would import" if outcome.dry_run else "imported"
            parts = []
            if outcome.created:
                parts.append(f"created {', '.join(outcome.created)}")
            if outcome.updated:
                parts.append(f"updated {', '.join(outcome.updated)}")
            if outcome.unchanged:
                # Counted, not listed: a file imported again is mostly unchanged records.
                count = len(outcome.unchanged)
                parts.append(
                    f"{count} unchanged" if count > 1 else f"{outcome.unchanged[0]} unchanged"
                )
            command.stdout.write(
                command.style.SUCCESS(f"{outcome.source}: {verb} ({'; '.join(parts)})")
            )
        else:
            failed += 1
            command.stderr.write(
                command.style.ERROR(f"{outcome.source}: rejected, nothing from it was saved")
            )
            for error in outcome.errors:
                command.stderr.write(f"  {error}")
    if failed:
        raise CommandError(f"{failed} of {len(outcomes)} file(s) failed")
