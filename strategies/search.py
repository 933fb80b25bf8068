"""The query layer: which strategies match a query, in what order, and the facet counts.

Every face of the catalogue (the search page, the browse pages, the API, exports, feeds, the
benchmark) asks its question here, with a parsed `StrategyQuery` rather than a request, so that
what `?article=UNTOC-11` means is decided in exactly one place.

Facet semantics: values of one facet are OR-ed, facets are AND-ed, and each facet's counts are
computed with every *other* facet's selection applied but not its own (disjunctive faceting), so a
count says what ticking that value would give.
"""

from __future__ import annotations

import datetime
import html
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramWordSimilarity,
)
from django.db import connection, models
from django.db.models import Count, Exists, F, OuterRef, Q, Value
from django.db.models.functions import ExtractYear

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction, Region

from .models import Status, Strategy

# Facet names are the filter names, plus the adoption year.
FACETS = ("jurisdiction", "region", "crime_type", "article", "issue", "year")
ORDERINGS = ("relevance", "newest", "oldest", "title")
TEXT_SEARCH_CONFIG = "english"
# Below this word similarity a misspelt word is not taken to mean a title word.
TRIGRAM_THRESHOLD = 0.4
# Markers that cannot occur in sanitised text, turned into <mark> after escaping.
_MARK_START, _MARK_STOP = "\x02", "\x03"


@dataclass(frozen=True)
class StrategyQuery:
    """A parsed search: codes, not labels or database ids; empty means "any"."""

    text: str = ""
    jurisdiction: frozenset[str] = frozenset()
    region: frozenset[str] = frozenset()  # UN M49 codes, any level
    crime_type: frozenset[str] = frozenset()  # slugs
    article: frozenset[str] = frozenset()  # "UNTOC-11"
    issue: frozenset[str] = frozenset()  # slug paths; a node selects its whole subtree
    adopted_from: datetime.date | None = None
    adopted_to: datetime.date | None = None
    ordering: str = ""  # one of ORDERINGS; empty: relevance when searching text, else newest

    def without(self, facet: str) -> StrategyQuery:
        """This query with one facet's selection removed (for that facet's counts)."""
        if facet == "year":
            return replace(self, adopted_from=None, adopted_to=None)
        return replace(self, **{facet: frozenset()})

    @property
    def effective_ordering(self) -> str:
        if self.ordering in ORDERINGS and (self.ordering != "relevance" or self.text):
            return self.ordering
        return "relevance" if self.text else "newest"

    def is_empty(self) -> bool:
        return self == StrategyQuery(ordering=self.ordering)


@dataclass
class FacetValue:
    code: str
    label: str
    count: int
    selected: bool = False
    group: str = ""  # articles: the instrument's code
    children: list[FacetValue] = field(default_factory=list)


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _search_vector():
    return SearchVector("title", weight="A", config=TEXT_SEARCH_CONFIG) + SearchVector(
        "summary", weight="B", config=TEXT_SEARCH_CONFIG
    )


