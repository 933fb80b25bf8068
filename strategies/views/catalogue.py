"""The search page: the query string in; the matching strategies, facets and charts out.

The browse pages (browse.py) are this page with one facet pinned, so they build their context with
`search_page()` too. Everything here is presentation: what the parameters mean and how strategies
are matched and counted is strategies.filters' and strategies.search's business.

Queries for one page, whatever its size and however many tags its records carry (the tests in
tests/strategies/test_catalogue_pages.py pin the numbers): 2 with the index engine and 17 with
the SQL one for a page without filters, made of
  - the catalogue version, read once per page (strategies.middleware): it tells whether the
    index is current, and base.html's count of synthetic strategies reuses it (the count itself
    comes from the index, or from one count per catalogue version);
  - the facets: with the index engine, nothing more (the facet labels are read once per language
    and kept with the index); with the SQL engine, two per facet, one for years and one for the
    instruments' names, under which articles are grouped;
  - the page of strategies (none for an empty page), with their jurisdictions from the
    vocabularies this process keeps and, with the index engine, their crime types from the
    index; the SQL engine also counts the matches, reads the crime types' codes and names;
and nothing more per filter parameter (StrategyFilterSet checks the codes against the vocabularies
this process keeps per catalogue version). Search words add, with the index engine, one on
PostgreSQL to rank the matches, plus one (which strategies match exactly?) the first time these
words are searched since the catalogue last changed, and a second (which titles have similar
words?) when none does; with the SQL engine, one on PostgreSQL (how many match exactly?) and one
count (is the set small enough to rank?).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language_bidi, gettext

from .. import charts
from ..filters import ORDERING_LABELS, StrategyFilterSet
from ..search import FacetValue, StrategySearch
from .common import search_from_params

PAGE_SIZE = 20
# The fields of a strategy a results page shows (strategies/templatetags/catalogue.py).
LISTED_FIELDS = ("strategy_id", "title", "jurisdiction", "adoption_date", "language", "synthetic")
# A long facet shows this many values (the most frequent, plus any selected) before "Show all".
SHOWN_VALUES = 8
# The facets in the order the page shows them; the adoption years are a range below them.
FACET_ORDER = ("jurisdiction", "region", "crime_type", "article", "issue")
TREE_FACETS = ("region", "issue")


@dataclass(frozen=True)
class Pin:
    """A facet a browse page fixes to one value: always applied, shown, never removable."""

    facet: str
    code: str
    label: str


@dataclass
class FacetGroup:
    label: str
    options: list[FacetValue]


@dataclass
class FacetPanel:
    """One facet's fieldset: the values shown at once, and the rest behind "Show all"."""

    name: str  # the query parameter
    legend: str
    kind: str  # "flat", "grouped" (articles under their instrument) or "tree"
    shown: list
    more: list
    total: int
    labels: dict[str, str] | None = None  # code -> label shown, where it is not the value's


@dataclass
class Chip:
    """An active filter; a link that removes it unless it is pinned by a browse page."""

    name: str
    label: str
    value: str | None = None  # None: remove the whole parameter (words, years)
    fixed: bool = False


def search(request: HttpRequest):
    return render(request, "strategies/search.html", search_page(request))


def search_page(
    request: HttpRequest,
    *,
    pin: Pin | None = None,
    hidden: tuple[str, ...] = (),
    also_count: tuple[str, ...] = (),
) -> dict:
    """The search page's context; browse pages pin one facet and may hide facets it implies.

    `also_count` asks for facets the page does not show as filters but the caller needs (the
    issue page lists the narrower issues with their counts from the issue facet).
    """
    fixed = {pin.facet: frozenset({pin.code})} if pin else {}
    filterset, search = search_from_params(request.GET, **fixed)
    query = search.query
    shown = [name for name in FACET_ORDER if name not in hidden and (not pin or name != pin.facet)]
    # A hidden facet is still fetched if something in it is selected: its chip needs the label.
    wanted = [*also_count, *(name for name in hidden if getattr(query, name))]
    facets = search.facets([*shown, *(n for n in wanted if n not in shown), "year"])
    chips = _chips(request, search, facets, pin)

    # The list reads only the fields it shows: no summaries (a search's snippet is made from it
    # in the database), and the jurisdictions and crime types' names from the vocabularies.
    paginator = Paginator(
        search.results(snippets=True).select_related(None).only(*LISTED_FIELDS), PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    _attach_names(search, page.object_list)

    return {
        "filterset": filterset,
        "errors": filterset.error_messages(),
        "text": request.GET.get("q", ""),
        "fuzzy": search.fuzzy,
        "facets": facets,
        "facet_panels": [_panel(search, name, facets[name]) for name in shown],
        "years": _years_context(request, filterset, facets["year"]),
        "chips": chips,
        "removable": any(not chip.fixed for chip in chips),
        "page": page,
        "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "orderings": [
            (value, label)
            for value, label in ORDERING_LABELS.items()
            if value != "relevance" or query.text
        ],
        "ordering": query.effective_ordering,
        "charts": _charts(search, facets, page),
        "links": _result_set_links(request, pin),
    }


