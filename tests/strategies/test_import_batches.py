"""The importers save in batches (`save_strategies()`): the same records, tags, history entries
and error messages as saving one by one (`save_strategy()`), each SHERLOC file still whole or
not at all, each JSON Lines file still all or nothing."""

import datetime
import json
import threading
import time
from dataclasses import replace

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from strategies import services
from strategies.canonical import from_canonical, to_canonical
from strategies.importers import jsonl, sherloc_import
from strategies.importers.sherloc_import import import_sherloc_files
from strategies.models import PHRASE_KEYS, SEARCH_VECTOR, CatalogueVersion, Status, Strategy
from strategies.services import (
    SHARED_VECTORS_FROM,
    AttachmentData,
    SaveResult,
    StrategyData,
    StrategyValidationError,
    WordVectors,
    delete_strategy,
    save_strategies,
    save_strategy,
)
from taxonomy.loading import load_vocabularies
from tests.conftest import postgresql_only

from .factories import make_strategy

pytestmark = pytest.mark.django_db

LEAF = "victims/victims-of-crime/details/victims-of-crime"
TAG_FIELDS = ("crime_types", "articles", "cross_cutting_issues")
# A row's phrase keys are those of its word vector (migrations 0014 and 0017).
KEYS_IN_STEP = f"phrase_keys = {PHRASE_KEYS.format(vector='search_vector')}"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def history_tags(entry) -> dict[str, list[str]]:
    return {
        "crime_types": sorted(row.crimetype.slug for row in entry.crime_types.all()),
        "articles": sorted(row.article.code for row in entry.articles.all()),
        "cross_cutting_issues": sorted(
            row.crosscuttingissue.path for row in entry.cross_cutting_issues.all()
        ),
    }


def current_tags(strategy: Strategy) -> dict[str, list[str]]:
    record = to_canonical(strategy)
    return {name: sorted(record[name]) for name in TAG_FIELDS}


def catalogue_state() -> list:
    """Every record in canonical form with its history (what, why, by whom, which tags)."""
    state = []
    for strategy in Strategy.all_objects.order_by("strategy_id"):
        entries = [
            (
                entry.history_type,
                entry.history_change_reason,
                entry.history_user_id,
                entry.title,
                entry.summary,
                entry.status,
                entry.deleted_at,
                history_tags(entry),
            )
            for entry in strategy.history.order_by("history_date", "history_id")
        ]
        state.append((to_canonical(strategy), strategy.synthetic, strategy.deleted_at, entries))
    return state


def existing_records():
    make_strategy(
        "GBR0001s", crime_types=["drugs", "corruption"], articles=["UNTOC-5"],
        cross_cutting_issues=[LEAF], summary="<p>Old</p>",
    )  # fmt: skip
    make_strategy("GBR0002s", status="published")
    gone = make_strategy("FRA0001s", title="Supprimée", crime_types=["firearms"])
    delete_strategy(gone, reason="Deleted in a test")
    name = default_storage.save("attachments/GBR0001s/plan.pdf", ContentFile(b"%PDF-1.7"))
    return name


def writes(attachment: str) -> list[StrategyData]:
    return [
        # Tags changed: some kept, some gone, some new; an attachment added.
        StrategyData(
            "GBR0001s",
            "Renamed",
            "GBR",
            adoption_date=datetime.date(2020, 1, 2),
            summary="<p>New <script>alert(1)</script></p>",
            crime_types=["drugs", "firearms"],
            articles=["UNTOC-5", "UNTOC-11"],
            cross_cutting_issues=[],
            attachments=[AttachmentData(attachment, "Plan")],
        ),  # fmt: skip
        StrategyData("GBR0002s", "Unchanged tags", "GBR", status="published", attachments=None),
        StrategyData("FRA0001s", "Restaurée", "FRA", crime_types=["corruption"]),  # restored
        StrategyData(
            "SADC0001s",
            "Regional",
            "SADC",
            status="published",
            language="fr",
            source_url="https://example.org/s",
            cross_cutting_issues=[LEAF],
        ),  # fmt: skip
    ]


