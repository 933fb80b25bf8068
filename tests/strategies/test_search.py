"""Facet semantics on a small hand-built catalogue where the right counts are known."""

import datetime

import numpy as np
import pytest
from django.db import connection

from strategies.models import Strategy
from strategies.search import StrategyQuery, StrategySearch, primary_keys, snippet_html

from .factories import make_strategy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["index", "sql"])
def engine(request, settings):
    """Every facet test runs against both engines: the bitmap index and plain SQL."""
    settings.SEARCH_ENGINE = request.param
    return request.param


D = datetime.date


@pytest.fixture
def catalogue():
    make_strategy(
        "GBR0001s",
        title="Serious and Organised Crime Strategy",
        status="published",
        adoption_date=D(2018, 11, 1),
        crime_types=["drugs", "corruption"],
        articles=["UNTOC-5", "UNTOC-11"],
        cross_cutting_issues=[
            "prevention/risk-factors",
            "investigation/measures/identify-trace-freeze-seize",
        ],
        summary="<p>Disrupt networks and seize criminal finances.</p>",
    )
    make_strategy(
        "GBR0002s",
        title="Economic Crime Plan",
        status="published",
        adoption_date=D(2020, 3, 1),
        crime_types=["drugs"],
        articles=["UNTOC-11"],
        cross_cutting_issues=[
            "investigation/measures/access-to-financial-records",
            "investigation/measures/identify-trace-freeze-seize",
        ],
        summary="<p>Money laundering and organised fraud.</p>",
    )
    make_strategy(
        "FRA0001s",
        title="Stratégie nationale contre la cybercriminalité",
        status="published",
        adoption_date=D(2020, 6, 1),
        language="fr",
        crime_types=["corruption", "cybercrime"],
        articles=["UNTOC-5", "TIP-9"],
        cross_cutting_issues=["prevention/awareness-raising"],
    )
    make_strategy(
        "ZAF0001s",
        title="National Firearms Strategy",
        status="published",
        adoption_date=D(2019, 1, 1),
        crime_types=["firearms"],
        articles=["FAP-5"],
        cross_cutting_issues=["victims/victims-of-crime/rights/assistance-and-protection"],
    )
    make_strategy(  # a draft: must never be counted
        "GBR0003s",
        title="Draft Organised Crime Strategy",
        status="draft",
        adoption_date=D(2021, 1, 1),
        crime_types=["drugs", "firearms"],
        articles=["UNTOC-5"],
        cross_cutting_issues=["prevention/risk-factors"],
    )
    make_strategy(
        "SADC0001s", title="Regional Drug Strategy", status="published", crime_types=["drugs"],
    )  # fmt: skip


def ids(query: StrategyQuery) -> list[str]:
    return [strategy.strategy_id for strategy in StrategySearch(query).results()]


def counts(query: StrategyQuery, facet: str) -> dict[str, int]:
    return {v.code: v.count for v in StrategySearch(query).facets([facet])[facet]}


def tree(values, prefix=()) -> dict[str, int]:
    flat = {}
    for value in values:
        flat[value.code] = value.count
        flat.update(tree(value.children))
    return flat


def test_no_filter_counts_only_published(catalogue):
    query = StrategyQuery()
    assert sorted(ids(query)) == ["FRA0001s", "GBR0001s", "GBR0002s", "SADC0001s", "ZAF0001s"]
    assert counts(query, "crime_type") == {
        "drugs": 3, "corruption": 2, "cybercrime": 1, "firearms": 1,
    }  # fmt: skip
    assert counts(query, "jurisdiction") == {"GBR": 2, "FRA": 1, "SADC": 1, "ZAF": 1}
    assert counts(query, "year") == {"2018": 1, "2019": 1, "2020": 2}
    assert counts(query, "article") == {"UNTOC-5": 2, "UNTOC-11": 2, "TIP-9": 1, "FAP-5": 1}


def test_facet_values_come_in_the_right_order(catalogue):
    articles = StrategySearch(StrategyQuery()).facets(["article"])["article"]
    assert [v.code for v in articles] == ["UNTOC-5", "UNTOC-11", "TIP-9", "FAP-5"]
    assert [v.group for v in articles] == ["UNTOC", "UNTOC", "TIP", "FAP"]
    crime_types = StrategySearch(StrategyQuery()).facets(["crime_type"])["crime_type"]
    assert crime_types[0].code == "drugs"  # most strategies first


