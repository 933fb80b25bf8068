"""The bitmap index must give exactly what plain SQL gives: counts, result sets and order."""

import contextlib
import datetime
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies.facet_index import current_index
from strategies.models import CatalogueVersion, Status, Strategy
from strategies.search import FACETS, StrategyQuery, StrategySearch
from strategies.services import StrategyData, delete_strategy, restore_strategy, save_strategy
from taxonomy.loading import load_vocabularies
from taxonomy.models import CrimeType, CrossCuttingIssue
from tests.conftest import postgresql_only

PROJECT = Path(__file__).resolve().parents[2]
WORDS = ["", "strategy", "crime", "national", "corruption -terrorism", "zzzunknownword"]


def compare(query: StrategyQuery, include_drafts: bool = False) -> None:
    index = StrategySearch(query, include_drafts=include_drafts, engine="index")
    sql = StrategySearch(query, include_drafts=include_drafts, engine="sql")
    assert index.facet_counts() == {name: sql.sql_counts(name) for name in FACETS}
    listed = list(sql.results())
    assert [s.strategy_id for s in index.results()] == [s.strategy_id for s in listed]
    # A results page's crime types and articles, which the index reads from its bits.
    page = [strategy.pk for strategy in listed[:20]]
    for facet in ("crime_type", "article"):
        from_index, from_sql = index.tag_codes(facet, page), sql.tag_codes(facet, page)
        assert {pk: sorted(codes) for pk, codes in from_index.items()} == {
            pk: sorted(codes) for pk, codes in from_sql.items()
        }


@pytest.fixture
def synthetic_catalogue(db):
    return generated_catalogue()


@pytest.fixture
def committed_catalogue(transactional_db):
    """The same catalogue in a test whose every write commits, as in production: the change log
    then names each transaction's strategies alone (in a test's single transaction every
    write shares one transaction id, and a patch rereads all of them)."""
    load_vocabularies()  # a transactional test starts from an empty database
    return generated_catalogue()


def generated_catalogue() -> dict[str, list[str]]:
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
            adopted_from=None if from_year is None else datetime.date(from_year, 1, 1),
            adopted_to=None if to_year is None else datetime.date(to_year, 12, 31),
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


def test_counts_beside_a_single_facet_s_selection_follow_drafts_and_edits(synthetic_catalogue):
    """With nothing selected in the other facets, a facet's counts are those over the whole
    catalogue, which the index keeps once computed: for public searches and for editors'
    (drafts included) apart, unchanged by what a caller does with them, and new after a write."""
    jurisdiction = synthetic_catalogue["jurisdiction"][0]
    query = StrategyQuery(jurisdiction=frozenset({jurisdiction}))
    for include_drafts in (True, False, True, False):
        compare(query, include_drafts)
    given = StrategySearch(query, engine="index").facet_counts(["jurisdiction"])["jurisdiction"]
    given.clear()
    compare(query)
    elsewhere = Strategy.objects.filter(status=Status.PUBLISHED).exclude(jurisdiction=jurisdiction)
    Strategy.objects.filter(pk=elsewhere.first().pk).update(status=Status.DRAFT)
    compare(query)
    compare(query, include_drafts=True)


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
    if connection.vendor == "postgresql":
        # The other process's write was read from the change log, not by a whole rebuild.
        assert current_index().how == "patched"
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


ON_POSTGRESQL = postgresql_only(
    "the change log that patches read is kept on PostgreSQL (SQLite rebuilds)"
)

# Edits an editor or a bulk update can make, as (name, arguments drawn by hypothesis).
EDITS = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(["FRA", "GBR", "MEX", "NGA", "JPN"]),
              st.sampled_from(["drugs", "corruption", "piracy"]),
              st.integers(0, 10_000), st.integers(1990, 2030)),
    st.tuples(st.just("retag"), st.integers(0, 10_000),
              st.sampled_from(["firearms", "cybercrime", "drugs"]),
              st.integers(0, 10_000), st.one_of(st.none(), st.integers(1990, 2030))),
    st.tuples(st.just("status"), st.integers(0, 10_000), st.sampled_from(["draft", "published"])),
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("restore"), st.integers(0, 10_000)),
    st.tuples(st.just("erase"), st.integers(0, 10_000)),
)  # fmt: skip


def leaf(n: int) -> str:
    leaves = CrossCuttingIssue.objects.leaves().order_by("path").values_list("path", flat=True)
    return leaves[n % leaves.count()]


