"""The vocabularies a client needs to build a search: codes, labels, and how they nest."""

import pytest

from taxonomy.models import Article, CrossCuttingIssue, Jurisdiction, Region

pytestmark = pytest.mark.django_db


def by_code(items, key="code") -> dict:
    return {item[key]: item for item in items}


def test_jurisdictions_with_their_regions(api, db):
    jurisdictions = by_code(api.get("/api/v1/jurisdictions/").json())
    assert len(jurisdictions) == Jurisdiction.objects.count()
    gbr = jurisdictions["GBR"]
    assert (gbr["kind"], gbr["name"], gbr["region"], gbr["subregion"]) == (
        "country", "United Kingdom", "150", "154",
    )  # fmt: skip
    assert gbr["members"] == []
    assert "ZAF" in jurisdictions["SADC"]["members"]


def test_jurisdictions_by_kind_and_region(api, db):
    organisations = api.get("/api/v1/jurisdictions/", {"kind": "organisation"}).json()
    assert {j["kind"] for j in organisations} == {"organisation"}
    assert "SADC" in by_code(organisations)
    europe = by_code(api.get("/api/v1/jurisdictions/", {"region": "150"}).json())
    assert {"GBR", "FRA", "DEU"} <= set(europe)
    assert "ZAF" not in europe
    several = by_code(api.get("/api/v1/jurisdictions/", {"region": ["154", "018"]}).json())
    assert {"GBR", "ZAF"} <= set(several)
    assert "FRA" not in several
    response = api.get("/api/v1/jurisdictions/", {"region": "999"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["region"]


def test_regions_are_flat_with_their_parent(api, db):
    regions = by_code(api.get("/api/v1/regions/").json())
    assert len(regions) == Region.objects.count()
    assert regions["150"]["parent"] is None
    assert regions["154"] == {**regions["154"], "parent": "150", "level": 2}


def test_crime_types(api, db):
    slugs = [item["slug"] for item in api.get("/api/v1/crime-types/").json()]
    assert "trafficking-in-persons" in slugs


def test_instruments_with_their_articles_in_numeric_order(api, db):
    instruments = api.get("/api/v1/instruments/").json()
    assert [i["code"] for i in instruments] == ["UNTOC", "TIP", "SOM", "FAP"]
    untoc = [a["number"] for a in instruments[0]["articles"]]
    assert untoc == sorted(untoc)
    assert untoc.index(10) < untoc.index(11)
    assert sum(len(i["articles"]) for i in instruments) == Article.objects.count()


def test_cross_cutting_issues_as_a_tree(api, db):
    roots = api.get("/api/v1/cross-cutting-issues/").json()

    def walk(nodes, parent=""):
        for node in nodes:
            assert node["path"] == (f"{parent}/{node['slug']}" if parent else node["slug"])
            assert isinstance(node["provisional"], bool)
            yield node
            yield from walk(node["children"], node["path"])

    nodes = list(walk(roots))
    assert len(nodes) == CrossCuttingIssue.objects.count()
    assert {root["path"] for root in roots} == set(
        CrossCuttingIssue.objects.filter(parent=None).values_list("path", flat=True)
    )
    provisional = set(
        CrossCuttingIssue.objects.filter(provisional=True).values_list("path", flat=True)
    )
    assert {node["path"] for node in nodes if node["provisional"]} == provisional