def test_one_value_filters_results_but_not_its_own_counts(catalogue):
    query = StrategyQuery(crime_type=frozenset({"drugs"}))
    assert sorted(ids(query)) == ["GBR0001s", "GBR0002s", "SADC0001s"]
    # Its own facet is counted without its own selection...
    assert counts(query, "crime_type") == counts(StrategyQuery(), "crime_type")
    # ...the other facets with it.
    assert counts(query, "jurisdiction") == {"GBR": 2, "SADC": 1}


def test_several_values_in_one_facet_are_or(catalogue):
    query = StrategyQuery(crime_type=frozenset({"drugs", "firearms"}))
    assert sorted(ids(query)) == ["GBR0001s", "GBR0002s", "SADC0001s", "ZAF0001s"]
    query = StrategyQuery(article=frozenset({"TIP-9", "FAP-5"}))
    assert sorted(ids(query)) == ["FRA0001s", "ZAF0001s"]


def test_facets_are_and_across(catalogue):
    query = StrategyQuery(crime_type=frozenset({"corruption"}), jurisdiction=frozenset({"GBR"}))
    assert ids(query) == ["GBR0001s"]
    assert counts(query, "crime_type") == {"drugs": 2, "corruption": 1}
    assert counts(query, "jurisdiction") == {"GBR": 1, "FRA": 1}


def test_issue_node_selects_its_subtree_and_counts_each_strategy_once(catalogue):
    query = StrategyQuery(issue=frozenset({"investigation"}))
    assert sorted(ids(query)) == ["GBR0001s", "GBR0002s"]
    facet = tree(StrategySearch(StrategyQuery()).facets(["issue"])["issue"])
    # GBR0002s has two leaves under investigation/measures; it counts once there.
    assert facet["investigation"] == 2
    assert facet["investigation/measures"] == 2
    assert facet["investigation/measures/identify-trace-freeze-seize"] == 2
    assert facet["investigation/measures/access-to-financial-records"] == 1
    assert facet["prevention"] == 2  # GBR0001s and FRA0001s; the draft is not counted
    assert facet["victims"] == 1
    assert "witnesses" not in facet  # zero counts hidden
    assert "criminalization" not in facet


def test_issue_tree_keeps_its_order_and_shape(catalogue):
    roots = StrategySearch(StrategyQuery()).facets(["issue"])["issue"]
    assert [r.code for r in roots] == ["investigation", "victims", "prevention"]
    assert [c.code for c in roots[0].children] == ["investigation/measures"]


def test_zero_counts_are_hidden_unless_selected(catalogue):
    query = StrategyQuery(jurisdiction=frozenset({"FRA"}), crime_type=frozenset({"firearms"}))
    assert ids(query) == []
    values = StrategySearch(query).facets(["crime_type"])["crime_type"]
    assert {v.code: (v.count, v.selected) for v in values} == {
        "corruption": (1, False), "cybercrime": (1, False), "firearms": (0, True),
    }  # fmt: skip


def test_regions_match_every_level_and_count_up_the_tree(catalogue):
    query = StrategyQuery(region=frozenset({"150"}))  # Europe
    assert sorted(ids(query)) == ["FRA0001s", "GBR0001s", "GBR0002s"]
    regions = tree(StrategySearch(StrategyQuery()).facets(["region"])["region"])
    assert regions["150"] == 3 and regions["154"] == 2 and regions["155"] == 1
    assert regions["002"] == 2  # South Africa and SADC
    assert regions["018"] == 1  # Southern Africa, an intermediate region
    assert sorted(ids(StrategyQuery(region=frozenset({"154"})))) == ["GBR0001s", "GBR0002s"]


def test_adoption_range_and_year_counts(catalogue):
    query = StrategyQuery(adopted_from=D(2019, 1, 1), adopted_to=D(2020, 12, 31))
    assert sorted(ids(query)) == ["FRA0001s", "GBR0002s", "ZAF0001s"]
    # The year facet ignores the year range itself.
    assert counts(query, "year") == {"2018": 1, "2019": 1, "2020": 2}
    assert counts(query, "jurisdiction") == {"GBR": 1, "FRA": 1, "ZAF": 1}