def test_a_batch_saves_exactly_what_saving_one_by_one_saves():
    attachment = existing_records()
    results = {}
    states = {}
    for way in ("one by one", "batch"):
        with transaction.atomic():
            if way == "one by one":
                results[way] = [save_strategy(data, reason="test") for data in writes(attachment)]
            else:
                results[way] = save_strategies(writes(attachment), reasons=["test"] * 4)
            states[way] = catalogue_state()
            transaction.set_rollback(True)
    assert states["batch"] == states["one by one"]
    assert [(r.created, r.restored) for r in results["batch"]] == [
        (r.created, r.restored) for r in results["one by one"]
    ]
    assert [(r.created, r.restored) for r in results["batch"]] == [
        (False, False), (False, False), (False, True), (True, False),
    ]  # fmt: skip
    assert "<script>" not in states["batch"][2][0]["summary"]  # GBR0001s: sanitised


BAD = [
    StrategyData("FRA0003s", "Wrong prefix", "GBR"),
    StrategyData("GBR0004s", "x" * 501, "GBR"),
    StrategyData("GBR0005s", "Unknown codes", "GBR", crime_types=["nope"], articles=["UNTOC-99"]),
    StrategyData("XYZ0001s", "Unknown jurisdiction", "XYZ"),
    StrategyData("GBR0006s", "Bad language and URL", "GBR", language="xx", source_url="nope"),
    StrategyData("GBR0007s", "Nul\x00", "GBR", status="archived"),
    StrategyData("GBR0008s", "Missing file", "GBR", attachments=[AttachmentData("no.pdf", "x")]),
    StrategyData("GBR0009s", "", "GBR", cross_cutting_issues=["victims"]),
]
if connection.vendor == "postgresql":
    # On SQLite the ID checks made by queries let a trailing newline through (Python's "$"), in
    # one save as in a batch, and only the table's constraint stops it; PostgreSQL's do not.
    BAD.append(StrategyData("GBR0003s\n", "Trailing newline", "GBR"))


def test_a_batch_rejects_each_bad_record_in_the_same_words_and_saves_the_good_ones():
    expected = []
    for data in BAD:
        with pytest.raises(StrategyValidationError) as error:
            save_strategy(data)
        expected.append(error.value.errors)
    good = StrategyData("GBR0010s", "Good", "GBR")

    results = save_strategies([*BAD[:4], good, *BAD[4:]])

    assert [r.errors for r in results if isinstance(r, StrategyValidationError)] == expected
    assert isinstance(results[4], SaveResult) and results[4].created
    assert list(Strategy.objects.values_list("strategy_id", flat=True)) == ["GBR0010s"]
    assert Strategy.objects.get().history.count() == 1


def test_a_batch_checks_the_right_to_publish_as_one_save_does():
    editor = User.objects.create_user("editor")
    data = StrategyData("GBR0001s", "Published by an editor", "GBR", status=Status.PUBLISHED)
    with pytest.raises(StrategyValidationError) as one:
        save_strategy(data, user=editor)
    (batch,) = save_strategies([data], user=editor)
    assert batch.errors == one.value.errors
    assert not Strategy.objects.exists()

    draft = StrategyData("GBR0001s", "A draft", "GBR")
    (saved,) = save_strategies([draft], user=editor)
    assert saved.strategy.history.get().history_user == editor


def test_a_batch_needs_distinct_ids():
    with pytest.raises(ValueError, match="distinct"):
        save_strategies(
            [StrategyData("GBR0001s", "a", "GBR"), StrategyData("GBR0001s", "b", "GBR")]
        )
    with pytest.raises(ValueError, match="non-empty"):
        save_strategies([StrategyData("", "a", "GBR")])


# -- import_sherloc: a run of files ---------------------------------------------------------------


def _replace(page: bytes, old: str, new: str) -> bytes:
    assert old.encode() in page
    return page.replace(old.encode(), new.encode())


@pytest.fixture
def pages(tmp_path, sample_page_bytes):
    """Five page files GBR1000s … GBR1004s."""
    return page_files(tmp_path, sample_page_bytes, 5)


def page_files(folder, sample_page_bytes, count: int) -> list:
    """`count` copies of the sample page, GBR1000s onwards."""
    paths = []
    for number in range(1000, 1000 + count):
        path = folder / f"GBR{number}s.txt"
        path.write_bytes(_replace(sample_page_bytes, "GBR0007s", f"GBR{number}s"))
        paths.append(path)
    return paths


