"""The API's search asks the same question as the query layer and the search page, and gets the
same answer: the same strategies in the same order, and the same facet counts."""

import datetime

import pytest

from strategies.search import FACETS, FacetValue, StrategyQuery, StrategySearch
from taxonomy.models import CrimeType
from tests.strategies.factories import make_strategy

pytestmark = pytest.mark.django_db

LIST = "/api/v1/strategies/"
ALL_FACETS = ",".join(FACETS)

# (query string, the same search as a StrategyQuery built by hand)
SEARCHES = [
    ({}, StrategyQuery()),
    ({"crime_type": "drugs"}, StrategyQuery(crime_type=frozenset({"drugs"}))),
    ({"jurisdiction": "GBR"}, StrategyQuery(jurisdiction=frozenset({"GBR"}))),
    ({"region": "150"}, StrategyQuery(region=frozenset({"150"}))),  # Europe, two levels down
    (
        {"article": ["UNTOC-7", "FAP-5"]},
        StrategyQuery(article=frozenset({"UNTOC-7", "FAP-5"})),
    ),
    ({"issue": "investigation"}, StrategyQuery(issue=frozenset({"investigation"}))),
    (
        {"crime_type": ["drugs", "firearms"], "region": "150", "issue": "prevention"},
        StrategyQuery(
            crime_type=frozenset({"drugs", "firearms"}),
            region=frozenset({"150"}),
            issue=frozenset({"prevention"}),
        ),
    ),
    ({"q": "firearms"}, StrategyQuery(text="firearms")),
    (
        {"adopted_from": "2019", "adopted_to": "2020-06-30"},
        StrategyQuery(
            adopted_from=datetime.date(2019, 1, 1), adopted_to=datetime.date(2020, 6, 30)
        ),
    ),
    (
        {"ordering": "title", "crime_type": "corruption", "jurisdiction": ["GBR", "FRA"]},
        StrategyQuery(
            ordering="title",
            crime_type=frozenset({"corruption"}),
            jurisdiction=frozenset({"GBR", "FRA"}),
        ),
    ),
]


def facet_json(name: str, value: FacetValue) -> dict:
    """A facet value as the API documents it."""
    data = {"code": value.code, "label": value.label, "count": value.count}
    data["selected"] = value.selected
    if name == "article":
        data["instrument"] = value.group
    if name in ("region", "issue"):
        data["children"] = [facet_json(name, child) for child in value.children]
    return data


def counts(values) -> dict[str, int]:
    flat = {}
    for value in values:
        flat[value["code"]] = value["count"]
        flat.update(counts(value.get("children", [])))
    return flat


@pytest.mark.parametrize(("params", "query"), SEARCHES, ids=lambda v: repr(v)[:60])
def test_same_strategies_order_and_facets_as_the_query_layer(api, catalogue, params, query):
    response = api.get(LIST, {**params, "facets": ALL_FACETS, "page_size": 100})
    assert response.status_code == 200, response.json()
    body = response.json()

    search = StrategySearch(query)
    expected_ids = [strategy.strategy_id for strategy in search.results()]
    assert [item["strategy_id"] for item in body["results"]] == expected_ids
    assert body["count"] == len(expected_ids)
    expected_facets = {
        name: [facet_json(name, value) for value in values]
        for name, values in search.facets(FACETS).items()
    }
    assert body["facets"] == expected_facets


@pytest.mark.parametrize(("params", "query"), SEARCHES, ids=lambda v: repr(v)[:60])
def test_same_strategies_and_counts_as_the_search_page(api, client, catalogue, params, query):
    page = client.get("/strategies/", params)
    assert page.status_code == 200
    body = api.get(LIST, {**params, "facets": ALL_FACETS}).json()

    shown = [strategy.strategy_id for strategy in page.context["page"].object_list]
    assert [item["strategy_id"] for item in body["results"]] == shown
    assert page.context["page"].paginator.count == body["count"]
    for name, values in page.context["facets"].items():
        assert body["facets"][name] == [facet_json(name, value) for value in values], name


def test_counts_worked_out_by_hand(api, catalogue):
    """A check that does not lean on the query layer: the draft never counts."""
    body = api.get(LIST, {"facets": "crime_type,year,jurisdiction"}).json()
    assert body["count"] == 6
    assert counts(body["facets"]["crime_type"]) == {
        "drugs": 4, "corruption": 2, "firearms": 2, "cybercrime": 1, "money-laundering": 1,
    }  # fmt: skip
    assert counts(body["facets"]["year"]) == {"2018": 1, "2019": 1, "2020": 3}
    assert counts(body["facets"]["jurisdiction"]) == {
        "GBR": 2, "FRA": 1, "ZAF": 1, "DEU": 1, "SADC": 1,
    }  # fmt: skip

    body = api.get(LIST, {"crime_type": "drugs", "facets": "crime_type,region,issue"}).json()
    assert [item["strategy_id"] for item in body["results"]] == [
        "DEU0001s", "GBR0002s", "GBR0001s", "SADC0001s",  # newest first, undated last
    ]  # fmt: skip
    # Disjunctive: the crime type facet ignores its own selection...
    assert counts(body["facets"]["crime_type"])["firearms"] == 2
    # ...the others apply it; a tree node counts its whole subtree, each strategy once.
    issues = counts(body["facets"]["issue"])
    assert issues["investigation"] == 2
    assert issues["investigation/measures/access-to-financial-records"] == 1
    assert counts(body["facets"]["region"])["150"] == 3  # Europe: GBR twice, DEU
    selected = [v for v in body["facets"]["crime_type"] if v["selected"]]
    assert [v["code"] for v in selected] == ["drugs"]


