"""Import strategies from canonical JSON Lines (what `export_strategies` writes).

A file is all or nothing: every line is checked, every error is reported with its line number,
and the file's records are saved in one transaction only when none failed. Records are saved
`BATCH_SIZE` at a time through `save_strategies()`, a few statements per batch rather than per
record. Each batch's word vectors are computed on a second database session while the batch
before it is written (`WordVectors`).
"""

import json
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from ..canonical import CanonicalFormError, from_canonical
from ..services import (
    PreparedBatch,
    StrategyData,
    StrategyValidationError,
    Vocabulary,
    WordVectors,
    index_merges_deferred,
    save_strategies,
)
from .outcome import DryRunRollback, FileOutcome

BATCH_SIZE = 500


def import_strategy_lines(
    lines: Iterable[bytes | str], *, source: str, dry_run: bool = False
) -> FileOutcome:
    # Run by a trusted operator's command: no user, and the file named in each history entry.
    reason = f"import_strategies {source}"
    outcome = FileOutcome(source=source, dry_run=dry_run)
    vocabulary = Vocabulary()
    seen: dict[str, int] = {}
    # (line number, message): a batch's records are checked after the lines that follow them
    # in the batch, so the errors are put back in line order at the end.
    errors: list[tuple[int, str]] = []
    batch: list[tuple[int, StrategyData]] = []
    # The batch read before `batch`, prepared and waiting to be saved.
    waiting: tuple[list[tuple[int, StrategyData]], PreparedBatch] | None = None

    def batch_read(vectors: WordVectors) -> None:
        """Prepare `batch` (its vectors computed from now on) and save the one waiting."""
        nonlocal waiting, batch
        prepared = vectors.prepare([data for _number, data in batch])
        if waiting is not None:
            save_batch(*waiting)
        waiting, batch = (batch, prepared), []

    def save_batch(entries: list[tuple[int, StrategyData]], prepared: PreparedBatch) -> None:
        results = save_strategies(
            [data for _number, data in entries],
            vocabulary=vocabulary,
            reasons=[reason] * len(entries),
            prepared=prepared,
        )
        for (number, data), result in zip(entries, results, strict=True):
            if isinstance(result, StrategyValidationError):
                errors.extend(
                    (number, f"{source}: line {number}: {data.strategy_id}: {message}")
                    for message in result.messages()
                )
            else:
                outcome.add(result)

    try:
        with transaction.atomic(), index_merges_deferred(), WordVectors() as vectors:
            for number, raw in enumerate(lines, start=1):
                where = f"{source}: line {number}"
                if isinstance(raw, bytes):
                    try:
                        raw = raw.decode("utf-8")
                    except UnicodeDecodeError as error:
                        errors.append(
                            (
                                number,
                                _("%(where)s: not UTF-8 (byte %(offset)d)")
                                % {"where": where, "offset": error.start},
                            )
                        )
                        continue
                if not raw.strip():
                    continue
                try:
                    data = from_canonical(json.loads(raw))
                except json.JSONDecodeError as error:
                    errors.append(
                        (
                            number,
                            _("%(where)s: not valid JSON (%(reason)s at column %(column)d)")
                            % {"where": where, "reason": error.msg, "column": error.colno},
                        )
                    )
                    continue
                except CanonicalFormError as error:
                    errors.append((number, f"{where}: {error}"))
                    continue
                if data.strategy_id in seen:
                    errors.append(
                        (
                            number,
                            _("%(where)s: %(id)s already appears on line %(line)d")
                            % {
                                "where": where,
                                "id": data.strategy_id,
                                "line": seen[data.strategy_id],
                            },
                        )
                    )
                    continue
                seen[data.strategy_id] = number
                batch.append((number, data))
                if len(batch) >= BATCH_SIZE:
                    batch_read(vectors)
            if batch:
                batch_read(vectors)
            if waiting is not None:
                save_batch(*waiting)
            outcome.errors = [message for _number, message in sorted(errors, key=lambda e: e[0])]
            if not seen and not outcome.errors:
                outcome.errors.append(
                    _("%(source)s: no strategies in the file") % {"source": source}
                )
            if outcome.errors or dry_run:
                raise DryRunRollback
    except DryRunRollback:
        pass
    if outcome.errors:
        outcome.forget_saved()
    return outcome