def revised_page(folder, sample_page_bytes, strategy_id: str, title: str):
    """The sample page under another ID and title, in a file of its own."""
    path = folder / f"{strategy_id}-revised.txt"
    page = _replace(sample_page_bytes, "GBR0007s", strategy_id)
    path.write_bytes(_replace(page, "Serious and Organized Crime Strategy", title))
    return path


def test_a_file_failing_in_the_middle_of_a_run_leaves_the_others_imported(pages, capsys):
    # A title too long for the record: the parser accepts it, the save's checks do not.
    bad = pages[2]
    bad.write_bytes(
        _replace(bad.read_bytes(), "Serious and Organized Crime Strategy", "Strategy " * 60)
    )
    with pytest.raises(CommandError, match="1 of 5 file"):
        call_command("import_sherloc", *map(str, pages))
    captured = capsys.readouterr()
    assert f"{bad}: rejected, nothing from it was saved" in captured.err
    assert f"{bad}: title: " in captured.err
    for path in pages[:2] + pages[3:]:
        assert f"{path}: imported (created {path.stem})" in captured.out
    assert sorted(Strategy.objects.values_list("strategy_id", flat=True)) == [
        "GBR1000s", "GBR1001s", "GBR1003s", "GBR1004s",
    ]  # fmt: skip
    assert not Strategy.history.filter(strategy_id="GBR1002s").exists()


def test_every_imported_page_has_its_history_entry_with_its_tags(pages):
    call_command("import_sherloc", *map(str, pages))
    call_command("import_sherloc", str(pages[0]), draft=True)
    for path in pages:
        strategy = Strategy.objects.get(strategy_id=path.stem)
        entries = list(strategy.history.order_by("history_id"))
        assert [(e.history_type, e.history_change_reason) for e in entries][0] == (
            "+",
            f"import_sherloc {path}",
        )
        assert history_tags(entries[-1]) == current_tags(strategy)
        assert len(history_tags(entries[-1])["cross_cutting_issues"]) == 29
        assert entries[-1].summary == strategy.summary
    reimported = Strategy.objects.get(strategy_id="GBR1000s")
    assert [e.history_type for e in reimported.history.order_by("history_id")] == ["+", "~"]
    assert reimported.history.first().status == Status.DRAFT


def test_batches_and_a_repeated_id_behave_as_files_one_by_one(pages, tmp_path, sample_page_bytes):
    again = revised_page(tmp_path, sample_page_bytes, "GBR1001s", "Revised Strategy")
    outcomes = import_sherloc_files([*pages, again], batch_size=2)
    assert [(o.created, o.updated, o.errors) for o in outcomes] == [
        *[([path.stem], [], []) for path in pages],
        ([], ["GBR1001s"], []),
    ]
    revised = Strategy.objects.get(strategy_id="GBR1001s")
    assert revised.title == "Revised Strategy"
    assert [e.title for e in revised.history.order_by("history_id")] == [
        "Serious and Organized Crime Strategy",
        "Revised Strategy",
    ]
    assert Strategy.objects.count() == 5


@postgresql_only("PostgreSQL's word vectors")
def test_pages_whose_vectors_two_sessions_share_are_saved_as_one_by_one(
    tmp_path, sample_page_bytes
):
    # Batches of SHARED_VECTORS_FROM pages: the second session computes two thirds of each
    # batch's vectors, the trigger the rest. A revised page of an earlier batch starts a batch of
    # its own after it.
    paths = page_files(tmp_path, sample_page_bytes, 2 * SHARED_VECTORS_FROM + 3)
    revised = revised_page(
        tmp_path, sample_page_bytes, "GBR1001s", "Revised witness protection strategy"
    )
    paths.insert(SHARED_VECTORS_FROM + 5, revised)
    outcomes = import_sherloc_files(paths, batch_size=SHARED_VECTORS_FROM)
    assert not [o.errors for o in outcomes if o.errors]
    assert Strategy.objects.count() == len(paths) - 1
    assert Strategy.objects.get(strategy_id="GBR1001s").history.count() == 2
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE search_vector = {SEARCH_VECTOR} AND {KEYS_IN_STEP}), "
            "array_agg(strategy_id) FILTER "
            "(WHERE search_vector @@ plainto_tsquery('english', 'witness protection')) "
            "FROM strategies_strategy"
        )
        assert cursor.fetchone() == (len(paths) - 1, ["GBR1001s"])
    assert not [t for t in threading.enumerate() if t.name.startswith("search_vectors")]