class StrategySearch:
    """One search: the matching strategies and the facet counts, from one StrategyQuery."""

    def __init__(self, query: StrategyQuery, *, include_drafts: bool = False):
        self.query = query
        self.include_drafts = include_drafts

    # -- matching ---------------------------------------------------------------------------

    def _visible(self) -> models.QuerySet[Strategy]:
        strategies = Strategy.objects.all()
        return strategies if self.include_drafts else strategies.filter(status=Status.PUBLISHED)

    @cached_property
    def fuzzy(self) -> bool:
        """True when no strategy matched the words and similar title words are used instead."""
        if not self.query.text or not _on_postgresql():
            return False
        return not self._text_matches(fuzzy=False).exists()

    def _text_matches(self, *, fuzzy: bool) -> models.QuerySet[Strategy]:
        text = self.query.text
        visible = self._visible()
        if not _on_postgresql():
            return visible.filter(Q(title__icontains=text) | Q(summary__icontains=text))
        if fuzzy:
            return visible.annotate(similarity=TrigramWordSimilarity(text, "title")).filter(
                similarity__gte=TRIGRAM_THRESHOLD
            )
        search_query = SearchQuery(text, search_type="websearch", config=TEXT_SEARCH_CONFIG)
        return visible.annotate(search=_search_vector()).filter(search=search_query)

    def filtered(self, query: StrategyQuery | None = None) -> models.QuerySet[Strategy]:
        """Strategies matching `query` (default: this search's), unordered."""
        query = query or self.query
        strategies = self._visible()
        if query.text:
            strategies = strategies.filter(pk__in=self._text_matches(fuzzy=self.fuzzy).values("pk"))
        if query.jurisdiction:
            strategies = strategies.filter(jurisdiction_id__in=query.jurisdiction)
        if query.region:
            strategies = strategies.filter(
                Q(jurisdiction__region__code__in=query.region)
                | Q(jurisdiction__subregion__code__in=query.region)
                | Q(jurisdiction__intermediate_region__code__in=query.region)
            )
        if query.crime_type:
            through = Strategy.crime_types.through
            strategies = strategies.filter(
                Exists(
                    through.objects.filter(
                        strategy_id=OuterRef("pk"), crimetype__slug__in=query.crime_type
                    )
                )
            )
        if query.article:
            through = Strategy.articles.through
            strategies = strategies.filter(
                Exists(
                    through.objects.filter(
                        strategy_id=OuterRef("pk"), article__code__in=query.article
                    )
                )
            )
        if query.issue:
            through = Strategy.cross_cutting_issues.through
            strategies = strategies.filter(
                Exists(
                    through.objects.filter(
                        strategy_id=OuterRef("pk"),
                        crosscuttingissue__lineage__path__in=query.issue,
                    )
                )
            )
        if query.adopted_from:
            strategies = strategies.filter(adoption_date__gte=query.adopted_from)
        if query.adopted_to:
            strategies = strategies.filter(adoption_date__lte=query.adopted_to)
        return strategies

    def results(self) -> models.QuerySet[Strategy]:
        """The matching strategies in a stable order, with `rank` and `snippet` when searching.

        Rows carry their jurisdiction; slice before iterating (the page does).
        """
        strategies = self.filtered().select_related("jurisdiction")
        ordering = self.query.effective_ordering
        if self.query.text and _on_postgresql():
            search_query = SearchQuery(
                self.query.text, search_type="websearch", config=TEXT_SEARCH_CONFIG
            )
            if self.fuzzy:
                strategies = strategies.annotate(
                    rank=TrigramWordSimilarity(self.query.text, "title")
                )
            else:
                strategies = strategies.annotate(rank=SearchRank(_search_vector(), search_query))
            strategies = strategies.annotate(
                raw_snippet=SearchHeadline(
                    models.Func(
                        F("summary"),
                        Value("<[^>]+>"),
                        Value(" "),
                        Value("g"),
                        function="regexp_replace",
                        output_field=models.TextField(),
                    ),
                    search_query,
                    config=TEXT_SEARCH_CONFIG,
                    start_sel=_MARK_START,
                    stop_sel=_MARK_STOP,
                    max_fragments=2,
                    max_words=30,
                    min_words=12,
                    fragment_delimiter=" … ",
                )
            )
        else:
            strategies = strategies.annotate(rank=Value(0.0), raw_snippet=Value(""))
        newest = (F("adoption_date").desc(nulls_last=True), "strategy_id")
        order_by = {
            "relevance": ("-rank", *newest),
            "newest": newest,
            "oldest": (F("adoption_date").asc(nulls_last=True), "strategy_id"),
            "title": ("title", "strategy_id"),
        }[ordering]
        return strategies.order_by(*order_by)

    # -- facets -----------------------------------------------------------------------------

    def facets(self, names: tuple[str, ...] | list[str] = FACETS) -> dict[str, list[FacetValue]]:
        """Counts per facet value, each with the other facets' selections applied."""
        builders = {
            "jurisdiction": self._jurisdiction_facet,
            "region": self._region_facet,
            "crime_type": self._crime_type_facet,
            "article": self._article_facet,
            "issue": self._issue_facet,
            "year": self._year_facet,
        }
        return {name: builders[name]() for name in names}

    def _ids_without(self, facet: str) -> models.QuerySet:
        return self.filtered(self.query.without(facet)).values("pk")

    def _jurisdiction_facet(self) -> list[FacetValue]:
        counts = dict(
            Strategy.objects.filter(pk__in=self._ids_without("jurisdiction"))
            .values_list("jurisdiction_id")
            .annotate(n=Count("pk"))
            .values_list("jurisdiction_id", "n")
        )
        selected = self.query.jurisdiction
        values = [
            FacetValue(j.code, j.name, counts.get(j.code, 0), j.code in selected)
            for j in Jurisdiction.objects.filter(code__in=set(counts) | selected)
        ]
        return sorted(values, key=lambda v: (-v.count, v.label))

    def _region_facet(self) -> list[FacetValue]:
        per_jurisdiction = (
            Strategy.objects.filter(pk__in=self._ids_without("region"))
            .values_list(
                "jurisdiction__region__code",
                "jurisdiction__subregion__code",
                "jurisdiction__intermediate_region__code",
            )
            .annotate(n=Count("pk"))
        )
        counts: dict[str, int] = defaultdict(int)
        for *codes, n in per_jurisdiction:
            for code in codes:
                if code:
                    counts[code] += n
        selected = self.query.region
        regions = list(Region.objects.all())
        nodes = {
            region.pk: FacetValue(region.code, region.name, counts.get(region.code, 0),
                                  region.code in selected)
            for region in regions
        }  # fmt: skip
        roots = []
        for region in regions:
            (nodes[region.parent_id].children if region.parent_id else roots).append(
                nodes[region.pk]
            )
        for node in nodes.values():
            node.children.sort(key=lambda v: v.label)
        return _prune(sorted(roots, key=lambda v: v.label))

    def _crime_type_facet(self) -> list[FacetValue]:
        through = Strategy.crime_types.through
        counts = dict(
            through.objects.filter(strategy_id__in=self._ids_without("crime_type"))
            .values_list("crimetype__slug")
            .annotate(n=Count("strategy_id"))
            .values_list("crimetype__slug", "n")
        )
        selected = self.query.crime_type
        values = [
            FacetValue(c.slug, c.name, counts.get(c.slug, 0), c.slug in selected)
            for c in CrimeType.objects.filter(slug__in=set(counts) | selected)
        ]
        return sorted(values, key=lambda v: (-v.count, v.label))

    def _article_facet(self) -> list[FacetValue]:
        """Flat, in instrument then numeric order; `group` names the instrument."""
        through = Strategy.articles.through
        counts = dict(
            through.objects.filter(strategy_id__in=self._ids_without("article"))
            .values_list("article__code")
            .annotate(n=Count("strategy_id"))
            .values_list("article__code", "n")
        )
        selected = self.query.article
        return [
            FacetValue(a.code, a.title, counts.get(a.code, 0), a.code in selected,
                       group=a.instrument.code)
            for a in Article.objects.in_order()
            .select_related("instrument")
            .filter(code__in=set(counts) | selected)
        ]  # fmt: skip

    def _issue_facet(self) -> list[FacetValue]:
        """The tree; a node counts the strategies tagged anywhere beneath it, each once."""
        counts = dict(
            CrossCuttingIssue.objects.filter(descendants__strategies__in=self._ids_without("issue"))
            .values_list("path")
            .annotate(n=Count("descendants__strategies", distinct=True))
            .values_list("path", "n")
        )
        selected = self.query.issue
        nodes: dict[str, FacetValue] = {}
        roots: list[FacetValue] = []
        for issue in CrossCuttingIssue.objects.order_by("position"):
            node = FacetValue(issue.path, issue.name, counts.get(issue.path, 0),
                              issue.path in selected)  # fmt: skip
            nodes[issue.path] = node
            parent_path = issue.path.rpartition("/")[0]
            (nodes[parent_path].children if parent_path else roots).append(node)
        return _prune(roots)

    def _year_facet(self) -> list[FacetValue]:
        rows = (
            Strategy.objects.filter(pk__in=self._ids_without("year"), adoption_date__isnull=False)
            .annotate(year=ExtractYear("adoption_date"))
            .values_list("year")
            .annotate(n=Count("pk"))
            .values_list("year", "n")
            .order_by("year")
        )
        return [FacetValue(str(year), str(year), n) for year, n in rows]


def _prune(nodes: list[FacetValue]) -> list[FacetValue]:
    """Drop zero-count values unless they (or something beneath them) are selected."""
    kept = []
    for node in nodes:
        node.children = _prune(node.children)
        if node.count or node.selected or node.children:
            kept.append(node)
    return kept


def snippet_html(raw_snippet: str) -> str:
    """Escape a headline and turn its match markers into <mark> elements."""
    text = html.escape(html.unescape(raw_snippet or ""))
    return text.replace(_MARK_START, "<mark>").replace(_MARK_STOP, "</mark>")
