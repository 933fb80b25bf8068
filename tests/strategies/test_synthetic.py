import random

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from strategies import synthetic
from strategies.models import TAG_TABLES, CatalogueVersion, Strategy
from strategies.search import FACETS, StrategyQuery, StrategySearch
from strategies.services import next_strategy_id
from strategies.synthetic import (
    CATALOGUE_TABLES,
    MAX_PER_JURISDICTION,
    Vocabulary,
    generate,
    jurisdiction_counts,
    synthetic_batches,
)
from taxonomy.loading import load_vocabularies
from tests.conftest import postgresql_only

from .factories import make_strategy

pytestmark = pytest.mark.django_db


def generated():
    """Everything a run drew: the records, and their tags."""
    strategies = Strategy.objects.filter(synthetic=True).order_by("strategy_id")
    fields = ["title", "adoption_date", "language", "status", "summary"]
    tags = ["crime_types", "articles", "cross_cutting_issues"]
    return list(strategies.values_list("strategy_id", *fields)), [
        sorted(strategies.values_list("strategy_id", tag)) for tag in tags
    ]


def test_generates_flagged_records_of_realistic_shape():
    call_command("generate_strategies", 60, seed=7, no_progress=True)
    strategies = Strategy.objects.filter(synthetic=True).prefetch_related(
        "crime_types", "articles", "cross_cutting_issues"
    )
    assert strategies.count() == 60
    for strategy in strategies:
        assert strategy.strategy_id.startswith(strategy.jurisdiction_id)
        assert strategy.strategy_id[-5:-1] >= "5000"  # the top of the ID space
        assert 1 <= len(strategy.crime_types.all()) <= 12
        assert 3 <= len(strategy.articles.all()) <= 25
        assert 5 <= len(strategy.cross_cutting_issues.all()) <= 40
        assert all(issue.is_leaf for issue in strategy.cross_cutting_issues.all())
        words = len(strategy.summary.replace("<p>", " ").replace("</p>", " ").split())
        assert 200 <= words <= 2000
        assert strategy.summary.startswith("<p>")


def test_same_seed_gives_the_same_records():
    call_command("generate_strategies", 30, seed=11, no_progress=True)
    first = generated()
    call_command("generate_strategies", remove=True)
    call_command("generate_strategies", 30, seed=11, no_progress=True)
    assert generated() == first


def test_real_records_keep_their_ids_and_are_never_removed(capsys):
    make_strategy("GBR0007s")
    call_command("generate_strategies", 40, seed=1, no_progress=True)
    assert next_strategy_id("GBR") == "GBR0008s"
    call_command("generate_strategies", remove=True)
    assert "Removed 40 synthetic strategies." in capsys.readouterr().out
    assert list(Strategy.objects.values_list("strategy_id", flat=True)) == ["GBR0007s"]


def test_real_data_saved_over_a_synthetic_record_makes_it_real():
    call_command("generate_strategies", 5, seed=2, no_progress=True)
    synthetic_id = Strategy.objects.filter(synthetic=True).first().strategy_id
    make_strategy(synthetic_id, title="A real strategy")
    call_command("generate_strategies", remove=True)
    assert Strategy.objects.get().strategy_id == synthetic_id


def test_distribution_is_skewed_and_respects_the_id_space():
    counts = jurisdiction_counts([f"C{i:02d}" for i in range(100)], 20000, random.Random(3))
    assert sum(counts.values()) == 20000
    ordered = sorted(counts.values(), reverse=True)
    assert ordered[0] > 10 * ordered[-1]
    assert max(counts.values()) <= MAX_PER_JURISDICTION
    with pytest.raises(ValueError):
        jurisdiction_counts(["AAA"], MAX_PER_JURISDICTION + 1, random.Random(3))


def test_command_requires_a_count():
    with pytest.raises(CommandError, match="how many"):
        call_command("generate_strategies")