def apply(edit) -> None:
    name, *args = edit
    if name == "add":
        jurisdiction, crime_type, issue, year = args
        save_strategy(StrategyData(
            strategy_id="", title=f"Added {year}", jurisdiction=jurisdiction, status="published",
            adoption_date=datetime.date(year, 6, 1), crime_types=[crime_type],
            articles=["UNTOC-5"], cross_cutting_issues=[leaf(issue)],
        ))  # fmt: skip
        return
    everyone = Strategy.all_objects.order_by("pk")
    strategy = everyone[args[0] % everyone.count()]
    if name == "retag":
        _, crime_type, issue, year = args
        save_strategy(StrategyData(
            strategy_id=strategy.strategy_id, title="Retagged", status=strategy.status,
            jurisdiction=strategy.jurisdiction_id, crime_types=[crime_type],
            cross_cutting_issues=[leaf(issue)], articles=["TIP-9", "UNTOC-11"],
            adoption_date=None if year is None else datetime.date(year, 1, 15),
        ))  # fmt: skip
    elif name == "status":  # a bulk update, as the admin's actions make
        Strategy.all_objects.filter(pk=strategy.pk).update(status=args[1])
    elif name == "delete":
        delete_strategy(strategy)
    elif name == "restore":
        restore_strategy(strategy)
    else:  # erased outright, tags and all
        Strategy.all_objects.filter(pk=strategy.pk).delete()


@ON_POSTGRESQL
def test_a_patched_index_equals_sql_after_random_edits(committed_catalogue):
    """After each write the index is patched from the change log, not rebuilt, and still gives
    exactly the SQL counts, results and orders."""
    compare(StrategyQuery())
    hows = []

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        edits=st.lists(EDITS, min_size=1, max_size=4),
        query=queries(committed_catalogue),
        include_drafts=st.booleans(),
    )
    def check(edits, query, include_drafts):
        for edit in edits:
            apply(edit)
        compare(query, include_drafts)
        compare(StrategyQuery(ordering="title"), include_drafts)
        index = current_index()
        hows.append(index.how)
        # Date orders are mended by a patch: the same as computed from scratch.
        for name in ("newest", "oldest"):
            mended, computed = index.order(name), index._compute_order(name)
            assert list(mended[index.present[mended]]) == list(computed[index.present[computed]])

    check()
    assert set(hows) == {"patched"}


def word_queries(text: str, include_drafts: bool = False) -> list[str]:
    """Search `text` as the index engine does, checking it against SQL; the word queries made
    (the full-text match, or the similar-title fallback)."""
    query = StrategyQuery(text=text)
    with CaptureQueriesContext(connection) as captured:
        StrategySearch(query, include_drafts=include_drafts, engine="index").facet_counts()
    compare(query, include_drafts)
    return [q["sql"] for q in captured if "@@" in q["sql"] or "%>" in q["sql"]]


@ON_POSTGRESQL
def test_a_remembered_word_search_reads_again_only_what_was_written(committed_catalogue):
    everyone = Strategy.objects.filter(status=Status.PUBLISHED).order_by("pk")
    first_queries = word_queries("national")
    assert first_queries
    assert everyone.filter(title__icontains="national").count() > 2
    assert word_queries("national") == []  # remembered

    # The word leaves one strategy, reaches another, a new one has it and a holder is deleted.
    leaving, reaching = everyone[0], everyone.exclude(title__icontains="national")[0]
    holder = everyone.filter(title__icontains="national").exclude(pk=leaving.pk)[0]
    for strategy, title in ((leaving, "Economic Crime Plan"), (reaching, "National plan")):
        save_strategy(StrategyData(strategy_id=strategy.strategy_id, title=title,
                                   jurisdiction=strategy.jurisdiction_id,
                                   status="published"))  # fmt: skip
    new = save_strategy(StrategyData(strategy_id="", title="Another national plan",
                                     jurisdiction="FRA", status="published")).strategy  # fmt: skip
    delete_strategy(holder)
    (mending,) = word_queries("national")  # compared with SQL inside
    assert current_index().how == "patched"
    # Only the strategies written since are tested against the words.
    (tested,) = re.findall(r" IN \(([0-9, ]+)\)", mending)
    assert {int(pk) for pk in tested.split(",")} == {leaving.pk, reaching.pk, new.pk, holder.pk}
    assert word_queries("national") == []
    # Drafts are searched apart from the public catalogue, and mended alike.
    word_queries("national", include_drafts=True)
    Strategy.objects.filter(pk=reaching.pk).update(status=Status.DRAFT)
    assert len(word_queries("national", include_drafts=True)) == 1
    assert len(word_queries("national")) == 1


@ON_POSTGRESQL
def test_similar_title_words_and_words_no_longer_found_are_searched_afresh(committed_catalogue):
    word_queries("zzzunknownword")
    save_strategy(StrategyData(strategy_id="", title="Zzzunknownword plan", jurisdiction="FRA",
                               status="published"))  # fmt: skip
    # Misspelt words were answered by similar title words: the exact word is looked for again.
    assert any("@@" in sql and " IN (" not in sql for sql in word_queries("zzzunknownword"))

    (only,) = StrategySearch(StrategyQuery(text="zzzunknownword")).results()
    Strategy.objects.filter(pk=only.pk).update(title="Plan")
    # No strategy holds the word any more: searched afresh, similar title words included.
    assert any("%>" in sql for sql in word_queries("zzzunknownword"))