def test_article_facet_names_the_instrument_and_keeps_numeric_order(api, catalogue):
    articles = api.get(LIST, {"facets": "article"}).json()["facets"]["article"]
    assert [(a["code"], a["instrument"]) for a in articles] == [
        ("UNTOC-5", "UNTOC"), ("UNTOC-7", "UNTOC"), ("UNTOC-11", "UNTOC"),
        ("TIP-9", "TIP"), ("FAP-5", "FAP"),
    ]  # fmt: skip


def test_facets_only_when_asked_and_repeatable(api, catalogue):
    assert "facets" not in api.get(LIST).json()
    body = api.get(LIST, {"facets": ["year", "crime_type,year"]}).json()
    assert set(body["facets"]) == {"year", "crime_type"}


def test_list_items_are_the_canonical_form_with_an_absolute_url(api, catalogue):
    item = api.get(LIST, {"jurisdiction": "ZAF"}).json()["results"][0]
    assert item == {
        "strategy_id": "ZAF0001s",
        "title": "National Firearms Strategy",
        "jurisdiction": "ZAF",
        "adoption_date": "2019-01-01",
        "language": "en",
        "status": "published",
        "summary": "",
        "source_url": "",
        "crime_types": ["firearms"],
        "articles": ["FAP-5"],
        "cross_cutting_issues": ["victims/victims-of-crime/rights/assistance-and-protection"],
        "attachments": [],
        "url": "http://testserver/api/v1/strategies/ZAF0001s/",
    }


# -- pagination ---------------------------------------------------------------------------------


@pytest.fixture
def many(db):
    """25 undated strategies: the order falls back on the strategy ID throughout."""
    for number in range(25, 0, -1):
        make_strategy(f"NLD{number:04d}s", title=f"Plan {number}", status="published")


def test_pages_of_twenty_by_default_in_a_stable_order(api, many):
    first = api.get(LIST).json()
    assert first["count"] == 25
    assert [item["strategy_id"] for item in first["results"]] == [
        f"NLD{n:04d}s" for n in range(1, 21)
    ]
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert [item["strategy_id"] for item in second["results"]] == [
        f"NLD{n:04d}s" for n in range(21, 26)
    ]
    assert second["next"] is None
    assert second["previous"].startswith("http://testserver/api/v1/strategies/")


def test_page_size_up_to_a_hundred(api, many):
    assert len(api.get(LIST, {"page_size": 100}).json()["results"]) == 25
    assert len(api.get(LIST, {"page_size": 3, "page": 2}).json()["results"]) == 3
    response = api.get(LIST, {"page_size": 101})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page_size"]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5"])
def test_a_malformed_page_number_is_a_400(api, many, page):
    response = api.get(LIST, {"page": page})
    assert response.status_code == 400
    assert response.json()["errors"]["page"][0].startswith(f"“{page}”")


def test_a_page_past_the_end_is_a_404(api, many):
    response = api.get(LIST, {"page": 3})
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Page 3 does not exist: the last page is 2.",
        "errors": {},
    }


def test_an_empty_result_is_one_empty_page(api, catalogue):
    body = api.get(LIST, {"jurisdiction": "NLD"}).json()
    assert (body["count"], body["results"], body["next"]) == (0, [], None)


# -- errors -------------------------------------------------------------------------------------


def test_an_unknown_code_is_a_400_naming_parameter_and_value(api, catalogue):
    response = api.get(LIST, {"article": "UNTOC-99"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": ("article: Select a valid choice. UNTOC-99 is not one of the available choices."),
        "errors": {
            "article": ["Select a valid choice. UNTOC-99 is not one of the available choices."]
        },
    }


def test_every_wrong_parameter_is_reported_at_once(api, catalogue):
    response = api.get(
        LIST, {"adopted_from": "2018-02-30", "crime_type": "nope", "facets": "crime_type,colour"}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"adopted_from", "crime_type", "facets"}
    assert "2018-02-30" in errors["adopted_from"][0]
    assert "colour" in errors["facets"][0]


@pytest.mark.parametrize("url", [LIST, f"{LIST}export.csv"])
def test_a_nul_character_is_a_400_not_a_database_error(api, catalogue, url):
    response = api.get(url, {"article": "UNTOC-\x005", "q": "ok"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"article": ["Null characters are not allowed."]}


def test_an_unknown_api_url_is_a_json_404(api, db):
    for url in ("/api/v1/nothing/", "/api/v2/strategies/", "/api/v1/strategies"):
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.json()["detail"].startswith(f"There is nothing at {url};")


def test_a_code_added_to_a_vocabulary_is_accepted_at_once_and_a_removed_one_refused(api, catalogue):
    """Codes are checked against the vocabularies each process keeps per catalogue version: a
    vocabulary write moves the version, so the next request knows the new code."""
    assert api.get(LIST, {"crime_type": "sea-turtle-poaching"}).status_code == 400
    added = CrimeType.objects.create(slug="sea-turtle-poaching", name="Sea turtle poaching")
    response = api.get(LIST, {"crime_type": "sea-turtle-poaching"})
    assert response.status_code == 200
    assert response.json()["count"] == 0
    added.delete()
    assert api.get(LIST, {"crime_type": "sea-turtle-poaching"}).status_code == 400