def catalogue_schema():
    """Every index and constraint of the catalogue tables, as PostgreSQL would recreate it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) ORDER BY 1",
            [CATALOGUE_TABLES],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
            "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [CATALOGUE_TABLES],
        )
        return indexes, cursor.fetchall()


def leftover_tables():
    return [name for name in connection.introspection.table_names() if "synthetic" in name]


POSTGRESQL_ONLY = postgresql_only("PostgreSQL's indexes and word vectors")


@pytest.fixture
def empty_catalogue(transactional_db):
    """A committed catalogue with the vocabularies and no strategies, as a real run sees it:
    a run that adds more records than there are rebuilds the indexes, which PostgreSQL allows
    only outside a transaction that has writes waiting for their checks."""
    load_vocabularies()


@POSTGRESQL_ONLY
def test_a_large_run_rebuilds_every_index_and_foreign_key(empty_catalogue):
    make_strategy("GBR0007s")
    before = catalogue_schema()
    with CaptureQueriesContext(connection) as queries:
        assert generate(30, seed=4) == 30
    statements = [query["sql"] for query in queries]
    assert any(sql.startswith("DROP INDEX") for sql in statements)
    assert any("DROP CONSTRAINT" in sql for sql in statements)
    assert catalogue_schema() == before
    for index in ("strategy_search_vector", "strategy_title_trigrams", "strategy_phrase_keys"):
        assert index in str(before)
    assert not leftover_tables()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('strategies.defer_search_vector', true)")
        assert cursor.fetchone()[0] in (None, "", "off")


@POSTGRESQL_ONLY
def test_word_vectors_are_the_triggers(empty_catalogue):
    generate(40, seed=6)  # a rebuild
    generate(10, seed=8)  # into the indexes as they are
    with connection.cursor() as cursor:
        vectors = (
            "SELECT id, search_vector::text, pg_column_compression(search_vector), phrase_keys "
            "FROM strategies_strategy ORDER BY id"
        )
        cursor.execute(vectors)
        loaded = cursor.fetchall()
        # The trigger of migrations 0005, 0008, 0014 and 0017 computes them afresh on this update.
        cursor.execute("SELECT set_config('strategies.defer_search_vector', 'off', false)")
        cursor.execute("UPDATE strategies_strategy SET title = title")
        cursor.execute("RESET strategies.defer_search_vector")
        cursor.execute(vectors)
        assert cursor.fetchall() == loaded  # and stored as the trigger's are
    assert len(loaded) == 50
    assert all(vector and keys for _id, vector, _c, keys in loaded)
    assert Strategy.objects.filter(search_vector="crime").exists()


@pytest.mark.parametrize("failing", ["drawing", "writing"])
def test_a_run_that_fails_halfway_leaves_the_catalogue_as_it_was(
    empty_catalogue, monkeypatch, failing
):
    make_strategy("GBR0007s")
    schema = catalogue_schema() if connection.vendor == "postgresql" else None
    version = CatalogueVersion.current()
    monkeypatch.setattr(synthetic, "BATCH", 4)
    calls = []

    def third_call_fails(function):
        def call(*args, **kwargs):
            calls.append(args)
            if len(calls) == 3:
                raise RuntimeError("halfway")
            return function(*args, **kwargs)

        return call

    progress = lambda n: None  # noqa: E731
    if failing == "drawing":  # in the background thread
        draw = third_call_fails(synthetic._SummaryWriter.write)
        monkeypatch.setattr(synthetic._SummaryWriter, "write", draw)
    else:  # after the second batch was written
        progress = third_call_fails(progress)
    with pytest.raises(RuntimeError, match="halfway"), CaptureQueriesContext(connection) as queries:
        generate(20, seed=5, progress=progress)
    assert len(calls) == 3
    if schema is not None:  # the indexes were dropped, and are back
        assert any(query["sql"].startswith("DROP INDEX") for query in queries)
    assert list(Strategy.all_objects.values_list("strategy_id", flat=True)) == ["GBR0007s"]
    for through, _column in TAG_TABLES.values():
        assert not through.objects.exclude(strategy__strategy_id="GBR0007s").exists()
    if schema is not None:
        assert catalogue_schema() == schema
        assert not leftover_tables()
    # Nothing changed, and the next run works.
    assert generate(20, seed=5) == 20
    assert CatalogueVersion.current() != version


def test_the_facet_index_sees_every_run(db):
    for count, seed in [(50, 3), (70, 4)]:
        call_command("generate_strategies", count, seed=seed, no_progress=True)
        index = StrategySearch(StrategyQuery(), include_drafts=True, engine="index")
        sql = StrategySearch(StrategyQuery(), include_drafts=True, engine="sql")
        counts = index.facet_counts()
        assert counts == {name: sql.sql_counts(name) for name in FACETS}
        assert sum(counts["jurisdiction"].values()) == Strategy.objects.count()
    assert Strategy.objects.count() == 120


def test_batches_draw_the_same_records_whatever_the_thread():
    vocabulary = Vocabulary.from_database()
    drawn = list(synthetic_batches(25, 9, vocabulary, set(), size=10))
    again = list(synthetic._in_background(synthetic_batches(25, 9, vocabulary, set(), size=10)))
    assert [len(batch) for batch in drawn] == [10, 10, 5]
    for one, other in zip(drawn, again, strict=True):
        assert one.summaries == other.summaries and one.titles == other.titles
        for name in TAG_TABLES:
            for a, b in zip(one.tags[name], other.tags[name], strict=True):
                assert np.array_equal(a, b)
