"""Import strategies from canonical JSON Lines (what `export_strategies` writes).

A file is all or nothing: every line is checked, every error is reported with its line number,
and the file's records are saved in one transaction only when none failed.
"""

import json
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from ..canonical import CanonicalFormError, from_canonical
from ..services import StrategyValidationError, Vocabulary, save_strategy
from .outcome import DryRunRollback, FileOutcome


def import_strategy_lines(
    lines: Iterable[bytes | str], *, source: str, dry_run: bool = False
) -> FileOutcome:
    # Run by a trusted operator's command: no user, and the file named in each history entry.
    reason = f"import_strategies {source}"
    outcome = FileOutcome(source=source, dry_run=dry_run)
    vocabulary = Vocabulary()
    seen: dict[str, int] = {}
    try:
        with transaction.atomic():
            for number, raw in enumerate(lines, start=1):
                where = f"{source}: line {number}"
                if isinstance(raw, bytes):
                    try:
                        raw = raw.decode("utf-8")
                    except UnicodeDecodeError as error:
                        outcome.errors.append(
                            _("%(where)s: not UTF-8 (byte %(offset)d)")
                            % {"where": where, "offset": error.start}
                        )
                        continue
                if not raw.strip():
                    continue
                try:
                    data = from_canonical(json.loads(raw))
                except json.JSONDecodeError as error:
                    outcome.errors.append(
                        _("%(where)s: not valid JSON (%(reason)s at column %(column)d)")
                        % {"where": where, "reason": error.msg, "column": error.colno}
                    )
                    continue
                except CanonicalFormError as error:
                    outcome.errors.append(f"{where}: {error}")
                    continue
                if data.strategy_id in seen:
                    outcome.errors.append(
                        _("%(where)s: %(id)s already appears on line %(line)d")
                        % {"where": where, "id": data.strategy_id, "line": seen[data.strategy_id]}
                    )
                    continue
                seen[data.strategy_id] = number
                try:
                    with transaction.atomic():
                        result = save_strategy(data, vocabulary=vocabulary, reason=reason)
                except StrategyValidationError as error:
                    outcome.errors.extend(
                        f"{where}: {data.strategy_id}: {message}" for message in error.messages()
                    )
                    continue
                bucket = outcome.created if result.created else outcome.updated
                bucket.append(result.strategy.strategy_id)
            if not seen and not outcome.errors:
                outcome.errors.append(
                    _("%(source)s: no strategies in the file") % {"source": source}
                )
            if outcome.errors or dry_run:
                raise DryRunRollback
    except DryRunRollback:
        pass
    if outcome.errors:
        outcome.created.clear()
        outcome.updated.clear()
    return outcome
