"""Word searches' matches, shared between workers through the cache (strategies/word_matches.py)."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from strategies import word_matches
from strategies.facet_index import current_index, forget_index
from strategies.models import Strategy
from strategies.search import StrategyQuery, StrategySearch
from taxonomy.loading import load_vocabularies
from tests.conftest import postgresql_only

from .factories import make_strategy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shared_cache(settings):
    settings.SEARCH_ENGINE = "index"
    settings.SHARE_WORD_SEARCHES = True
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def catalogue():
    make_strategy("GBR0001s", title="Economic Crime Plan", status="published",
                  summary="<p>Money laundering and organised fraud.</p>",
                  crime_types=["corruption"])  # fmt: skip
    make_strategy("GBR0002s", title="Serious and Organised Crime Strategy", status="published",
                  summary="<p>Disrupt networks and their laundering of criminal finances.</p>",
                  crime_types=["drugs"])  # fmt: skip
    make_strategy("FRA0001s", title="Stratégie nationale", status="published",
                  summary="<p>Cybercriminalité.</p>", crime_types=["cybercrime"])  # fmt: skip
    make_strategy("NGA0001s", title="Draft plan", status="draft",
                  summary="<p>Laundering, in a draft.</p>", crime_types=["drugs"])  # fmt: skip


def in_another_worker(text: str, include_drafts: bool = False):
    """A search by a worker that has not searched before (an index of its own, nothing
    remembered): its crime-type counts, its result IDs and the word queries it had to make."""
    forget_index()
    current_index()
    search = StrategySearch(StrategyQuery(text=text), include_drafts=include_drafts)
    with CaptureQueriesContext(connection) as queries:
        counts = search.facet_counts(["crime_type"])["crime_type"]
    ids = [strategy.strategy_id for strategy in search.results()]
    # The full-text match (@@), the similar-title fallback (%>) or SQLite's LIKE.
    word_queries = [
        q["sql"] for q in queries if any(op in q["sql"] for op in ("@@", "%>", " LIKE "))
    ]
    return counts, ids, word_queries


def test_a_search_made_by_one_worker_spares_the_others_the_word_query(catalogue):
    counts, ids, word_queries = in_another_worker("laundering")
    assert word_queries
    assert counts == {"corruption": 1, "drugs": 1}
    assert sorted(ids) == ["GBR0001s", "GBR0002s"]

    assert in_another_worker("laundering") == (counts, ids, [])
    # Another search is a search of its own.
    assert in_another_worker("fraud")[2]


def test_a_write_moves_the_search_on_to_fresh_matches(catalogue):
    in_another_worker("laundering")
    make_strategy("ITA0001s", title="Piano nazionale", status="published",
                  summary="<p>Laundering again.</p>", crime_types=["drugs"])  # fmt: skip
    counts, ids, word_queries = in_another_worker("laundering")
    assert word_queries
    assert counts == {"corruption": 1, "drugs": 2}
    assert "ITA0001s" in ids


def test_drafts_are_never_shared_with_public_searches(catalogue):
    _counts, ids, _queries = in_another_worker("laundering", include_drafts=True)
    assert "NGA0001s" in ids
    counts, ids, word_queries = in_another_worker("laundering")
    assert word_queries
    assert "NGA0001s" not in ids
    assert counts == {"corruption": 1, "drugs": 1}


@postgresql_only("the similar-title fallback for misspelt words is PostgreSQL's (pg_trgm)")
def test_a_misspelling_is_shared_as_one(catalogue):
    first = StrategySearch(StrategyQuery(text="Econmic"))
    assert first.fuzzy
    forget_index()
    again = StrategySearch(StrategyQuery(text="Econmic"))
    with CaptureQueriesContext(connection) as queries:
        assert again.fuzzy
    assert not [q for q in queries if "%>" in q["sql"] or "@@" in q["sql"]]
    assert [s.strategy_id for s in again.results()] == ["GBR0001s"]


@postgresql_only("the change log that names the strategies written since is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_words_shared_before_a_write_are_mended_by_a_worker_that_never_searched_them():
    load_vocabularies()  # a transactional test starts from an empty database
    for number in range(1, 6):
        make_strategy(f"GBR{number:04d}s", status="published", crime_types=["drugs"],
                      summary=f"<p>Money laundering, case {number}.</p>")  # fmt: skip
    make_strategy("FRA0001s", status="published", summary="<p>Cybercrime.</p>")
    first = in_another_worker("laundering")
    assert first[2]

    # Another editor's writes move the version: one strategy loses the words, one gains them.
    make_strategy("GBR0001s", status="published", summary="<p>Firearms.</p>")
    make_strategy("FRA0001s", status="published", crime_types=["corruption"],
                  summary="<p>Laundering of the proceeds of cybercrime.</p>")  # fmt: skip
    counts, ids, word_queries = in_another_worker("laundering")
    assert sorted(ids) == ["FRA0001s", "GBR0002s", "GBR0003s", "GBR0004s", "GBR0005s"]
    assert counts == {"corruption": 1, "drugs": 4}
    # Only the two strategies written since were tested against the words.
    (query,) = word_queries
    pks = Strategy.objects.filter(strategy_id__in=["GBR0001s", "FRA0001s"]).values_list(
        "pk", flat=True
    )
    assert re.search(r" IN \(([0-9, ]+)\)", query).group(1) == ", ".join(map(str, sorted(pks)))
    # ...and the mended matches are shared under the new version in turn.
    assert in_another_worker("laundering") == (counts, ids, [])


def test_without_a_shared_cache_every_worker_searches_for_itself(catalogue, settings):
    settings.SHARE_WORD_SEARCHES = False
    in_another_worker("laundering")
    assert in_another_worker("laundering")[2]


class BrokenCache:
    def get(self, key):
        raise ConnectionError("cache down")

    def set(self, key, value, timeout):
        raise ConnectionError("cache down")

    def set_many(self, mapping, timeout):
        raise ConnectionError("cache down")


def test_a_cache_that_cannot_be_reached_leaves_searches_working(catalogue, monkeypatch, caplog):
    monkeypatch.setattr(word_matches, "cache", BrokenCache())
    counts, ids, word_queries = in_another_worker("laundering")
    assert word_queries
    assert counts == {"corruption": 1, "drugs": 1}
    assert sorted(ids) == ["GBR0001s", "GBR0002s"]
    assert "shared cache could not be read" in caplog.text


def test_matches_are_stored_sorted_and_whole():
    key = word_matches.shared_key(7, "any words", include_drafts=False)
    word_matches.write(key, True, [50, 3, 2**40, 4])
    fuzzy, pks = word_matches.read(key)
    assert fuzzy is True
    assert pks.tolist() == [3, 4, 50, 2**40]
    assert word_matches.read(word_matches.shared_key(8, "any words", False)) is None
