"""The bitmap index must give exactly what plain SQL gives: counts, result sets and order."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies.models import CatalogueVersion, Status, Strategy
from strategies.search import FACETS, StrategyQuery, StrategySearch
from strategies.services import StrategyData, save_strategy
from taxonomy.loading import load_vocabularies

PROJECT = Path(__file__).resolve().parents[2]
WORDS = ["", "strategy", "crime", "national", "corruption -terrorism", "zzzunknownword"]


def compare(query: StrategyQuery, include_drafts: bool = False) -> None:
    index = StrategySearch(query, include_drafts=include_drafts, engine="index")
    sql = StrategySearch(query, include_drafts=include_drafts, engine="sql")
    assert index.facet_counts() == {name: sql.sql_counts(name) for name in FACETS}
    assert [s.strategy_id for s in index.results()] == [s.strategy_id for s in sql.results()]


@pytest.fixture
def synthetic_catalogue(db):
    call_command("generate_strategies", 150, seed=5, no_progress=True)
    return {
        "jurisdiction": sorted(set(Strategy.objects.values_list("jurisdiction_id", flat=True))),
        "region": ["002", "150", "154", "419", "029", "142"],
        "crime_type": ["drugs", "corruption", "firearms", "cybercrime", "piracy"],
        "article": ["UNTOC-5", "UNTOC-11", "UNTOC-31", "TIP-9", "SOM-6", "FAP-5"],
        "issue": [
            "investigation", "prevention", "victims/victims-of-crime",
            "investigation/measures/identify-trace-freeze-seize", "witnesses",
        ],
    }  # fmt: skip


def queries(values):
    facet = {
        name: st.frozensets(st.sampled_from(codes), max_size=3) for name, codes in values.items()
    }
    years = st.one_of(st.none(), st.integers(1995, 2026))
    return st.builds(
        lambda text, f, from_year, to_year, ordering: StrategyQuery(
            text=text,
            **f,
            adopted_from=None
            if from_year is None
            else __import__("datetime").date(from_year, 1, 1),
            adopted_to=None if to_year is None else __import__("datetime").date(to_year, 12, 31),
            ordering=ordering,
        ),
        st.sampled_from(WORDS),
        st.fixed_dictionaries(facet),
        years,
        years,
        st.sampled_from(["", "newest", "oldest", "title", "relevance"]),
    )


def test_index_equals_sql_on_random_filter_combinations(synthetic_catalogue):
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(query=queries(synthetic_catalogue), include_drafts=st.booleans())
    def check(query, include_drafts):
        compare(query, include_drafts)

    check()


def test_index_follows_edits(synthetic_catalogue):
    query = StrategyQuery(crime_type=frozenset({"drugs"}), issue=frozenset({"prevention"}))
    compare(query)
    version = CatalogueVersion.current()
    first = Strategy.objects.filter(status=Status.PUBLISHED).order_by("pk").first()
    save_strategy(
        StrategyData(
            strategy_id=first.strategy_id,
            title="Edited",
            jurisdiction=first.jurisdiction_id,
            status="published",
            crime_types=["drugs"],
            cross_cutting_issues=["prevention/risk-factors"],
        )
    )
    assert CatalogueVersion.current() != version
    compare(query)
    # Bulk writes that bypass Django's signals are seen too (the triggers catch them).
    Strategy.objects.filter(crime_types__slug="drugs").update(status=Status.DRAFT)
    compare(query)
    compare(StrategyQuery())
    Strategy.objects.filter(pk=first.pk).delete()
    compare(StrategyQuery(crime_type=frozenset({"corruption"})))
    save_strategy(StrategyData(strategy_id="", title="New", jurisdiction="FRA", status="published",
                               crime_types=["corruption"], articles=["UNTOC-5"]))  # fmt: skip
    compare(StrategyQuery(crime_type=frozenset({"corruption"})))


@pytest.mark.django_db(transaction=True)
def test_index_follows_edits_made_by_another_process():
    load_vocabularies()  # a transactional test starts from an empty database
    call_command("generate_strategies", 40, seed=9, no_progress=True)
    query = StrategyQuery(crime_type=frozenset({"drugs"}))
    before = StrategySearch(query).facet_counts()
    compare(query)

    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
            f"/{settings_dict['NAME']}"
        )
    else:
        url = f"sqlite:///{settings_dict['NAME']}"
    script = (
        "from strategies.models import Strategy;"
        "print(Strategy.objects.filter(synthetic=True, status='published')"
        ".exclude(crime_types__slug='drugs').update(status='draft'))"
    )
    other = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": url, "DEBUG": "1"},
        capture_output=True,
        text=True,
    )
    assert other.returncode == 0, other.stderr
    changed = int(other.stdout.split()[-1])
    assert changed > 0, other.stdout + other.stderr
    assert Strategy.objects.filter(status=Status.DRAFT).count() >= changed
    after = StrategySearch(query).facet_counts()
    assert after != before
    assert sum(after["jurisdiction"].values()) == sum(before["jurisdiction"].values())
    assert sum(after["crime_type"].values()) < sum(before["crime_type"].values())
    compare(query)


def test_version_still_moves_after_a_flush_emptied_its_table(synthetic_catalogue):
    CatalogueVersion.objects.all().delete()  # what `manage.py flush` and test teardown do
    before = CatalogueVersion.current()
    Strategy.objects.filter(pk=Strategy.objects.order_by("pk").first().pk).update(title="Edited")
    assert CatalogueVersion.current() != before
    compare(StrategyQuery())


@pytest.mark.django_db(transaction=True)
def test_a_reader_never_labels_old_rows_with_a_writers_new_version():
    """A write still in progress must not move the version readers see: an index built from the
    rows as they were would otherwise carry the new number and be kept after the commit."""
    load_vocabularies()
    call_command("generate_strategies", 20, seed=3, no_progress=True)
    writer = connection.copy()  # a second session, as another process would have
    try:
        writer.connect()
        writer.set_autocommit(False)
        with writer.cursor() as cursor:
            cursor.execute("UPDATE strategies_strategy SET status = 'draft' WHERE synthetic")
        # Before the writer commits: the reader's version and index are the old catalogue's.
        search = StrategySearch(StrategyQuery())
        before = search.results().count()
        assert before > 0
        version = CatalogueVersion.current()
        writer.commit()
    finally:
        writer.close()
    assert CatalogueVersion.current() != version
    # After the commit the version has moved and the next search sees every strategy as a draft.
    assert StrategySearch(StrategyQuery()).results().count() == 0