def test_a_dry_run_of_several_files_writes_nothing(pages, capsys):
    call_command("import_sherloc", *map(str, pages), dry_run=True)
    out = capsys.readouterr().out
    assert out.count("would import (created") == 5
    assert not Strategy.objects.exists()
    assert not Strategy.history.exists()


def test_a_batch_the_database_refuses_is_saved_file_by_file(pages, monkeypatch, capsys):
    def refuse_batches(*args, **kwargs):
        raise IntegrityError("refused in a test")

    refused_one_by_one = save_strategy

    def refuse_one(data, **kwargs):
        if data.strategy_id == "GBR1003s":
            raise IntegrityError("duplicate key value violates unique constraint")
        return refused_one_by_one(data, **kwargs)

    monkeypatch.setattr(sherloc_import, "save_strategies", refuse_batches)
    monkeypatch.setattr(sherloc_import, "save_strategy", refuse_one)
    with pytest.raises(CommandError, match="1 of 5 file"):
        call_command("import_sherloc", *map(str, pages))
    err = capsys.readouterr().err
    assert f"{pages[3]}: the database refused the record: duplicate key value" in err
    assert sorted(Strategy.objects.values_list("strategy_id", flat=True)) == [
        "GBR1000s", "GBR1001s", "GBR1002s", "GBR1004s",
    ]  # fmt: skip
    assert all(s.history.count() == 1 for s in Strategy.objects.all())


@postgresql_only("PostgreSQL's word vectors")
def test_imported_records_are_found_by_their_words(pages, tmp_path):
    call_command("import_sherloc", *map(str, pages))
    lines = tmp_path / "one.jsonl"
    record = {"strategy_id": "FRA0001s", "title": "Extradition", "jurisdiction": "FRA",
              "summary": "<p>Mutual legal assistance between prosecutors.</p>"}  # fmt: skip
    lines.write_text(json.dumps(record) + "\n", encoding="utf-8")
    call_command("import_strategies", str(lines))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT strategy_id FROM strategies_strategy "
            "WHERE search_vector @@ plainto_tsquery('english', %s) ORDER BY strategy_id",
            ["prosecutors"],
        )
        assert [row[0] for row in cursor.fetchall()] == ["FRA0001s"]
        cursor.execute("SELECT count(*) FROM strategies_strategy WHERE search_vector IS NULL")
        assert cursor.fetchone()[0] == 0


@postgresql_only("PostgreSQL's word vectors")
def test_word_vectors_shared_between_sessions_are_the_triggers(tmp_path):
    count = 2 * SHARED_VECTORS_FROM
    records = [
        record(n, summary=f"<p>Record {n}: <em>extradition</em> and confiscation.</p>" * n)
        for n in range(1, count + 1)
    ]
    call_command("import_strategies", str(jsonl_file(tmp_path, records)))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE search_vector = {SEARCH_VECTOR}) "
            "FROM strategies_strategy"
        )
        assert cursor.fetchone() == (count, count)
        # The trigger is back for the rest of the transaction (here, the test's).
        cursor.execute("SELECT current_setting('strategies.defer_search_vector', true)")
        assert cursor.fetchone()[0] != "on"