@ON_POSTGRESQL
def test_a_vocabulary_change_rebuilds_the_index(synthetic_catalogue):
    compare(StrategyQuery())
    call_command("generate_strategies", 3, seed=1, no_progress=True)
    compare(StrategyQuery())
    assert current_index().how == "patched"
    # A vocabulary write can change names and regions, which a patch does not read again.
    CrossCuttingIssue.objects.filter(path="prevention").update(name="Prevention (renamed)")
    compare(StrategyQuery())
    assert current_index().how == "built"


@ON_POSTGRESQL
def test_an_index_further_behind_than_the_log_keeps_is_built_again(synthetic_catalogue):
    current, changed = CatalogueVersion.changes_since(CatalogueVersion.current() - 1)
    assert changed is not None
    old = current - CatalogueVersion.LOGGED - 1
    assert CatalogueVersion.changes_since(old) == (current, None)


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_strategy_committed_after_a_newer_one_still_reaches_the_index():
    """Two editors save at once; the first to start commits last, with the lower pk. A patch
    cannot slot that pk below the others, so the index is built again, and counts stay right."""
    load_vocabularies()
    call_command("generate_strategies", 20, seed=4, no_progress=True)
    compare(StrategyQuery())
    saved, release = threading.Event(), threading.Event()
    failures = []

    def slow_editor():
        from django.db import connection as own_connection
        from django.db import transaction

        try:
            with transaction.atomic():
                save_strategy(StrategyData(strategy_id="NGA0101s", title="Slow", jurisdiction="NGA",
                                           status="published", crime_types=["piracy"]))  # fmt: skip
                saved.set()
                release.wait(30)
        except Exception as error:  # reported by the main thread
            failures.append(error)
            saved.set()
        finally:
            own_connection.close()

    editor = threading.Thread(target=slow_editor)
    editor.start()
    assert saved.wait(30)
    save_strategy(StrategyData(strategy_id="NGA0102s", title="Quick", jurisdiction="NGA",
                               status="published", crime_types=["piracy"]))  # fmt: skip
    query = StrategyQuery(crime_type=frozenset({"piracy"}), jurisdiction=frozenset({"NGA"}))
    compare(query)
    assert current_index().how == "patched"
    release.set()
    editor.join(30)
    assert not failures
    compare(query)
    assert current_index().how == "built"
    titles = [s.title for s in StrategySearch(query).results()]
    assert "Slow" in titles and "Quick" in titles


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_each_committed_write_moves_the_version_once_and_leaves_nothing_pending():
    """The version moves once per committed transaction that changed strategies or their tags,
    however many rows and statements it took (migration 0013), and only then."""
    load_vocabularies()
    call_command("generate_strategies", 20, seed=6, no_progress=True)
    strategy = Strategy.objects.order_by("pk").first()
    version = CatalogueVersion.current()

    # Tag rows alone: the through table's rows go and come, in one transaction.
    strategy.crime_types.set(CrimeType.objects.filter(slug__in=["drugs", "piracy"]))
    assert CatalogueVersion.current() == version + 1
    # Rows of several tables over dozens of statements, in one transaction.
    with transaction.atomic():
        Strategy.objects.update(title="Renamed")
        for each in Strategy.objects.all():
            each.articles.clear()
    assert CatalogueVersion.current() == version + 2
    # A rolled-back write and a statement that matched nothing move nothing.
    with contextlib.suppress(RuntimeError), transaction.atomic():
        Strategy.objects.update(title="Undone")
        raise RuntimeError
    Strategy.objects.filter(strategy_id="XXX9999s").update(title="Nobody")
    assert CatalogueVersion.current() == version + 2

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM strategies_catalogue_pending")
        assert cursor.fetchone() == (0,)
    assert set(Strategy.objects.values_list("title", flat=True)) == {"Renamed"}
    compare(StrategyQuery(crime_type=frozenset({"piracy"})))
    compare(StrategyQuery(article=frozenset({"UNTOC-5"})))


def test_a_pinned_block_reads_the_version_once_and_keeps_it(synthetic_catalogue):
    """A public page reads the catalogue version once (strategies.middleware): a write committed
    while the page is made does not switch its later parts to another catalogue."""
    with CatalogueVersion.pinned():
        pinned = CatalogueVersion.current()
        Strategy.objects.filter(pk=Strategy.objects.order_by("pk").first().pk).update(title="X")
        assert CatalogueVersion.current() == pinned
        current_index()
        version = current_index().version
        # An index derived at a newer version moves the pin there, so it is not derived again.
        assert CatalogueVersion.current() == version >= pinned
    assert CatalogueVersion.current() > pinned
    compare(StrategyQuery())


def test_a_page_reads_the_version_once(client, synthetic_catalogue):
    for url in ("/strategies/", f"/strategies/{Strategy.objects.published().first().strategy_id}/"):
        client.get(url)  # builds the index
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        reads = [q for q in queries.captured_queries if "strategies_catalogueversion" in q["sql"]]
        assert len(reads) == 1, url