def _attach_names(search: StrategySearch, strategies: list) -> None:
    """Give each listed strategy its jurisdiction and `crime_type_names`, in the vocabulary's
    order, from the vocabularies this process keeps and the crime types' codes the search gives
    (model instances of every tag would cost more than the rest of the page)."""
    if not strategies:
        return
    search.vocabularies.give_jurisdictions(strategies)
    names = search.labels("crime_type")  # in the vocabulary's order
    rank = {slug: position for position, slug in enumerate(names)}
    codes = search.tag_codes("crime_type", [strategy.pk for strategy in strategies])
    for strategy in strategies:
        slugs = sorted(codes[strategy.pk], key=lambda slug: (rank.get(slug, len(rank)), slug))
        strategy.crime_type_names = [names.get(slug, slug) for slug in slugs]


# -- facets ---------------------------------------------------------------------------------------


def _legend(name: str) -> str:
    return str(StrategyFilterSet.base_filters[name].label)


def article_label(number, title: str) -> str:
    """An article as readers name it: its number within its instrument, then its title."""
    return _article_label_format() % {"number": number, "title": title}


def _article_label_format() -> str:
    return gettext("Art. %(number)s %(title)s")


def _article_labels(values: list[FacetValue]) -> dict[str, str]:
    """Code to label for the article facet's values, with one translation lookup for them all."""
    label_format = _article_label_format()
    # The facet carries the code ("UNTOC-11"), whose last part is the article's number.
    return {
        value.code: label_format % {"number": value.code.rpartition("-")[2], "title": value.label}
        for value in values
    }


def _split(values: list[FacetValue]) -> tuple[list[FacetValue], list[FacetValue]]:
    """The most frequent values and any selected ones first; both parts keep the facet's order."""
    if len(values) <= SHOWN_VALUES:
        return values, []
    by_count = sorted(range(len(values)), key=lambda i: -values[i].count)
    keep = set(by_count[:SHOWN_VALUES]) | {i for i, v in enumerate(values) if v.selected}
    return (
        [v for i, v in enumerate(values) if i in keep],
        [v for i, v in enumerate(values) if i not in keep],
    )


def _panel(search: StrategySearch, name: str, values: list[FacetValue]) -> FacetPanel:
    """The facet's values as the search gave them: the template tag facet_options writes them
    out (checkbox ids, toggle links and open branches), and articles get their labels here."""
    legend = _legend(name)
    shown, more = _split(values)
    if name == "article":
        instruments = search.instrument_names()
        return FacetPanel(
            name, legend, "grouped",
            _grouped(shown, instruments), _grouped(more, instruments),
            len(values), _article_labels(values),
        )  # fmt: skip
    kind = "tree" if name in TREE_FACETS else "flat"
    return FacetPanel(name, legend, kind, shown, more, len(values))


def _grouped(values: list[FacetValue], instruments: dict[str, str]) -> list[FacetGroup]:
    """Articles under their instruments' names, in the facet's order."""
    result: list[FacetGroup] = []
    for value in values:
        label = instruments.get(value.group, value.group)
        if not result or result[-1].label != label:
            result.append(FacetGroup(label, []))
        result[-1].options.append(value)
    return result


def _years_context(request: HttpRequest, filterset: StrategyFilterSet, years: list[FacetValue]):
    """The range inputs: what was typed (even if invalid, to be corrected) and the years known."""
    return {
        "inputs": [
            {
                "name": name,
                "value": request.GET.get(name, ""),
                "label": _legend(name),
                "help": StrategyFilterSet.base_filters[name].extra.get("help_text", ""),
                "invalid": name in filterset.errors,
            }
            for name in ("adopted_from", "adopted_to")
        ],
        "first": years[0].code if years else "",
        "last": years[-1].code if years else "",
    }


# -- active filters -------------------------------------------------------------------------------


def _labels(values: list[FacetValue], trail: tuple[str, ...] = ()) -> dict[str, str]:
    """Code to label for a facet; a tree node's label names its ancestors ("Details" repeats)."""
    labels = {}
    for value in values:
        path = (*trail, value.label)
        labels[value.code] = " › ".join(path)
        labels.update(_labels(value.children, path))
    return labels


def _chip_label(name: str, value: str) -> str:
    return gettext("%(filter)s: %(value)s") % {"filter": _legend(name), "value": value}