@postgresql_only("PostgreSQL's word vectors")
def test_reimported_records_get_the_vectors_of_their_new_words(tmp_path):
    count = 2 * SHARED_VECTORS_FROM
    first = [record(n, summary="<p>Extradition treaties.</p>") for n in range(1, count + 1)]
    call_command("import_strategies", str(jsonl_file(tmp_path, first)))
    # Half the records again with new words, in a batch of new records too.
    again = [
        record(n, summary="<p>Witness <b>protection</b> programmes.</p>")
        for n in range(1, count // 2 + 1)
    ]
    again += [record(n, summary="<p>Asset recovery.</p>") for n in range(count + 1, 2 * count + 1)]
    call_command("import_strategies", str(jsonl_file(tmp_path, again, "again.jsonl")))

    def matching(words: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM strategies_strategy "
                "WHERE search_vector @@ plainto_tsquery('english', %s)",
                [words],
            )
            return cursor.fetchone()[0]

    assert matching("witness protection") == count // 2
    assert matching("extradition") == count - count // 2
    assert matching("asset recovery") == count
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE search_vector = {SEARCH_VECTOR}) "
            "FROM strategies_strategy"
        )
        assert cursor.fetchone()[0] == 2 * count


@postgresql_only("PostgreSQL's compression")
def test_imported_summaries_are_compressed_with_lz4_where_the_server_has_it(tmp_path):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        expected = "lz4" if cursor.fetchone()[0] else "pglz"
    long_summary = "<p>" + " ".join(f"Measure {n} against money laundering." for n in range(300))
    records = [record(n, summary=long_summary) for n in range(1, 2 * SHARED_VECTORS_FROM)]
    call_command("import_strategies", str(jsonl_file(tmp_path, records)))
    make_strategy("GBR0100s", summary=long_summary)  # one save, through the model
    with connection.cursor() as cursor:
        for table in ("strategies_strategy", "strategies_historicalstrategy"):
            cursor.execute(f"SELECT DISTINCT pg_column_compression(summary) FROM {table}")
            assert cursor.fetchall() == [(expected,)], table
    found = Strategy.objects.get(strategy_id="GBR0001s")
    assert found.summary.startswith("<p>Measure 0 against") and len(found.summary) > 10_000
    assert found.history.latest().summary == found.summary


# -- import_strategies: batches within one all-or-nothing file ------------------------------------


def jsonl_file(tmp_path, records, name="records.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def record(number: int, **fields) -> dict:
    return {"strategy_id": f"GBR{number:04d}s", "title": f"Strategy {number}",
            "jurisdiction": "GBR", **fields}  # fmt: skip


def test_a_file_of_several_batches_is_imported_with_history(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl, "BATCH_SIZE", 2)
    path = jsonl_file(
        tmp_path,
        [record(n, crime_types=["drugs"], cross_cutting_issues=[LEAF]) for n in range(1, 6)],
    )
    call_command("import_strategies", str(path))
    assert Strategy.objects.count() == 5
    for strategy in Strategy.objects.all():
        entry = strategy.history.get()
        assert (entry.history_type, entry.history_change_reason) == (
            "+",
            f"import_strategies {path}",
        )
        assert history_tags(entry) == current_tags(strategy)

    # Again, with tags changed: updated in place, one more entry each with the new tags.
    path = jsonl_file(
        tmp_path, [record(n, crime_types=["firearms", "drugs"]) for n in range(1, 6)], "again"
    )
    call_command("import_strategies", str(path))
    for strategy in Strategy.objects.all():
        assert [e.history_type for e in strategy.history.order_by("history_id")] == ["+", "~"]
        assert history_tags(strategy.history.first()) == {
            "crime_types": ["drugs", "firearms"],
            "articles": [],
            "cross_cutting_issues": [],
        }


def test_a_bad_line_in_a_later_batch_rejects_the_whole_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(jsonl, "BATCH_SIZE", 2)
    make_strategy("GBR0001s", title="Before")
    records = [record(n) for n in range(1, 6)]
    records[4]["articles"] = ["UNTOC-99"]  # line 5: known only when its batch is checked
    path = jsonl_file(tmp_path, [*records, {"strategy_id": "GBR0009s"}])  # line 6: no jurisdiction
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("import_strategies", str(path))
    err = capsys.readouterr().err
    assert err.index(f"{path}: line 5: GBR0005s: articles: unknown article code: UNTOC-99") < (
        err.index(f"{path}: line 6: ")
    )
    assert list(Strategy.objects.values_list("strategy_id", "title")) == [("GBR0001s", "Before")]
    assert Strategy.history.count() == 1


@postgresql_only("PostgreSQL's word vectors")
def test_batches_whose_vectors_are_computed_ahead_are_written_whole(tmp_path, monkeypatch):
    # Each batch's vectors are computed while the batch before it is written.
    monkeypatch.setattr(jsonl, "BATCH_SIZE", SHARED_VECTORS_FROM)
    make_strategy("GBR0002s", title="Before", summary="<p>Old words.</p>")
    count = 3 * SHARED_VECTORS_FROM + 5
    records = [
        record(n, summary=f"<p>Record {n}: mutual legal assistance.</p>", crime_types=["drugs"])
        for n in range(1, count + 1)
    ]
    call_command("import_strategies", str(jsonl_file(tmp_path, records)))
    assert Strategy.objects.count() == count
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE search_vector = {SEARCH_VECTOR} AND {KEYS_IN_STEP}), "
            "count(*) FILTER (WHERE search_vector @@ plainto_tsquery('english', 'assistance')) "
            "FROM strategies_strategy"
        )
        assert cursor.fetchone() == (count, count)
    for strategy in Strategy.objects.all():
        assert current_tags(strategy)["crime_types"] == ["drugs"]
        assert strategy.history.latest().history_change_reason.startswith("import_strategies")
    assert not [t for t in threading.enumerate() if t.name.startswith("search_vectors")]


