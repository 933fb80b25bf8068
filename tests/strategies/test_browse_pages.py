"""The browse pages: indexes of the vocabularies with counts, and the search page with one facet
pinned for an article, an issue or a jurisdiction."""

import pytest
from django.utils import translation

from taxonomy.models import Jurisdiction

from .factories import make_strategy
from .test_catalogue_pages import (  # noqa: F401 — `catalogue` is the hand-built fixture
    catalogue,
    chips,
    counts,
    get,
    parse_html,
    query_of,
    result_ids,
    toggle_link,
)

# Every test here browses the hand-built catalogue of test_catalogue_pages.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]


@pytest.fixture(autouse=True, params=["index", "sql"])
def engine(request, settings):
    settings.SEARCH_ENGINE = request.param
    return request.param


def rows(table) -> dict[str, tuple[str, str]]:
    """Article number -> (link, count) from an instrument's table."""
    result = {}
    for row in table.find("tbody").find_all("tr"):
        number, title, count = row.find_all("td")
        result[number.text] = (title.find("a").attrs["href"], count.text)
    return result


def fixed_chips(page) -> list[str]:
    return [label for label, href in chips(page).items() if href is None]


# -- articles -------------------------------------------------------------------------------------


def test_articles_index_lists_each_instrument_in_numeric_order_with_counts(client):
    page = get(client, "/articles/")
    sections = page.find_all("section", class_="browse-group")
    headings = [section.find("h2").text for section in sections]
    assert headings[0] == "United Nations Convention against Transnational Organized Crime"
    assert len(headings) == 4  # the Convention and its three Protocols
    untoc = rows(sections[0].find("table"))
    numbers = [int(number) for number in untoc]
    assert numbers == sorted(numbers) and numbers[:3] == [1, 2, 3]  # 11 after 9, not after 1
    # The draft also cites UNTOC-5 but is not counted.
    assert untoc["5"] == ("/articles/UNTOC-5/", "2")
    assert untoc["11"] == ("/articles/UNTOC-11/", "2")
    assert untoc["1"][1] == "0"
    assert rows(sections[2].find("table"))["6"][1] == "0"  # SOM-6: only the draft


def test_article_page_is_the_search_page_with_the_article_pinned(client):
    page = get(client, "/articles/UNTOC-11/")
    assert page.find("h1").text == "Article 11: Prosecution, adjudication and sanctions"
    assert sorted(result_ids(page)) == ["GBR0001s", "GBR0002s"]
    # The pin is shown, cannot be removed, and is not offered as a filter.
    assert fixed_chips(page) == ["Article: Art. 11 Prosecution, adjudication and sanctions"]
    assert page.find_all("input", name="article") == []
    assert page.find_all("a", class_="clear-all") == []
    # Other filters work as on the search page, on this page.
    assert counts(page, "crime_type") == {"drugs": 2, "corruption": 1}
    link = toggle_link(page, "crime_type", "corruption")
    assert link == "/articles/UNTOC-11/?crime_type=corruption"
    narrowed = get(client, link)
    assert result_ids(narrowed) == ["GBR0001s"]
    assert narrowed.find("a", class_="clear-all").attrs["href"] == "/articles/UNTOC-11/"
    # An article in the query string cannot undo the pin.
    assert sorted(result_ids(get(client, "/articles/UNTOC-11/", article="TIP-9"))) == [
        "GBR0001s", "GBR0002s",
    ]  # fmt: skip
    # The exports and the feed are of the pinned result set.
    csv = next(a for a in narrowed.find(class_="result-set-links").find_all("a") if a.text == "CSV")
    assert query_of(csv.attrs["href"]) == {"crime_type": ["corruption"], "article": ["UNTOC-11"]}
    form = page.find("form")
    assert form.attrs["action"] == "/articles/UNTOC-11/"


def test_unknown_article_is_not_found(client):
    assert client.get("/articles/UNTOC-999/").status_code == 404
    assert client.get("/articles/untoc-11/").status_code == 404


# -- cross-cutting issues -------------------------------------------------------------------------


def test_issues_index_is_the_tree_with_counts(client):
    page = get(client, "/issues/")
    tree = page.find("ul", class_="browse-tree")
    roots = [item for item in tree.children if getattr(item, "tag", None) == "li"]
    assert [root.find("a").text for root in roots][:2] == ["Criminalization", "Investigation"]
    investigation = roots[1]
    assert investigation.find("a").attrs["href"] == "/issues/investigation/"
    assert investigation.find(class_="count").text == "2 strategies"
    # Children are nested beneath their parent, with their own counts.
    measures = investigation.find("ul").find("a", href="/issues/investigation/measures/")
    assert measures.text == "Measures"
    witnesses = next(root for root in roots if root.find("a").text == "Witnesses")
    assert witnesses.find(class_="count").text == "0 strategies"  # only the draft is tagged


def test_issue_page_pins_the_subtree_and_shows_the_ancestors(client):
    page = get(client, "/issues/investigation/measures/")
    crumbs = [a.text for a in page.find("nav", class_="breadcrumb").find_all("a")]
    assert crumbs == ["Cross-cutting issues", "Investigation", "Measures"]
    assert page.find("nav", class_="breadcrumb").find_all("a")[-1].attrs["aria-current"] == "page"
    assert page.find("h1").text == "Measures"
    assert sorted(result_ids(page)) == ["GBR0001s", "GBR0002s"]
    assert fixed_chips(page) == ["Cross-cutting issue: Investigation › Measures"]
    assert page.find_all("input", name="issue") == []
    narrower = {
        a.attrs["href"]: item.find(class_="count").text
        for item in page.find("section", class_="narrower").find_all("li")
        for a in [item.find("a")]
    }
    assert narrower == {
        "/issues/investigation/measures/identify-trace-freeze-seize/": "2 strategies",
        "/issues/investigation/measures/access-to-financial-records/": "1 strategy",
    }
    leaf = get(client, "/issues/investigation/measures/access-to-financial-records/")
    assert result_ids(leaf) == ["GBR0002s"]