def _chips(request, search: StrategySearch, facets, pin: Pin | None) -> list[Chip]:
    query = search.query
    chips = []
    if pin:
        chips.append(Chip(pin.facet, _chip_label(pin.facet, pin.label), fixed=True))
    if query.text:
        chips.append(Chip("q", _chip_label("q", query.text)))
    for name in FACET_ORDER:
        selected = getattr(query, name)
        if not selected or (pin and name == pin.facet):
            continue
        if name == "article":
            labels = _article_labels(facets.get(name, []))
        else:
            labels = _labels(facets.get(name, []))
        for code in sorted(selected, key=lambda code: labels.get(code, code)):
            chips.append(Chip(name, _chip_label(name, labels.get(code, code)), code))
    for name in ("adopted_from", "adopted_to"):
        if getattr(query, name):
            chips.append(Chip(name, _chip_label(name, request.GET.get(name, "").strip())))
    return chips


# -- charts ---------------------------------------------------------------------------------------


def _charts(search: StrategySearch, facets, page: Page) -> dict:
    """The current results by year and by region, from the facet counts already fetched.

    Facet counts leave out their own facet's selection, so each chart keeps only what the
    current selection admits: the years inside the adoption range, and per region the strategies
    of the selected (sub-)regions within it. The bars then add up to the results shown.
    """
    query = search.query
    total = page.paginator.count
    pictures = {}
    year_bars = _year_bars(facets["year"], query.adopted_from, query.adopted_to)
    if year_bars:
        # With either bound set, strategies without a date are not among the results at all.
        bounded = query.adopted_from or query.adopted_to
        undated = 0 if bounded else max(total - sum(bar.value for bar in year_bars), 0)
        pictures["years"] = {
            "svg": charts.column_chart(
                year_bars,
                title=gettext("Strategies by year of adoption"),
                description=gettext("Number of strategies in these results adopted each year."),
                category_label=gettext("Year of adoption"),
                value_label=gettext("Strategies"),
                id_prefix="chart-years",
            ),
            "caption": gettext("By year of adoption"),
            "undated": undated,
        }
    if "region" in facets:
        region_bars = _region_bars(facets["region"], bool(query.region), total)
        if region_bars:
            pictures["regions"] = {
                "svg": charts.bar_chart(
                    region_bars,
                    title=gettext("Strategies by region"),
                    description=gettext("Number of strategies in these results per region."),
                    category_label=gettext("Region"),
                    value_label=gettext("Strategies"),
                    id_prefix="chart-regions",
                    rtl=get_language_bidi(),
                ),
                "caption": gettext("By region"),
            }
    return pictures


def _year_bars(years: list[FacetValue], start: date | None, end: date | None) -> list[charts.Bar]:
    # The year facet counts whole years: a bound given as a date (2018-06-01) keeps its year's
    # bar, which then also counts the strategies of that year outside the range.
    counts = {
        int(value.code): value.count
        for value in years
        if (not start or int(value.code) >= start.year) and (not end or int(value.code) <= end.year)
    }
    if not counts:
        return []
    # A time axis shows the years without strategies too, so that gaps are seen as gaps.
    return [
        charts.Bar(str(year), counts.get(year, 0)) for year in range(min(counts), max(counts) + 1)
    ]


def _selected_count(node: FacetValue) -> int:
    """Strategies under the highest selected nodes of this branch (they never overlap)."""
    if node.selected:
        return node.count
    return sum(_selected_count(child) for child in node.children)


def _region_bars(regions: list[FacetValue], filtered: bool, total: int) -> list[charts.Bar]:
    bars = [
        charts.Bar(region.label, _selected_count(region) if filtered else region.count)
        for region in regions
    ]
    bars = sorted((bar for bar in bars if bar.value), key=lambda bar: (-bar.value, bar.label))
    # Some jurisdictions (Antarctica, the League of Arab States) belong to no M49 region.
    elsewhere = total - sum(bar.value for bar in bars)
    if elsewhere > 0 and not filtered:
        bars.append(charts.Bar(gettext("No region"), elsewhere))
    return bars


# -- links to the same result set elsewhere -------------------------------------------------------


def _result_set_links(request: HttpRequest, pin: Pin | None) -> dict[str, str]:
    """The export and feed URLs for exactly these results (a browse page's pin included)."""
    params = request.GET.copy()
    params.pop("page", None)
    if pin:
        params.setlist(pin.facet, [pin.code])
    query = params.urlencode()
    return {
        name: reverse(f"strategies:{route}") + (f"?{query}" if query else "")
        for name, route in (("csv", "export-csv"), ("jsonl", "export-jsonl"), ("feed", "feed"))
    }