@postgresql_only("PostgreSQL's full-text indexes")
def test_an_import_leaves_the_full_text_indexes_merged(tmp_path):
    def settings():
        # What the import changes for its own merge, and must put back for the rest of the
        # transaction (here the test's).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('gin_pending_list_limit'), "
                "current_setting('maintenance_work_mem')"
            )
            return cursor.fetchone()

    def pooled_settings():
        # Those of every connection waiting in the pool, the merge's among them.
        taken = [
            connection.pool.getconn() for _ in range(connection.pool.get_stats()["pool_available"])
        ]
        try:
            return {
                tuple(
                    pooled.execute(
                        "SELECT current_setting('lock_timeout'), "
                        "current_setting('maintenance_work_mem')"
                    ).fetchone()
                )
                for pooled in taken
            }
        finally:
            for pooled in taken:
                pooled.rollback()
                connection.pool.putconn(pooled)

    before = settings()
    pooled_before = pooled_settings()
    make_strategy("GBR0002s", summary="<p>Joint investigations.</p>")
    assert pending_pages("strategy_phrase_keys") > 0  # a save leaves its keys waiting
    records = [record(n, summary=f"<p>Joint investigation team {n}.</p>") for n in range(1, 60)]
    call_command("import_strategies", str(jsonl_file(tmp_path, records)))
    for index in ("strategy_phrase_keys", "strategy_search_vector", "strategy_title_trigrams"):
        assert pending_pages(index) == 0
    assert settings() == before
    assert not merge_threads()
    # Nor on the other session's connection, which the pool hands out again afterwards.
    assert pooled_settings() == pooled_before