def test_orderings_are_stable(catalogue):
    assert ids(StrategyQuery()) == ["FRA0001s", "GBR0002s", "ZAF0001s", "GBR0001s", "SADC0001s"]
    assert ids(StrategyQuery(ordering="oldest"))[:2] == ["GBR0001s", "ZAF0001s"]
    assert ids(StrategyQuery(ordering="title"))[0] == "GBR0002s"  # "Economic Crime Plan"


def test_drafts_are_visible_only_when_asked(catalogue):
    search = StrategySearch(StrategyQuery(jurisdiction=frozenset({"GBR"})), include_drafts=True)
    assert search.results().count() == 3


def test_text_search_matches_title_and_summary(catalogue):
    assert sorted(ids(StrategyQuery(text="organised"))) == ["GBR0001s", "GBR0002s"]
    query = StrategyQuery(text="organised", crime_type=frozenset({"corruption"}))
    assert ids(query) == ["GBR0001s"]
    assert counts(query, "crime_type") == {"drugs": 2, "corruption": 1}


def test_full_text_ranks_title_above_summary_and_understands_websearch(catalogue):
    results = StrategySearch(StrategyQuery(text="organised")).results()
    if connection.vendor != "postgresql":
        # SQLite: a plain substring search, newest first.
        assert [s.strategy_id for s in results] == ["GBR0002s", "GBR0001s"]
        return
    # "Organised" is in GBR0001s's title but only in GBR0002s's summary.
    assert [s.strategy_id for s in results] == ["GBR0001s", "GBR0002s"]
    assert ids(StrategyQuery(text="organised -fraud")) == ["GBR0001s"]
    assert sorted(ids(StrategyQuery(text='"criminal finances" or firearms'))) == [
        "GBR0001s", "ZAF0001s",
    ]  # fmt: skip
    first = StrategySearch(StrategyQuery(text="finances")).results(snippets=True)[0]
    snippet = snippet_html(first.raw_snippet)
    assert "seize criminal <mark>finances</mark>" in snippet


def test_primary_keys_come_back_whole_and_as_they_are(catalogue):
    # On PostgreSQL the keys travel as one packed value; every one of them, none twice.
    strategies = Strategy.objects.filter(status="published")
    keys = primary_keys(strategies)
    assert keys.dtype == np.int64
    assert sorted(keys.tolist()) == sorted(strategies.values_list("pk", flat=True))
    assert len(keys) == 5
    assert primary_keys(Strategy.objects.filter(strategy_id="XXX0000s")).tolist() == []


def test_misspelling_falls_back_to_similar_title_words(catalogue):
    search = StrategySearch(StrategyQuery(text="firarms"))
    if connection.vendor != "postgresql":
        assert search.results().count() == 0 and not search.fuzzy
        return
    assert search.fuzzy
    assert [s.strategy_id for s in search.results()] == ["ZAF0001s"]


def test_words_only_a_draft_holds_are_no_match_for_the_public(catalogue):
    # "Draft" is in the draft's title alone: the public finds nothing (on PostgreSQL, it is
    # offered similar title words instead), editors find the draft.
    public = StrategySearch(StrategyQuery(text="draft"))
    assert "GBR0003s" not in [s.strategy_id for s in public.results()]
    assert counts(StrategyQuery(text="draft"), "jurisdiction") == {}
    assert public.fuzzy == (connection.vendor == "postgresql")
    editors = StrategySearch(StrategyQuery(text="draft"), include_drafts=True)
    assert [s.strategy_id for s in editors.results()] == ["GBR0003s"]
    assert not editors.fuzzy


def test_word_searches_see_a_change_made_after_they_were_first_answered(db):
    make_strategy("GBR0001s", status="published", summary="<p>Border control.</p>")
    query = StrategyQuery(text="lighthouse")
    assert StrategySearch(query).results().count() == 0
    assert StrategySearch(query).results().count() == 0  # asked again: the same answer
    make_strategy("GBR0002s", status="published", summary="<p>A lighthouse keeper's plan.</p>")
    found = StrategySearch(query).results()
    assert [s.strategy_id for s in found[:10]] == ["GBR0002s"]
    assert StrategySearch(query).facet_counts(["jurisdiction"]) == {"jurisdiction": {"GBR": 1}}