def test_issue_page_counts_only_published_strategies(client):
    page = get(client, "/issues/witnesses/")
    assert result_ids(page) == []
    assert page.find(class_="result-count").text == "No strategies match."


def test_unknown_issue_is_not_found(client):
    assert client.get("/issues/investigation/nowhere/").status_code == 404
    assert client.get("/issues/nowhere/").status_code == 404


# -- jurisdictions --------------------------------------------------------------------------------


def test_jurisdictions_index_groups_by_region_with_organisations_apart(client):
    page = get(client, "/jurisdictions/")
    groups = {
        section.find("h2").text: section
        for section in page.find_all("section", class_="browse-group")
    }
    assert {"Africa", "Americas", "Asia", "Europe", "Oceania", "Regional organisations"} <= set(
        groups
    )
    europe = groups["Europe"]
    subregions = [h3.text for h3 in europe.find_all("h3")]
    assert "Northern Europe" in subregions and "Western Europe" in subregions
    links = {a.attrs["href"]: a for a in europe.find_all("a")}
    gbr = links["/jurisdictions/GBR/"]
    assert gbr.text == "United Kingdom"
    item = next(li for li in europe.find_all("li") if li.find("a") is gbr)
    assert item.find(class_="count").text == "2 strategies"  # the draft is not counted
    organisations = groups["Regional organisations"]
    sadc = next(li for li in organisations.find_all("li") if "SADC" in li.find("a").attrs["href"])
    assert sadc.find(class_="count").text == "1 strategy"
    assert "/jurisdictions/SADC/" not in {a.attrs["href"] for a in groups["Africa"].find_all("a")}


def test_jurisdiction_page_names_it_in_the_reader_s_language_and_pins_it(client):
    page = get(client, "/jurisdictions/GBR/")
    gbr = Jurisdiction.objects.get(code="GBR")
    assert page.find("h1").text == gbr.name
    facts = page.find("dl", class_="facts").text
    assert gbr.official_name in facts and "Europe" in facts and "Northern Europe" in facts
    assert sorted(result_ids(page)) == ["GBR0001s", "GBR0002s"]  # not the draft GBR0003s
    assert fixed_chips(page) == [f"Jurisdiction: {gbr.name}"]
    # One jurisdiction lies in one region: neither region nor jurisdiction is offered as a filter.
    assert page.find_all("input", name="jurisdiction") == []
    assert page.find_all("input", name="region") == []
    with translation.override("ar"):
        arabic_name, arabic_official = gbr.name, gbr.official_name
    arabic = get(client, "/ar/jurisdictions/GBR/")
    assert arabic.find("html").attrs["dir"] == "rtl"
    assert arabic.find("h1").text == arabic_name
    assert arabic_official in arabic.find("dl", class_="facts").text


def test_a_filter_the_page_hides_still_shows_as_a_named_chip(client):
    page = get(client, "/jurisdictions/GBR/", region="150")
    assert chips(page)["Region: Europe"] == "/jurisdictions/GBR/"
    assert sorted(result_ids(page)) == ["GBR0001s", "GBR0002s"]


def test_organisation_page_lists_its_members(client):
    page = get(client, "/jurisdictions/SADC/")
    assert result_ids(page) == ["SADC0001s"]
    members = {a.attrs["href"] for a in page.find("dl", class_="facts").find_all("a")}
    assert "/jurisdictions/ZAF/" in members
    member_of = get(client, "/jurisdictions/ZAF/").find("dl", class_="facts")
    assert "/jurisdictions/SADC/" in {a.attrs["href"] for a in member_of.find_all("a")}


def test_unknown_jurisdiction_is_not_found(client):
    assert client.get("/jurisdictions/XYZ/").status_code == 404
    assert client.get("/jurisdictions/gbr/").status_code == 404


# -- everywhere -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/articles/", "/articles/UNTOC-5/", "/issues/", "/issues/prevention/", "/jurisdictions/",
     "/jurisdictions/GBR/"],
)  # fmt: skip
def test_browse_pages_never_show_drafts_and_are_well_formed(client, url):
    for prefix in ("", "/ar"):
        response = client.get(prefix + url)
        assert response.status_code == 200
        assert b"GBR0003s" not in response.content
        assert b"Draft Organised Crime Strategy" not in response.content
        page = parse_html(response)
        ids = [element.attrs["id"] for element in page.iter() if "id" in element.attrs]
        assert len(ids) == len(set(ids))
        assert len(page.find_all("h1")) == 1


def test_main_navigation_marks_the_current_section(client):
    nav = get(client, "/articles/UNTOC-5/").find("nav", class_="site-nav")
    current = {a.text: a.attrs.get("aria-current") for a in nav.find_all("a")}
    assert current == {"Search": None, "Articles": "true", "Issues": None, "Jurisdictions": None}
    nav = get(client, "/issues/").find("nav", class_="site-nav")
    assert nav.find("a", href="/issues/").attrs["aria-current"] == "page"


def test_many_results_on_a_browse_page_are_paginated_with_the_pin_kept(client):
    for number in range(1, 23):
        make_strategy(f"DEU{number:04d}s", status="published", articles=["UNTOC-11"])
    page = get(client, "/articles/UNTOC-11/")
    assert len(result_ids(page)) == 20
    next_href = page.find("nav", class_="pagination").find("a", rel="next").attrs["href"]
    second = get(client, "/articles/UNTOC-11/" + next_href)
    assert len(result_ids(second)) == 4