def pending_pages(index: str) -> int:
    """Merge what waits in a full-text index's pending list; how many pages it held."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        return cursor.fetchone()[0]


def merge_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("index_merges")]


@postgresql_only("PostgreSQL's full-text indexes")
def test_a_transaction_holding_the_indexes_merges_them_itself(monkeypatch):
    # A second session would wait for this transaction's lock until its lock timeout (the
    # transaction waits for the merge): the writing session merges them instead, at once.
    monkeypatch.setattr(services, "MERGE_LOCK_TIMEOUT", "30s")
    started = time.monotonic()
    with transaction.atomic(), services.index_merges_deferred():
        make_strategy("GBR0001s", summary="<p>Joint investigations.</p>")
        with connection.cursor() as cursor:
            # Rebuilt, as a load of synthetic strategies rebuilds them all.
            cursor.execute("REINDEX INDEX strategy_title_trigrams")
    assert time.monotonic() - started < 10
    assert pending_pages("strategy_phrase_keys") == 0
    assert not merge_threads()
    assert Strategy.objects.filter(search_vector="joint").exists()


@postgresql_only("PostgreSQL's deferred foreign keys")
def test_a_broken_foreign_key_still_fails_the_block_and_leaves_nothing():
    strategy = make_strategy("GBR0001s")
    articles = Strategy.articles.through
    with (
        pytest.raises(IntegrityError, match="article_id"),
        transaction.atomic(),
        services.index_merges_deferred(),
    ):
        make_strategy("GBR0002s")
        # What a vocabulary entry deleted by another writer during an import leaves.
        articles.objects.create(strategy=strategy, article_id=999_999)
    assert not Strategy.objects.filter(strategy_id="GBR0002s").exists()
    assert not articles.objects.filter(article_id=999_999).exists()
    assert not merge_threads()
    # The foreign keys checked early are deferred again for the rest of the transaction:
    # a row may point at one written after it, as Django expects.
    with transaction.atomic(), services.index_merges_deferred():
        make_strategy("GBR0003s")
    accepted = False
    with pytest.raises(IntegrityError), transaction.atomic():
        articles.objects.create(strategy_id=strategy.pk + 1_000, article_id=999_999)
        accepted = True
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert accepted


@postgresql_only("PostgreSQL's word vectors")
def test_a_bad_record_in_a_batch_computed_ahead_leaves_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(jsonl, "BATCH_SIZE", SHARED_VECTORS_FROM)
    count = 3 * SHARED_VECTORS_FROM
    records = [record(n, summary="<p>Extradition.</p>") for n in range(1, count + 1)]
    records[-1]["crime_types"] = ["no-such-crime"]  # the last batch, prepared while others wrote
    path = jsonl_file(tmp_path, records)
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("import_strategies", str(path))
    assert f"{path}: line {count}: GBR{count:04d}s: crime_types:" in capsys.readouterr().err
    assert not Strategy.all_objects.exists()
    assert not Strategy.history.exists()
    assert not [t for t in threading.enumerate() if t.name.startswith("search_vectors")]


def test_importing_a_deleted_strategys_id_restores_it(tmp_path):
    gone = make_strategy("GBR0001s", title="Gone")
    delete_strategy(gone)
    path = jsonl_file(tmp_path, [record(1)])
    call_command("import_strategies", str(path))
    strategy = Strategy.objects.get()
    assert (strategy.pk, strategy.title, strategy.deleted_at) == (gone.pk, "Strategy 1", None)
    assert strategy.history.first().history_change_reason == f"import_strategies {path}"


# -- importing again: records already so are left alone ------------------------------------------


def test_a_file_imported_again_changes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(jsonl, "BATCH_SIZE", SHARED_VECTORS_FROM)
    plan = default_storage.save("attachments/GBR0001s/plan.pdf", ContentFile(b"%PDF-1.7"))
    count = 2 * SHARED_VECTORS_FROM + 3
    records = [
        record(
            n,
            summary=f"<p>Extradition {n}.<script>alert(1)</script></p>",  # stored sanitised
            crime_types=["drugs", "firearms"],
            articles=["UNTOC-5"],
            cross_cutting_issues=[LEAF],
        )
        for n in range(1, count + 1)
    ]
    records[0]["attachments"] = [{"file": plan, "title": "Plan"}]
    path = jsonl_file(tmp_path, records)
    call_command("import_strategies", str(path))
    state, version = catalogue_state(), CatalogueVersion.current()
    updated_at = dict(Strategy.objects.values_list("strategy_id", "updated_at"))
    capsys.readouterr()

    call_command("import_strategies", str(path))
    assert f"{path}: imported ({count} unchanged)" in capsys.readouterr().out
    assert catalogue_state() == state
    assert CatalogueVersion.current() == version  # caches stay valid
    assert dict(Strategy.objects.values_list("strategy_id", "updated_at")) == updated_at

    # Each kind of change is written, with its history entry, and only it.
    changed = [dict(r) for r in records]
    changed[0]["attachments"] = []
    changed[1]["crime_types"] = ["drugs"]
    changed[2]["summary"] = "<p>Witness protection.</p>"
    changed[3]["status"] = "published"
    changed_path = jsonl_file(tmp_path, changed, "changed.jsonl")
    call_command("import_strategies", str(changed_path))
    assert (
        f"{changed_path}: imported (updated GBR0001s, GBR0002s, GBR0003s, GBR0004s; "
        f"{count - 4} unchanged)"
    ) in capsys.readouterr().out
    entries = {
        strategy.strategy_id: strategy.history.count() for strategy in Strategy.objects.all()
    }
    assert entries == {r["strategy_id"]: 2 if n < 4 else 1 for n, r in enumerate(records)}
    stored = {s.strategy_id: to_canonical(s) for s in Strategy.objects.with_tags()}
    assert stored["GBR0001s"]["attachments"] == []
    assert stored["GBR0002s"]["crime_types"] == ["drugs"]
    assert stored["GBR0003s"]["summary"] == "<p>Witness protection.</p>"
    assert stored["GBR0004s"]["status"] == "published"
    assert stored["GBR0005s"] == state[4][0]


def test_a_sherloc_page_imported_again_changes_nothing(pages, capsys):
    call_command("import_sherloc", *map(str, pages))
    state = catalogue_state()
    capsys.readouterr()
    call_command("import_sherloc", *map(str, pages))
    out = capsys.readouterr().out
    for path in pages:
        assert f"{path}: imported ({path.stem} unchanged)" in out
    assert catalogue_state() == state


def vectors_in_step() -> bool:
    """Whether every row's word vector and phrase keys are those of its title and summary."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT bool_and(search_vector = {SEARCH_VECTOR} AND {KEYS_IN_STEP}) "
            "FROM strategies_strategy"
        )
        return cursor.fetchone()[0]


