#!/usr/bin/env python
"""Import rates of the two import commands, measured with real writes, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sherlock_bench \\
        .venv/bin/python bench/imports.py --pages 500 --records 5000 --repeat 3

Times `import_sherloc` over `pages` distinct SHERLOC pages (the sample page under free GBR IDs)
and `import_strategies` over a JSON Lines file of `records` strategies (synthetic strategies of
the database, exported and given free IDs), each through `call_command` so that the commands
themselves are measured, committing as they do. The JSON Lines file is then imported twice
more: as it is (every record already so, left alone) and with one article fewer in each record
(every record written again, its text kept). Afterwards it deletes what it imported (records,
tags and history entries) and vacuums the tables, leaving the catalogue as it was; only
sequences (ids, the catalogue version) have moved on. Budgets: 200 pages/s and 2,000 records/s.
This is not a test: it prints figures, run it on purpose on a database made for it
(generate_strategies first).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sherlock.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402

from strategies.exporters import canonical_json_lines  # noqa: E402
from strategies.models import Attachment, Strategy, strategy_history  # noqa: E402

SAMPLE_PAGE = PROJECT / "fixtures" / "samples" / "GBR0007s.txt"
SAMPLE_ID = "GBR0007s"
SHERLOC_BUDGET = 200
JSONL_BUDGET = 2000
TAG_FIELDS = ("crime_types", "articles", "cross_cutting_issues")


def _free_ids(jurisdiction: str, count: int, taken: set[str], start: int = 1000) -> list[str]:
    """`count` IDs of a jurisdiction that no strategy (deleted ones included) uses."""
    free = []
    for number in range(start, 10000):
        strategy_id = f"{jurisdiction}{number:04d}s"
        if strategy_id not in taken:
            free.append(strategy_id)
            if len(free) == count:
                return free
    raise RuntimeError(f"fewer than {count} free IDs for {jurisdiction} from {start}")


def _pages(folder: Path, count: int, taken: set[str]) -> list[str]:
    sample = SAMPLE_PAGE.read_text(encoding="utf-8")
    paths = []
    for strategy_id in _free_ids("GBR", count, taken):
        path = folder / f"{strategy_id}.txt"
        path.write_text(sample.replace(SAMPLE_ID, strategy_id), encoding="utf-8")
        paths.append(str(path))
        taken.add(strategy_id)
    return paths


def _records(path: Path, count: int, taken: set[str]) -> list[str]:
    """Synthetic strategies of the database in canonical form, under free IDs of their
    jurisdictions (cycled through when there are fewer than `count`)."""
    source = Strategy.objects.filter(synthetic=True)
    if not source.exists():
        raise RuntimeError("No synthetic strategies to export: run generate_strategies first.")
    lines = canonical_json_lines(source.order_by("strategy_id")[:count])
    ids = []
    next_number: dict[str, int] = {}
    with path.open("w", encoding="utf-8") as stream:
        for line in islice(cycle(list(lines)), count):
            record = json.loads(line)
            jurisdiction = record["jurisdiction"]
            (strategy_id,) = _free_ids(jurisdiction, 1, taken, next_number.get(jurisdiction, 1000))
            next_number[jurisdiction] = int(strategy_id[len(jurisdiction) : -1]) + 1
            taken.add(strategy_id)
            record["strategy_id"] = strategy_id
            stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            ids.append(strategy_id)
    return ids


def _retag(source: Path, target: Path) -> None:
    """The records of `source` with their last article taken off (each has 3 to 25)."""
    with source.open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as stream:
        for line in lines:
            record = json.loads(line)
            record["articles"] = record["articles"][:-1]
            stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def _remove(strategy_ids: list[str], first_history_id: int) -> None:
    """Delete the imported strategies with their tags and the history entries the run wrote,
    without the history entry a delete would itself leave."""
    with transaction.atomic():
        entries = Strategy.history.model.objects.filter(
            strategy_id__in=strategy_ids, history_id__gte=first_history_id
        )
        for m2m_history in strategy_history.m2m_models.values():
            m2m_history.objects.filter(history__in=entries)._raw_delete(connection.alias)
        entries._raw_delete(connection.alias)
        strategies = Strategy.all_objects.filter(strategy_id__in=strategy_ids)
        for name in TAG_FIELDS:
            through = getattr(Strategy, name).through
            through.objects.filter(strategy__in=strategies)._raw_delete(connection.alias)
        Attachment.objects.filter(strategy__in=strategies)._raw_delete(connection.alias)
        strategies._raw_delete(connection.alias)


def _vacuum() -> None:
    """Reclaim the rows the run wrote and removed, so that the next run (or benchmark) meets
    the tables as they were rather than bloated (autovacuum may take its time)."""
    models = [Strategy, Strategy.history.model, Attachment]
    models += [getattr(Strategy, name).through for name in TAG_FIELDS]
    models += list(strategy_history.m2m_models.values())
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def _timed_command(name: str, *arguments: str) -> float:
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    call_command(name, *arguments, stdout=out, stderr=err)
    return time.perf_counter() - started


def measure_import_rates(pages: int = 500, records: int = 5000) -> dict[str, float]:
    """Pages per second of import_sherloc and records per second of import_strategies, real
    writes into the current database, removed again afterwards."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The import budgets are for PostgreSQL: set DATABASE_URL.")
    taken = set(Strategy.all_objects.values_list("strategy_id", flat=True))
    first_history_id = (Strategy.history.aggregate(last=Max("history_id"))["last"] or 0) + 1
    rates = {}
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        folder = Path(folder)
        page_files = _pages(folder, pages, taken)
        page_ids = [Path(name).stem for name in page_files]
        jsonl = folder / "strategies.jsonl"
        record_ids = _records(jsonl, records, taken)
        try:
            seconds = _timed_command("import_sherloc", *page_files)
            rates["import_sherloc_pages_per_s"] = pages / seconds
        finally:
            _remove(page_ids, first_history_id)
        try:
            seconds = _timed_command("import_strategies", str(jsonl))
            rates["import_strategies_records_per_s"] = records / seconds
            # The same file again: every record is already so, and is left alone.
            seconds = _timed_command("import_strategies", str(jsonl))
            rates["import_strategies_unchanged_records_per_s"] = records / seconds
            # Each record with one article fewer: every record is written, its text kept.
            retagged = folder / "retagged.jsonl"
            _retag(jsonl, retagged)
            seconds = _timed_command("import_strategies", str(retagged))
            rates["import_strategies_retagged_records_per_s"] = records / seconds
        finally:
            _remove(record_ids, first_history_id)
            _vacuum()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="Measure this many times (the machine may be busy)."
    )
    options = parser.parse_args()
    for _run in range(options.repeat):
        rates = measure_import_rates(options.pages, options.records)
        sherloc = rates["import_sherloc_pages_per_s"]
        jsonl = rates["import_strategies_records_per_s"]
        print(
            f"import_sherloc: {sherloc:.0f} pages/s over {options.pages} pages "
            f"(budget {SHERLOC_BUDGET}: {'ok' if sherloc >= SHERLOC_BUDGET else 'UNDER'}); "
            f"import_strategies: {jsonl:.0f} records/s over {options.records} records "
            f"(budget {JSONL_BUDGET}: {'ok' if jsonl >= JSONL_BUDGET else 'UNDER'}); "
            f"the same file again, unchanged: "
            f"{rates['import_strategies_unchanged_records_per_s']:.0f} records/s; "
            f"again with one article fewer each: "
            f"{rates['import_strategies_retagged_records_per_s']:.0f} records/s",
            flush=True,
        )


if __name__ == "__main__":
    main()
