"""The search page, through the test client, on a small catalogue where the right answers are known.

Pages are parsed into a small element tree (see `parse_html`) so that the tests can ask what a
reader or a screen reader would find (the results, each facet value's count and checkbox, the
chips and where their links go) rather than match fragments of markup.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from taxonomy.models import CrimeType, Jurisdiction, Region
from tests.conftest import postgresql_only

from .factories import make_strategy

pytestmark = pytest.mark.django_db

D = datetime.date
SEARCH = "/strategies/"
ALL_PUBLISHED = ["FRA0001s", "GBR0001s", "GBR0002s", "SADC0001s", "ZAF0001s"]


# -- reading pages --------------------------------------------------------------------------------

VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
}  # fmt: skip


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, class_: str | None = None, **attrs) -> list:
        return [
            element
            for element in self.iter()
            if (tag is None or element.tag == tag)
            and (class_ is None or class_ in element.attrs.get("class", "").split())
            and all(element.attrs.get(name) == value for name, value in attrs.items())
        ]

    def find(self, tag: str | None = None, class_: str | None = None, **attrs) -> Element:
        found = self.find_all(tag, class_, **attrs)
        assert found, f"no <{tag or '*'} class={class_!r} {attrs}> in <{self.tag}>"
        return found[0]

    def _raw_text(self) -> str:
        return "".join(c._raw_text() if isinstance(c, Element) else c for c in self.children)

    @property
    def text(self) -> str:
        return " ".join(self._raw_text().split())


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.open = [self.root]
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID_ELEMENTS:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):  # <line/> inside inline SVG
        self.open[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        if self.open[-1].tag != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1].tag}>")
            return
        self.open.pop()

    def handle_data(self, data):
        self.open[-1].children.append(data)


def parse_html(response) -> Element:
    """The page as an element tree; fails on a tag closed out of order or left open."""
    builder = _TreeBuilder()
    builder.feed(response.content.decode())
    builder.close()
    assert not builder.errors, builder.errors
    assert [e.tag for e in builder.open] == ["#document"], "unclosed elements"
    return builder.root


def result_ids(page: Element) -> list[str]:
    return [
        re.fullmatch(r".*/strategies/([A-Z]+\d{4}s)/", item.find("a").attrs["href"]).group(1)
        for item in page.find_all("li", class_="result")
    ]


def facet_values(page: Element, name: str) -> dict[str, tuple[int, bool]]:
    """Each shown value of one facet: its count and whether its checkbox is ticked."""
    values = {}
    for item in page.find_all("li", class_="facet-value"):
        box = item.find("input")  # a tree node's own checkbox comes before its branch's
        if box.attrs["name"] == name:
            count = int(item.find(class_="facet-count").text)
            values[box.attrs["value"]] = (count, "checked" in box.attrs)
    return values


def counts(page: Element, name: str) -> dict[str, int]:
    return {code: count for code, (count, _ticked) in facet_values(page, name).items()}


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def facet_item(page: Element, name: str, code: str) -> Element:
    for item in page.find_all("li", class_="facet-value"):
        box = item.find("input")
        if box.attrs["name"] == name and box.attrs["value"] == code:
            return item
    raise AssertionError(f"no facet value {name}={code}")


def toggle_link(page: Element, name: str, code: str) -> str:
    return facet_item(page, name, code).find("a", class_="facet-link").attrs["href"]


def chips(page: Element) -> dict[str, str | None]:
    """Chip text -> the link that removes it (None for a pinned, fixed chip)."""
    result = {}
    for chip in page.find_all(class_="chip"):
        label = chip.text.replace("Remove filter:", "").replace("×", "").strip()
        result[label] = chip.attrs.get("href") if chip.tag == "a" else None
    return result


# -- the catalogue --------------------------------------------------------------------------------


@pytest.fixture(autouse=True, params=["index", "sql"])
def engine(request, settings):
    """Every page test runs on both search engines: the bitmap index and plain SQL."""
    settings.SEARCH_ENGINE = request.param
    return request.param


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
    make_strategy(  # a draft: must never be shown or counted
        "GBR0003s",
        title="Draft Organised Crime Strategy",
        status="draft",
        adoption_date=D(2021, 1, 1),
        crime_types=["drugs", "firearms", "smuggling-of-migrants"],
        articles=["UNTOC-5", "SOM-6"],
        cross_cutting_issues=["prevention/risk-factors", "witnesses/witness-protection/relocation"],
    )
    make_strategy(
        "SADC0001s", title="Regional Drug Strategy", status="published", crime_types=["drugs"],
    )  # fmt: skip


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return parse_html(response)


def label(model, code: str, language: str = "en") -> str:
    with translation.override(language):
        if model is CrimeType:
            return CrimeType.objects.get(slug=code).name
        return model.objects.get(code=code).name


# -- results and counts ---------------------------------------------------------------------------


def test_search_page_lists_published_strategies_with_facet_counts(client, catalogue):
    page = get(client, SEARCH)
    assert result_ids(page) == ["FRA0001s", "GBR0002s", "ZAF0001s", "GBR0001s", "SADC0001s"]
    assert counts(page, "jurisdiction") == {"GBR": 2, "FRA": 1, "SADC": 1, "ZAF": 1}
    assert counts(page, "crime_type") == {"drugs": 3, "corruption": 2, "cybercrime": 1,
                                          "firearms": 1}  # fmt: skip
    assert counts(page, "article") == {"UNTOC-5": 2, "UNTOC-11": 2, "TIP-9": 1, "FAP-5": 1}
    assert counts(page, "region")["150"] == 3
    assert page.find(class_="result-count").text == "5 strategies"
    # One h1, and the result rows show what a reader scans for.
    assert len(page.find_all("h1")) == 1
    gbr = page.find_all("li", class_="result")[3]
    assert "Serious and Organised Crime Strategy" in gbr.text
    assert label(Jurisdiction, "GBR") in gbr.text and "GBR0001s" in gbr.text
    assert gbr.find("time").attrs["datetime"] == "2018-11-01"
    assert label(CrimeType, "drugs") in gbr.text and label(CrimeType, "corruption") in gbr.text
    # A title in another language than the page's says so, for screen readers.
    assert page.find_all("li", class_="result")[0].find("a").attrs["lang"] == "fr"


@pytest.mark.parametrize("language", ["en", "fr", "zh-hans"])
def test_a_result_names_its_jurisdiction_and_crime_types_in_the_pages_language(
    client, catalogue, language
):
    # The vocabulary's order (terrorism, drugs, cybercrime) is not the codes' alphabetical one.
    make_strategy("ITA0001s", status="published", crime_types=["drugs", "cybercrime", "terrorism"])
    with translation.override(language):
        crime_types = [
            str(crime_type.name)
            for crime_type in CrimeType.objects.filter(
                slug__in=["drugs", "cybercrime", "terrorism"]
            ).order_by("position")
        ]
        separator = translation.pgettext("list separator", ", ")
    prefix = "" if language == "en" else f"/{language}"
    page = get(client, f"{prefix}/strategies/", jurisdiction="ITA")
    (result,) = page.find_all("li", class_="result")
    facts = [item.find("dd").text for item in result.find_all("div")]
    assert label(Jurisdiction, "ITA", language) in facts
    assert separator.join(crime_types) in facts


def test_articles_are_grouped_under_their_instrument_in_numeric_order(client, catalogue):
    page = get(client, SEARCH)
    fieldset = next(f for f in page.find_all("fieldset") if f.find("legend").text == "Article")
    groups = fieldset.find_all("fieldset", class_="facet-group")
    assert [g.find("legend").text for g in groups][0].startswith("United Nations Convention")
    assert [box.attrs["value"] for box in groups[0].find_all("input")] == ["UNTOC-5", "UNTOC-11"]
    assert len(groups) == 3  # UNTOC, TIP, FAP: the articles cited by published strategies


def test_ticking_a_value_filters_results_and_the_other_facets_counts(client, catalogue):
    page = get(client, SEARCH, crime_type="drugs")
    assert sorted(result_ids(page)) == ["GBR0001s", "GBR0002s", "SADC0001s"]
    assert counts(page, "jurisdiction") == {"GBR": 2, "SADC": 1}
    # Its own facet still counts as if it were not ticked, so the other values can be added.
    assert facet_values(page, "crime_type") == {
        "drugs": (3, True), "corruption": (2, False), "cybercrime": (1, False),
        "firearms": (1, False),
    }  # fmt: skip
    assert page.find("input", id="facet-crime_type-drugs").attrs.get("checked") is not None


def test_each_value_is_a_link_that_toggles_it_and_keeps_the_rest(client, catalogue):
    page = get(client, SEARCH, crime_type="drugs", q="strategy", page="1")
    assert query_of(toggle_link(page, "crime_type", "drugs")) == {"q": ["strategy"]}
    assert query_of(toggle_link(page, "crime_type", "corruption")) == {
        "crime_type": ["drugs", "corruption"], "q": ["strategy"],
    }  # fmt: skip
    # Following the link gives what the checkbox and "Apply" give.
    added = get(client, toggle_link(page, "crime_type", "corruption"))
    assert result_ids(added) == result_ids(
        get(client, SEARCH, crime_type=["drugs", "corruption"], q="strategy")
    )


def test_facet_controls_are_in_one_get_form_with_labels(client, catalogue):
    page = get(client, SEARCH)
    form = page.find("form")
    assert form.attrs["method"] == "get" and form.attrs["action"] == SEARCH
    boxes = form.find_all("input", type="checkbox")
    assert {box.attrs["name"] for box in boxes} == {
        "jurisdiction", "region", "crime_type", "article", "issue",
    }  # fmt: skip
    labelled = {label.attrs["for"] for label in page.find_all("label")}
    for control in [*boxes, *form.find_all("select"), *form.find_all("input", type="text")]:
        assert control.attrs["id"] in labelled
    assert form.find("input", type="search").attrs["id"] in labelled
    legends = [
        fieldset.find("legend").text for fieldset in form.find_all("fieldset", class_="facet")
    ]
    assert legends == [
        "Jurisdiction", "Region", "Crime type", "Article", "Cross-cutting issue",
        "Year of adoption",
    ]  # fmt: skip
    assert {b.text for b in form.find_all("button")} >= {"Search", "Apply filters"}


def test_zero_count_values_are_hidden_unless_selected(client, catalogue):
    page = get(client, SEARCH, jurisdiction="FRA", crime_type="firearms")
    assert result_ids(page) == []
    assert page.find(class_="result-count").text == "No strategies match."
    assert facet_values(page, "crime_type") == {
        "corruption": (1, False), "cybercrime": (1, False), "firearms": (0, True),
    }  # fmt: skip
    assert "witnesses" not in counts(get(client, SEARCH), "issue")  # only the draft has it


def test_long_facets_show_the_most_frequent_values_then_show_all(client, catalogue):
    make_strategy("DEU0001s", status="published")
    make_strategy("DEU0002s", status="published")
    make_strategy("DEU0003s", status="published")
    for code in ("ITA", "ESP", "PRT", "NLD", "BEL", "AUT", "CHE", "POL"):
        make_strategy(f"{code}0001s", status="published")
    page = get(client, SEARCH, jurisdiction="ZAF")
    fieldset = page.find("fieldset", class_="facet-flat")  # the jurisdictions come first
    shown = [
        box.attrs["value"] for box in fieldset.find("ul", class_="facet-values").find_all("input")
    ]
    more = fieldset.find("details", class_="facet-more")
    hidden = [box.attrs["value"] for box in more.find_all("input")]
    assert more.find("summary").text == "Show all 13"
    assert len(shown) + len(hidden) == 13 and not set(shown) & set(hidden)
    # The eight most frequent (Germany, 3; the United Kingdom, 2; then by name), and the selected
    # South Africa although it has only one.
    assert shown[:2] == ["DEU", "GBR"] and len(shown) == 9 and shown[-1] == "ZAF"
    # The rest in the facet's order: by count, then by name.
    assert hidden == ["PRT", "SADC", "ESP", "CHE"]
    values = counts(page, "jurisdiction")
    assert min(values[code] for code in shown[:8]) >= max(values[code] for code in hidden)


def test_issue_tree_nests_and_a_node_selects_its_subtree(client, catalogue):
    page = get(client, SEARCH, issue="investigation")
    assert sorted(result_ids(page)) == ["GBR0001s", "GBR0002s"]
    investigation = page.find("input", id="facet-issue-investigation")
    assert investigation.attrs.get("checked") is not None
    node = facet_item(page, "issue", "investigation")
    # Nested lists in the tree's order: its own checkbox first, then everything beneath it.
    assert [box.attrs["value"] for box in node.find_all("input")] == [
        "investigation",
        "investigation/measures",
        "investigation/measures/identify-trace-freeze-seize",
        "investigation/measures/access-to-financial-records",
    ]
    assert counts(page, "issue")["investigation/measures/identify-trace-freeze-seize"] == 2
    # A branch with something selected inside it starts open.
    assert "open" not in node.find("details", class_="facet-branch").attrs
    selected_below = get(client, SEARCH, issue="investigation/measures")
    branch = facet_item(selected_below, "issue", "investigation").find("details")
    assert "open" in branch.attrs


def test_region_tree_counts_every_level(client, catalogue):
    page = get(client, SEARCH, region="154")  # Northern Europe
    assert sorted(result_ids(page)) == ["GBR0001s", "GBR0002s"]
    regions = counts(page, "region")
    assert regions["150"] == 3 and regions["154"] == 2 and regions["002"] == 2


# -- drafts ---------------------------------------------------------------------------------------


def test_drafts_never_appear_in_results_or_counts(client, catalogue):
    for params in ({}, {"jurisdiction": "GBR"}, {"q": "Draft"}, {"crime_type": "firearms"}):
        response = client.get(SEARCH, params)
        assert b"Draft Organised Crime Strategy" not in response.content
        assert b"GBR0003s" not in response.content
    page = get(client, SEARCH)
    assert "smuggling-of-migrants" not in counts(page, "crime_type")
    assert "SOM-6" not in counts(page, "article")
    assert counts(page, "crime_type")["firearms"] == 1
    assert counts(get(client, SEARCH, jurisdiction="GBR"), "jurisdiction")["GBR"] == 2


# -- active filters -------------------------------------------------------------------------------


def test_chips_remove_one_value_each_and_clear_all_removes_everything(client, catalogue):
    page = get(
        client, SEARCH, crime_type=["drugs", "corruption"], region="150", adopted_from="2018",
        q="crime", ordering="title",
    )  # fmt: skip
    found = chips(page)
    drugs, europe = label(CrimeType, "drugs"), label(Region, "150")
    assert set(found) == {
        "Search words: crime",
        f"Crime type: {drugs}",
        f"Crime type: {label(CrimeType, 'corruption')}",
        f"Region: {europe}",
        "Adopted from: 2018",
    }
    assert query_of(found[f"Crime type: {drugs}"]) == {
        "crime_type": ["corruption"], "region": ["150"], "adopted_from": ["2018"], "q": ["crime"],
        "ordering": ["title"],
    }  # fmt: skip
    assert "q" not in query_of(found["Search words: crime"])
    assert "adopted_from" not in query_of(found["Adopted from: 2018"])
    assert page.find("a", class_="clear-all").attrs["href"] == SEARCH
    assert get(client, SEARCH).find_all(class_="chip") == []


def test_issue_chips_name_the_ancestors(client, catalogue):
    # "Details", "Measures"… repeat under several parents: a chip names the whole path.
    page = get(client, SEARCH, issue="investigation/measures")
    assert list(chips(page)) == ["Cross-cutting issue: Investigation › Measures"]


def test_invalid_parameters_are_reported_not_fatal(client, catalogue):
    response = client.get(SEARCH, {"article": "UNTOC-99", "adopted_from": "soon"})
    assert response.status_code == 200
    page = parse_html(response)
    notice = page.find(class_="notice-warning").text
    assert "article: Select a valid choice. UNTOC-99" in notice
    assert "adopted_from:" in notice
    assert sorted(result_ids(page)) == ALL_PUBLISHED  # the bad filters are left out
    year_input = page.find("input", id="adopted_from")
    assert year_input.attrs["value"] == "soon" and year_input.attrs["aria-invalid"] == "true"


def test_year_range_filters(client, catalogue):
    page = get(client, SEARCH, adopted_from="2019", adopted_to="2020")
    assert sorted(result_ids(page)) == ["FRA0001s", "GBR0002s", "ZAF0001s"]
    assert page.find("input", id="adopted_to").attrs["value"] == "2020"


# -- order and pages ------------------------------------------------------------------------------


def test_sort_options_offer_relevance_only_when_searching_words(client, catalogue):
    options = get(client, SEARCH).find("select", id="ordering").find_all("option")
    assert [o.attrs["value"] for o in options] == ["newest", "oldest", "title"]
    assert "selected" in options[0].attrs
    options = get(client, SEARCH, q="strategy").find("select", id="ordering").find_all("option")
    assert [o.attrs["value"] for o in options] == ["relevance", "newest", "oldest", "title"]
    page = get(client, SEARCH, ordering="title")
    assert result_ids(page)[0] == "GBR0002s"  # "Economic Crime Plan"


def test_pagination_keeps_the_filters_and_the_order_is_stable(client, catalogue):
    for number in range(1, 25):
        make_strategy(f"DEU{number:04d}s", status="published", crime_types=["drugs"],
                      adoption_date=D(2010, 1, 1))  # fmt: skip
    first = get(client, SEARCH, crime_type="drugs", ordering="newest")
    assert len(result_ids(first)) == 20
    assert first.find(class_="result-count").text == "Showing 1–20 of 27 strategies"
    pages = first.find("nav", class_="pagination")
    current = pages.find("a", **{"aria-current": "page"})
    assert current.text == "1" and current.attrs["aria-label"] == "Page 1"
    next_href = pages.find("a", rel="next").attrs["href"]
    assert query_of(next_href) == {"crime_type": ["drugs"], "ordering": ["newest"], "page": ["2"]}
    second = get(client, SEARCH + next_href)
    assert len(result_ids(second)) == 7
    assert not set(result_ids(first)) & set(result_ids(second))
    assert second.find("ol", class_="result-list").attrs["start"] == "21"
    # Changing a filter from page 2 starts again at page 1.
    assert "page" not in query_of(toggle_link(second, "crime_type", "corruption"))


# -- links to the same result set -----------------------------------------------------------------


def test_export_and_feed_links_carry_the_same_query(client, catalogue):
    page = get(client, SEARCH, crime_type="drugs", q="crime", page="1")
    links = {a.text: a.attrs["href"] for a in page.find(class_="result-set-links").find_all("a")}
    expected = {"crime_type": ["drugs"], "q": ["crime"]}
    assert links["CSV"].startswith("/strategies/export.csv?")
    assert links["JSON Lines"].startswith("/strategies/export.jsonl?")
    assert links["Atom feed"].startswith("/strategies/feed/?")
    assert all(query_of(href) == expected for href in links.values())


def test_result_count_is_announced(client, catalogue):
    status = get(client, SEARCH, crime_type="drugs").find("p", class_="result-count")
    assert status.attrs["role"] == "status" and status.attrs["aria-live"] == "polite"
    assert status.text == "3 strategies"


# -- languages ------------------------------------------------------------------------------------


def test_arabic_page_is_right_to_left_and_the_switcher_keeps_the_filters(client, catalogue):
    page = get(client, "/ar/strategies/", crime_type="drugs")
    html = page.find("html")
    assert html.attrs["lang"] == "ar" and html.attrs["dir"] == "rtl"
    switcher = page.find("nav", class_="language-switcher")
    links = {a.attrs["hreflang"]: a for a in switcher.find_all("a")}
    assert {code: a.text for code, a in links.items()} == {
        "en": "English", "zh-hans": "中文", "fr": "Français", "es": "Español", "ru": "Русский",
        "ar": "العربية",
    }  # fmt: skip
    assert links["en"].attrs["href"] == "/strategies/?crime_type=drugs"
    assert links["fr"].attrs["href"] == "/fr/strategies/?crime_type=drugs"
    assert all(a.attrs["lang"] == code for code, a in links.items())
    assert links["ar"].attrs["aria-current"] == "true"
    assert "aria-current" not in links["en"].attrs
    # Vocabulary labels are in Arabic.
    assert label(Jurisdiction, "GBR", "ar") in page.find("ol", class_="result-list").text


def test_english_page_is_left_to_right(client, catalogue):
    html = get(client, SEARCH).find("html")
    assert html.attrs["lang"] == "en" and html.attrs["dir"] == "ltr"


# -- accessibility basics -------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/ar"])
def test_ids_are_unique_and_landmarks_are_named(client, catalogue, prefix):
    page = get(
        client, f"{prefix}{SEARCH}", jurisdiction="GBR", region="150", crime_type="drugs",
        article="UNTOC-11", issue="investigation", adopted_from="2015", q="crime",
    )  # fmt: skip
    ids = [element.attrs["id"] for element in page.iter() if "id" in element.attrs]
    assert len(ids) == len(set(ids))
    # Every aria-labelledby / aria-describedby / label points at something that exists.
    for element in page.iter():
        for attribute in ("aria-labelledby", "aria-describedby"):
            for target in element.attrs.get(attribute, "").split():
                assert target in ids, (element.tag, attribute, target)
        if element.tag == "label":
            assert element.attrs["for"] in ids
    navs = [nav.attrs.get("aria-label") for nav in page.find_all("nav")]
    assert len(navs) == len(set(navs)) and None not in navs
    assert len(page.find_all("main")) == 1 and len(page.find_all("aside")) == 1
    assert page.find("a", class_="skip-link").attrs["href"] == "#main"
    headings = [int(e.tag[1]) for e in page.iter() if re.fullmatch(r"h[1-6]", e.tag)]
    assert headings[0] == 1 and all(
        b - a <= 1 for a, b in zip(headings, headings[1:], strict=False)
    )


# -- words ----------------------------------------------------------------------------------------


def test_word_search_highlights_and_falls_back_to_similar_titles(client, catalogue):
    page = get(client, SEARCH, q="finances")
    assert result_ids(page) == ["GBR0001s"]
    if connection.vendor != "postgresql":
        return  # SQLite: a plain substring search, without snippets or fuzzy matching
    assert page.find("p", class_="snippet").find("mark").text == "finances"
    fuzzy = get(client, SEARCH, q="firarms")
    assert result_ids(fuzzy) == ["ZAF0001s"]
    assert (
        "No exact matches; showing titles with similar words." in fuzzy.find(class_="results").text
    )


@postgresql_only("similar title words are PostgreSQL's (pg_trgm)")
def test_a_misspelt_search_shows_the_first_words_of_each_summary(client, db):
    make_strategy(
        "ZAF0001s",
        title="National Firearms Strategy",
        status="published",
        summary="<p>Illicit   <strong>weapons</strong> and\nammunition flows across the region's "
        "borders are tracked with partners, marked and destroyed.</p><p>More.</p>",
    )
    with CaptureQueriesContext(connection) as queries:
        page = get(client, SEARCH, q="firarms")
    assert result_ids(page) == ["ZAF0001s"]
    # No summary holds the words, so there is nothing to highlight: the opening, cut at twelve
    # words, without a headline computed from every summary whole.
    snippet = page.find("p", class_="snippet")
    assert (
        snippet.text
        == "Illicit weapons and ammunition flows across the region's borders are tracked with"
    )
    assert not [query for query in queries if "ts_headline" in query["sql"]]


# -- query counts ---------------------------------------------------------------------------------


MANY_TAGS = {
    "crime_types": ["drugs", "corruption", "cybercrime", "firearms", "trafficking-in-persons"],
    "articles": ["UNTOC-5", "UNTOC-6", "UNTOC-11", "UNTOC-12", "TIP-5", "TIP-9", "FAP-5"],
    "cross_cutting_issues": [
        "prevention/risk-factors",
        "prevention/awareness-raising",
        "investigation/measures/identify-trace-freeze-seize",
        "investigation/measures/access-to-financial-records",
    ],
}
ALL_FACETS = {
    "q": "Strategy", "jurisdiction": "GBR", "region": "150", "crime_type": "drugs",
    "article": "UNTOC-5", "issue": "prevention", "adopted_from": "2000", "adopted_to": "2030",
}  # fmt: skip


def heavily_tagged(count: int):
    for number in range(1, count + 1):
        make_strategy(
            f"GBR{number:04d}s", title=f"Strategy {number}", status="published",
            adoption_date=D(2000 + number % 20, 1, 1), **MANY_TAGS,
        )  # fmt: skip


# The search page's queries; strategies/views/catalogue.py's docstring says what they are. The
# catalogue version is read once per page: base.html's count of synthetic strategies reuses it.
NO_FILTER_QUERIES = {"index": 2, "sql": 17}
# Facets selected add none (StrategyFilterSet checks their codes against the vocabularies the
# process keeps per catalogue version), and the search words add: for the index, the ranking on
# PostgreSQL (the matches themselves were found by the warm-up request and are kept with the
# index); for SQL, on PostgreSQL the exact-match count and the count that decides whether to
# rank (see FULL_RANK_LIMIT), on SQLite the count.
WORDS_QUERIES = {("index", "postgresql"): 1, ("index", "sqlite"): 0, ("sql", "postgresql"): 2,
                 ("sql", "sqlite"): 1}  # fmt: skip


def expected_queries(engine: str, params: dict) -> int:
    if not params:
        return NO_FILTER_QUERIES[engine]
    return NO_FILTER_QUERIES[engine] + WORDS_QUERIES[engine, connection.vendor]


@pytest.mark.parametrize("params", [{}, ALL_FACETS], ids=["no filter", "every facet"])
def test_query_count_does_not_grow_with_page_size_or_tags(
    client, django_assert_num_queries, engine, params
):
    heavily_tagged(3)
    client.get(SEARCH, params)  # the index engine builds its index on the first search
    with django_assert_num_queries(expected_queries(engine, params)):
        page = get(client, SEARCH, **params)
    assert len(result_ids(page)) == 3

    heavily_tagged(25)  # the same three, and 22 more
    client.get(SEARCH, params)
    with django_assert_num_queries(expected_queries(engine, params)):
        page = get(client, SEARCH, **params)
    assert len(result_ids(page)) == 20