def found_by(words: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT strategy_id FROM strategies_strategy "
            "WHERE search_vector @@ plainto_tsquery('english', %s) ORDER BY strategy_id",
            [words],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def committing(transactional_db):
    """Every write commits (the second session sees committed rows only); a transactional
    test starts from an empty database."""
    load_vocabularies()


@postgresql_only("PostgreSQL's word vectors")
def test_the_vectors_of_a_stored_text_are_not_computed_again(tmp_path, monkeypatch, committing):
    monkeypatch.setattr(jsonl, "BATCH_SIZE", SHARED_VECTORS_FROM)
    computed: list[bool] = []

    def search_vectors(records):
        results = compute(records)
        computed.extend(vector is not None for vector, _keys in results)
        return results

    compute = services._search_vectors
    monkeypatch.setattr(services, "_search_vectors", search_vectors)
    count = 2 * SHARED_VECTORS_FROM
    first = [record(n, summary="<p>Extradition treaties.</p>") for n in range(1, count + 1)]
    call_command("import_strategies", str(jsonl_file(tmp_path, first)))
    assert computed == [True] * count
    computed.clear()

    # New tags for every record, and new words for five of them.
    again = [dict(r, crime_types=["firearms"]) for r in first]
    for r in again[:5]:
        r["summary"] = "<p>Witness protection.</p>"
    call_command("import_strategies", str(jsonl_file(tmp_path, again, "again.jsonl")))
    assert computed == [n < 5 for n in range(count)]
    assert vectors_in_step()
    assert found_by("witness protection") == [r["strategy_id"] for r in again[:5]]
    assert len(found_by("extradition treaties")) == count - 5
    assert all(
        to_canonical(s)["crime_types"] == ["firearms"] and s.history.count() == 2
        for s in Strategy.objects.with_tags()
    )


@postgresql_only("PostgreSQL's word vectors")
def test_a_text_changed_after_the_other_session_looked_gets_its_vector(tmp_path, committing):
    records = [
        record(n, summary="<p>Extradition treaties.</p>") for n in range(1, SHARED_VECTORS_FROM + 1)
    ]
    call_command("import_strategies", str(jsonl_file(tmp_path, records)))
    items = [from_canonical(r) for r in records]
    with WordVectors() as vectors:
        prepared = vectors.prepare(items)
        # The other session found every text stored as it is, and computed no vector …
        assert prepared.vectors.result() == [(None, None)] * len(items)
        # … and then another writer changed one (committed: there is no transaction open).
        save_strategy(replace(items[0], summary="<p>Witness protection.</p>"))
        results = save_strategies(items, prepared=prepared)
    assert [r.unchanged for r in results] == [False] + [True] * (len(items) - 1)
    assert Strategy.objects.get(strategy_id="GBR0001s").summary == "<p>Extradition treaties.</p>"
    assert vectors_in_step()
    assert found_by("witness protection") == []
    assert len(found_by("extradition treaties")) == len(items)
