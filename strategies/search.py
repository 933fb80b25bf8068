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
import re
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property, partial

import numpy as np
from django.conf import settings
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.db import connection, connections, models, transaction
from django.db.models import Count, Exists, F, Lookup, OuterRef, Q, Value
from django.db.models.functions import ExtractYear
from django.utils.translation import get_language

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Instrument, Jurisdiction, Region

from . import word_matches
from .facet_index import PATCH_LIMIT, current_index, unpack
from .models import (
    TAG_CODES,
    CatalogueVersion,
    Status,
    Strategy,
    attach_codes,
    tag_codes_by_strategy,
)
from .phrases import PhraseKeys, TsqueryParseError, phrase_keys
from .vocabularies import current_vocabularies

# Facet names are the filter names, plus the adoption year.
FACETS = ("jurisdiction", "region", "crime_type", "article", "issue", "year")
ORDERINGS = ("relevance", "newest", "oldest", "title")
TEXT_SEARCH_CONFIG = "english"
# Ranking reads every candidate's whole word vector (about half a second for 50,000); past this
# many strategies matching the words and filters, "relevance" lists them newest first instead.
FULL_RANK_LIMIT = 3000
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


def needs_positions(text: str) -> bool:
    """Whether PostgreSQL may have to check word positions to match `text` (web search syntax):
    a quoted phrase, or words joined by punctuation without a space ("cross-border", "o'brien"),
    which it also searches as a phrase. It says yes to a few such words that PostgreSQL keeps
    whole ("U.S."), which costs them nothing but a parallel plan; it never says no to a phrase.
    """
    return '"' in text or _JOINED.search(text) is not None


# Two letters or digits with punctuation (not a space) between them.
_JOINED = re.compile(r"[^\W_](?:[^\w\s]|_)+[^\W_]")


@contextmanager
def through_indexes(using: str, *, positions: bool = False):
    """Queries in this block read the strategies through an index, never by reading the whole
    table (PostgreSQL, database `using`).

    The strategies' table keeps its summaries and word vectors out of line (migration 0010), so
    to the planner a scan of the whole table looks cheap; but testing each row against search
    words then reads every word vector: at 100,000 strategies, 0.7 s for a common word that the
    full-text index answers in 35 ms, and 1.2 s against 0.09 s for similar title words. Which
    plan it picks turns on the table's statistics, so after an ANALYZE the same search could
    become twenty times slower; in this block it cannot.

    With `positions` (for words that needs_positions()), the block's queries may also share
    their work with a parallel worker. The full-text index cannot tell where words stand in a
    summary, so for a phrase PostgreSQL rereads the word vector of every strategy holding all
    its words (53,000 for the benchmark's phrase at 100,000 strategies). Its cost estimates
    leave that reading out, so it never plans it in parallel; two processes do it in two
    thirds of the time. Words without a phrase gain nothing from a second process and keep one.
    """
    database = connections[using]
    if database.vendor != "postgresql":
        yield
        return
    wanted = {"enable_seqscan": "off"}
    if positions:
        wanted |= {"parallel_setup_cost": "0", "parallel_tuple_cost": "0"}
    names, values = list(wanted), list(wanted.values())
    # For this transaction only (behind a pooler such as PgBouncer, a session setting could
    # reach another client), and put back at the end of the block for whatever the transaction
    # does next; if the block fails, the rollback puts them back.
    with transaction.atomic(using=using):
        with database.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting(name), set_config(name, value, true) "
                "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS s(name, value, n) "
                "ORDER BY n",
                [names, values],
            )
            before = [setting for setting, _new in cursor.fetchall()]
        yield
        with database.cursor() as cursor:
            cursor.execute(
                "SELECT set_config(name, value, true) "
                "FROM unnest(%s::text[], %s::text[]) AS s(name, value)",
                [names, before],
            )


class StrategySearch:
    """One search: the matching strategies and the facet counts, from one StrategyQuery."""

    def __init__(
        self, query: StrategyQuery, *, include_drafts: bool = False, engine: str | None = None
    ):
        self.query = query
        self.include_drafts = include_drafts
        # "index": facet counts and result order from the in-process bitmap index (fast);
        # "sql": plain SQL throughout (the reference the index is tested against).
        self.engine = engine or settings.SEARCH_ENGINE

    @cached_property
    def index(self):
        return current_index()

    @cached_property
    def vocabularies(self):
        """The vocabularies this process keeps, read once per search (an export streamed in
        chunks reads them once)."""
        return current_vocabularies()

    # -- matching ---------------------------------------------------------------------------

    def _visible(self) -> models.QuerySet[Strategy]:
        strategies = Strategy.objects.all()
        return strategies if self.include_drafts else strategies.filter(status=Status.PUBLISHED)

    @cached_property
    def fuzzy(self) -> bool:
        """True when no strategy matched the words and similar title words are used instead."""
        if not self.query.text or not _on_postgresql():
            return False
        if self.engine == "index":
            return self._text_match[0]
        # A count, not exists(): for words that match nothing, PostgreSQL plans EXISTS (LIMIT 1)
        # as a scan of every word vector, hoping to meet a match early (0.5 s at 100,000
        # strategies); a count goes through the full-text index and costs what the matches do.
        return self._text_matches(fuzzy=False).count() == 0

    def _text_matches(self, *, fuzzy: bool, any_status: bool = False) -> models.QuerySet[Strategy]:
        """The strategies matching the words (or, `fuzzy`, with title words like them) that the
        search may show, or with `any_status` those of every status, drafts included.

        The index engine asks for every status and keeps those its index shows. A condition on
        the status gives PostgreSQL another way in: read every published strategy through the
        status's index and test its word vector (or phrase keys), a plan it reckons as cheap as
        the full-text index's whenever a word is common, as it cannot see what reading the
        vectors costs (see through_indexes()). At 100,000 strategies, statistics a little
        different after an ANALYZE made a common word take 0.8 s instead of 0.06.
        """
        text = self.query.text
        visible = Strategy.objects.all() if any_status else self._visible()
        if not _on_postgresql():
            return visible.filter(Q(title__icontains=text) | Q(summary__icontains=text))
        if fuzzy:
            # `%>` with the trigram index; its threshold is set per connection (settings).
            return visible.filter(title__trigram_word_similar=text)
        keys = self._phrase_keys
        if not keys.pairs:
            return visible.filter(search_vector=self._search_query())
        # A phrase: only the strategies holding its word pairs, side by side or two positions
        # apart ("trafficking in persons"), are candidates.
        narrowed = visible.filter(HoldsPairs(F("phrase_keys"), keys.pairs))
        if not keys.exact:
            return narrowed.filter(search_vector=self._search_query())
        # Single words and two-word phrases: the keys say where the phrases are, and the index
        # answers the words without reading a vector either. As a query of its own: beside the
        # keys, PostgreSQL would test the words on each candidate's vector, whose cost it
        # leaves out of its estimates (see through_indexes()).
        if keys.words is None:
            return narrowed
        with_words = Strategy.all_objects.filter(MatchesTsquery(F("search_vector"), keys.words))
        return narrowed.filter(pk__in=with_words.values("pk"))

    @cached_property
    def _phrase_keys(self) -> PhraseKeys:
        """What the words need of the phrase keys (strategies/phrases.py): nothing unless they
        hold a phrase, on PostgreSQL, which turns them into a query first."""
        text = self.query.text
        if not (text and _on_postgresql() and needs_positions(text)):
            return PhraseKeys()
        # On the database the search reads (a replica, for a public request).
        with connections[self._visible().db].cursor() as cursor:
            cursor.execute(
                "SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [TEXT_SEARCH_CONFIG, text]
            )
            (query,) = cursor.fetchone()
        try:
            return phrase_keys(query)
        except TsqueryParseError:
            return PhraseKeys()  # the word vectors alone answer it, as before the keys

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

    def results(self, *, snippets: bool = False):
        """The matching strategies in a stable order, with their jurisdiction and, when
        searching words, `rank`. Slice before iterating (pages do).

        `snippets` adds `raw_snippet` to each row when searching words: the highlighted extract
        of its summary that the search page shows. PostgreSQL computes it from the whole summary,
        about 1 ms a row, so the API and the exports, which do not show it, go without.

        With the index engine this is an IndexedResults (the order comes from the index and only
        the rows asked for are fetched); with the SQL engine, a QuerySet.
        """
        if self.engine == "index":
            return IndexedResults(self, self._ordered_pks, snippets=snippets)
        return self._ordered_by_sql(self._with_text_annotations(self.filtered(), snippets=snippets))

    @cached_property
    def _text_match(self) -> tuple[bool, np.ndarray]:
        """(fuzzy, mask of the strategies matching the words), remembered by the index.

        Collecting every match of a common word or a phrase is the slowest part of a word search
        (it reads tens of thousands of rows), and an analyst who searched then narrows the
        results with the facets or turns pages asks for the same words again and again: the
        index keeps the last searches' matches until the catalogue changes, and with
        SHARE_WORD_SEARCHES so does the shared cache, for the other workers (word_matches.py).
        """

        def find() -> tuple[bool, np.ndarray]:
            key = word_matches.shared_key(self.index.version, self.query.text, self.include_drafts)
            if (shared := word_matches.read(key)) is not None:
                fuzzy, matches = shared
                return fuzzy, self.index.text_mask(matches)
            if (mended := self._mended_from_earlier_version()) is not None:
                return mended
            # The exact matches first, through the full-text index; only when none is visible,
            # the similar title words (not an EXISTS query first: see `fuzzy`). Drafts and
            # published strategies alike: which are visible is the index's to say, as for every
            # other filter (see _text_matches()).
            index, visible = self.index, self.index.base(self.include_drafts)
            exact = self._text_matches(fuzzy=False, any_status=True)
            with through_indexes(exact.db, positions=needs_positions(self.query.text)):
                mask = index.text_mask(primary_keys(exact)) & visible
                fuzzy = not mask.any() and _on_postgresql()
                if fuzzy:
                    similar = self._text_matches(fuzzy=True, any_status=True)
                    mask = index.text_mask(primary_keys(similar)) & visible
            if key is not None:  # shared: the keys, for the other workers
                word_matches.write(key, fuzzy, index.pks[unpack(mask, index.size)])
            return fuzzy, mask

        return self.index.remember(
            ("text", self.query.text, self.include_drafts),
            find,
            mend=partial(_mended_text_match, self.query.text, self.include_drafts),
        )

    def _mended_from_earlier_version(self) -> tuple[bool, np.ndarray] | None:
        """The matches another worker shared under an earlier catalogue version, brought up to
        this index's by testing only the strategies written since (PostgreSQL's change log names
        them); None when there are none, or too many were written since."""
        earlier = word_matches.read_latest(self.query.text, self.include_drafts, self.index.version)
        if earlier is None:
            return None
        version, fuzzy, matches = earlier
        if fuzzy:
            return None
        _current, written = CatalogueVersion.changes_since(version)
        if written is None or len(written) > PATCH_LIMIT:
            return None
        return _mended_text_match(
            self.query.text,
            self.include_drafts,
            (False, self.index.text_mask(matches)),
            written,
            self.index,
        )

    def _text_mask(self):
        if not self.query.text:
            return None
        return self._text_match[1]

    @cached_property
    def _ordered_pks(self):
        """The matches' primary keys in the listing order, once per search (an API list counts
        them for its validators, then pages through them)."""
        index = self.index
        mask = index.combine(
            index.base(self.include_drafts), index.selection_masks(self.query, self._text_mask())
        )
        ordering = self.query.effective_ordering
        if ordering != "relevance":
            return index.ordered_pks(mask, ordering)
        candidates = index.ordered_pks(mask, "newest")
        if _on_postgresql() and len(candidates) <= FULL_RANK_LIMIT:
            # The database ranks the strategies that pass every filter.
            ranked = (
                Strategy.objects.filter(pk__in=candidates.tolist())
                .annotate(rank=self._rank_expression())
                .order_by("-rank", F("adoption_date").desc(nulls_last=True), "strategy_id")
                .values_list("pk", flat=True)
            )
            return np.fromiter(ranked, dtype=np.int64, count=len(candidates))
        return candidates

    def _search_query(self) -> SearchQuery:
        return SearchQuery(self.query.text, search_type="websearch", config=TEXT_SEARCH_CONFIG)

    def _rank_expression(self):
        """Relevance: title words weigh more than summary words (the stored vector's weights);
        a misspelling is ranked by how close the title's words come."""
        if self.fuzzy:
            return TrigramWordSimilarity(self.query.text, "title")
        return SearchRank(F("search_vector"), self._search_query())

    def _with_text_annotations(
        self, strategies: models.QuerySet, *, rank: bool = True, snippets: bool = True
    ) -> models.QuerySet:
        """Add `rank` unless told not to (the index engine's rows come already in order, and
        ranking reads each row's word vector), and `raw_snippet` (highlighted summary extract)
        for a word search unless told not to."""
        if not (self.query.text and _on_postgresql()):
            ranked = {"rank": Value(0.0)} if rank else {}
            return strategies.annotate(**ranked, **({"raw_snippet": Value("")} if snippets else {}))
        ranked = {"rank": self._rank_expression()} if rank else {}
        if not snippets:
            return strategies.annotate(**ranked)
        if self.fuzzy:
            # No strategy holds the words (hence similar title words), so a headline would find
            # nothing to mark and show the summary's first words: taken from its opening alone,
            # rather than by parsing every summary whole (about 2 ms a row at the benchmark's).
            opening = models.Func(
                models.Func(F("summary"), Value(1000), function="left"),
                Value("<[^>]*(>|$)"),  # markup, and a tag the cut left open
                Value(" "),
                Value("g"),
                function="regexp_replace",
            )
            return strategies.annotate(**ranked, raw_snippet=_FirstWords(opening, count=12))
        plain_summary = models.Func(
            F("summary"),
            Value("<[^>]+>"),
            Value(" "),
            Value("g"),
            function="regexp_replace",
            output_field=models.TextField(),
        )
        return strategies.annotate(
            **ranked,
            raw_snippet=SearchHeadline(
                plain_summary,
                self._search_query(),
                config=TEXT_SEARCH_CONFIG,
                start_sel=_MARK_START,
                stop_sel=_MARK_STOP,
                max_fragments=2,
                max_words=30,
                min_words=12,
                fragment_delimiter=" … ",
            ),
        )

    def _ordered_by_sql(self, strategies: models.QuerySet) -> models.QuerySet:
        ordering = self.query.effective_ordering
        if ordering == "relevance" and strategies.count() > FULL_RANK_LIMIT:
            ordering = "newest"  # as the index engine does; see FULL_RANK_LIMIT
        newest = (F("adoption_date").desc(nulls_last=True), "strategy_id")
        order_by = {
            "relevance": ("-rank", *newest),
            "newest": newest,
            "oldest": (F("adoption_date").asc(nulls_last=True), "strategy_id"),
            "title": ("title", "strategy_id"),
        }[ordering]
        return strategies.select_related("jurisdiction").order_by(*order_by)

    # -- facets -----------------------------------------------------------------------------

    def facets(self, names: tuple[str, ...] | list[str] = FACETS) -> dict[str, list[FacetValue]]:
        """Counts per facet value, each with the other facets' selections applied."""
        counts = self.facet_counts(names)
        builders = {
            "jurisdiction": self._jurisdiction_facet,
            "region": self._region_facet,
            "crime_type": self._crime_type_facet,
            "article": self._article_facet,
            "issue": self._issue_facet,
            "year": self._year_facet,
        }
        return {name: builders[name](counts[name]) for name in names}

    def facet_counts(self, names=FACETS) -> dict[str, dict[str, int]]:
        """Just the numbers: {facet: {code: count}} for non-zero counts."""
        if self.engine == "index":
            index = self.index
            base = index.base(self.include_drafts)
            masks = index.selection_masks(self.query, self._text_mask())
            return {name: index.counts(name, base, masks) for name in names}
        return {name: self.sql_counts(name) for name in names}

    def sql_counts(self, facet: str) -> dict[str, int]:
        """One facet's counts with plain SQL GROUP BY queries: the reference the index must
        equal, and the baseline the benchmark measures it against."""
        ids = self.filtered(self.query.without(facet)).values("pk")
        if facet == "jurisdiction":
            rows = Strategy.objects.filter(pk__in=ids).values_list("jurisdiction_id")
            return dict(rows.annotate(n=Count("pk")).values_list("jurisdiction_id", "n"))
        if facet == "region":
            counts: dict[str, int] = defaultdict(int)
            for *codes, n in (
                Strategy.objects.filter(pk__in=ids)
                .values_list(
                    "jurisdiction__region__code",
                    "jurisdiction__subregion__code",
                    "jurisdiction__intermediate_region__code",
                )
                .annotate(n=Count("pk"))
            ):
                for code in codes:
                    if code:
                        counts[code] += n
            return dict(counts)
        if facet == "issue":
            # Each tagged leaf counts for itself and every ancestor (its lineage); a strategy
            # tagged twice beneath one node counts once there.
            through = Strategy.cross_cutting_issues.through
            node = "crosscuttingissue__lineage__path"
            return dict(
                through.objects.filter(strategy_id__in=ids)
                .values_list(node)
                .annotate(n=Count("strategy_id", distinct=True))
                .values_list(node, "n")
            )
        if facet == "year":
            rows = (
                Strategy.objects.filter(pk__in=ids, adoption_date__isnull=False)
                .annotate(year=ExtractYear("adoption_date"))
                .values_list("year")
                .annotate(n=Count("pk"))
                .values_list("year", "n")
            )
            return {str(year): n for year, n in rows}
        through, code = _TAGS_BY_CODE[facet]
        rows = through.objects.filter(strategy_id__in=ids).values_list(code)
        return dict(rows.annotate(n=Count("strategy_id")).values_list(code, "n"))

    def tag_codes(self, facet: str, pks) -> dict[int, list[str]]:
        """The codes of the crime types ("crime_type") or articles ("article") each of these
        strategies carries, in no particular order: with the index engine, read from the index's
        bits (no query, and from the same catalogue version as the facets); with the SQL engine,
        one query."""
        if self.engine == "index":
            return self.index.codes_of(facet, pks)
        return tag_codes_by_strategy(*_TAGS_BY_CODE[facet], pks)

    def attach_codes(self, strategies: list) -> None:
        """Set `tag_codes` and `attachment_values` (what the canonical form needs beyond the
        row) on each strategy, as models.attach_codes does: with the index engine the crime
        types and articles come from the index, and of the tags only the issues (whose rows in
        the index hold ancestors too) are queried."""
        known = None
        if self.engine == "index" and strategies:
            pks = [strategy.pk for strategy in strategies]
            order = self.vocabularies.article_order
            known = {
                "crime_types": {
                    pk: sorted(codes) for pk, codes in self.tag_codes("crime_type", pks).items()
                },
                "articles": {
                    pk: sorted(codes, key=lambda code: (order.get(code, len(order)), code))
                    for pk, codes in self.tag_codes("article", pks).items()
                },
            }
        attach_codes(strategies, known)

    def labels(self, name: str):
        """The vocabulary a facet is labelled from, in the current language.

        With the index engine it is read once per language and kept with the index: a change to
        any vocabulary moves the catalogue version (migration 0004), which replaces the index and
        so these labels too.
        """
        if self.engine != "index":
            return VOCABULARY_LABELS[name]()
        key = (name, get_language())
        labels = self.index.labels
        if key not in labels:
            labels[key] = VOCABULARY_LABELS[name]()
        return labels[key]

    def instrument_names(self) -> dict[str, str]:
        """Instrument code to name, under which the article facet is grouped."""
        return self.labels("instrument")

    def _jurisdiction_facet(self, counts: dict[str, int]) -> list[FacetValue]:
        selected = self.query.jurisdiction
        names = self.labels("jurisdiction")
        values = [
            FacetValue(code, names[code], counts.get(code, 0), code in selected)
            for code in set(counts) | selected
            if code in names
        ]
        return sorted(values, key=lambda v: (-v.count, v.label))

    def _region_facet(self, counts: dict[str, int]) -> list[FacetValue]:
        selected = self.query.region
        regions = self.labels("region")
        nodes = {
            pk: FacetValue(code, name, counts.get(code, 0), code in selected)
            for pk, _parent, code, name in regions
        }
        roots = []
        for pk, parent, _code, _name in regions:
            (nodes[parent].children if parent else roots).append(nodes[pk])
        for node in nodes.values():
            node.children.sort(key=lambda v: v.label)
        return _prune(sorted(roots, key=lambda v: v.label))

    def _crime_type_facet(self, counts: dict[str, int]) -> list[FacetValue]:
        selected = self.query.crime_type
        names = self.labels("crime_type")
        values = [
            FacetValue(slug, names[slug], counts.get(slug, 0), slug in selected)
            for slug in set(counts) | selected
            if slug in names
        ]
        return sorted(values, key=lambda v: (-v.count, v.label))

    def _article_facet(self, counts: dict[str, int]) -> list[FacetValue]:
        """Flat, in instrument then numeric order; `group` names the instrument."""
        selected = self.query.article
        return [
            FacetValue(code, title, counts.get(code, 0), code in selected, group=instrument)
            for code, title, instrument in self.labels("article")
            if code in counts or code in selected
        ]

    def _issue_facet(self, counts: dict[str, int]) -> list[FacetValue]:
        """The tree; a node counts the strategies tagged anywhere beneath it, each once."""
        selected = self.query.issue
        nodes: dict[str, FacetValue] = {}
        roots: list[FacetValue] = []
        for path, name in self.labels("issue"):
            node = FacetValue(path, name, counts.get(path, 0), path in selected)
            nodes[path] = node
            parent_path = path.rpartition("/")[0]
            (nodes[parent_path].children if parent_path else roots).append(node)
        return _prune(roots)

    def _year_facet(self, counts: dict[str, int]) -> list[FacetValue]:
        return [FacetValue(year, year, counts[year]) for year in sorted(counts)]


# The tag facets with one code per tag (issues count their ancestors too): the through table
# and the lookup of a tag's code from it.
_TAGS_BY_CODE = {"crime_type": TAG_CODES["crime_types"], "article": TAG_CODES["articles"]}

# What each facet's labels are read from (all columns: a translated field falls back to English).
VOCABULARY_LABELS = {
    "jurisdiction": lambda: {j.code: j.name for j in Jurisdiction.objects.all()},
    "region": lambda: [(r.pk, r.parent_id, r.code, r.name) for r in Region.objects.all()],
    "crime_type": lambda: {c.slug: c.name for c in CrimeType.objects.all()},
    "article": lambda: [
        (a.code, a.title, a.instrument.code)
        for a in Article.objects.in_order().select_related("instrument")
    ],
    "issue": lambda: [(i.path, i.name) for i in CrossCuttingIssue.objects.order_by("position")],
    "instrument": lambda: {i.code: i.name for i in Instrument.objects.all()},
}


def _mended_text_match(text: str, include_drafts: bool, value, written, index):
    """A word search's (fuzzy, mask) of an earlier catalogue version brought up to `index`'s
    by testing only the strategies `written` since against the words: a few rows read by
    primary key, where collecting every match of a phrase again takes about 0.2 s at 100,000
    strategies. None, to have it searched afresh, for similar title words, and when no strategy
    matches the words any more (similar title words may then be wanted)."""
    fuzzy, mask = value
    if fuzzy:
        return None
    search = StrategySearch(StrategyQuery(text=text), include_drafts=include_drafts)
    matching = (
        search._text_matches(fuzzy=False)
        .filter(pk__in=sorted(written))
        .order_by()
        .values_list("pk", flat=True)
    )
    mask = index.mended_mask(mask, written, matching)
    if not mask.any():
        return None
    shared = word_matches.shared_key(index.version, text, include_drafts)
    if shared is not None:
        word_matches.write(shared, False, index.pks[unpack(mask, index.size)])
    return False, mask


class _FirstWords(models.Func):
    """The first `count` words of a text, as ts_headline() shows a text without the words
    searched (its MinWords), joined by single spaces (PostgreSQL)."""

    template = (
        "array_to_string((regexp_split_to_array(regexp_replace(%(expressions)s, '^\\s+', ''), "
        "'\\s+'))[1:%(count)d], ' ')"
    )
    output_field = models.TextField()


class PackedKeys(models.Aggregate):
    """Every primary key of the rows as one bytea of 8-byte big-endian integers (PostgreSQL)."""

    function = "string_agg"
    template = "%(function)s(int8send(%(expressions)s), '')"
    output_field = models.BinaryField()


def primary_keys(strategies: models.QuerySet[Strategy]) -> np.ndarray:
    """The primary keys of `strategies`, unordered, as an array.

    On PostgreSQL they come as one value rather than a row each: turning a common word's 47,000
    rows into Python objects and then into an array cost about 15 ms more at 100,000
    strategies."""
    strategies = strategies.order_by()
    if connections[strategies.db].vendor != "postgresql":
        return np.fromiter(strategies.values_list("pk", flat=True), dtype=np.int64)
    packed = strategies.aggregate(keys=PackedKeys("pk"))["keys"]
    return np.frombuffer(packed or b"", dtype=">i8").astype(np.int64)


class HoldsPairs(Lookup):
    """`phrase_keys` holds the keys of every word pair given ("joint investig", "traffick _
    person"): each pair's 64-bit hash, as migration 0017's strategies_phrase_keys() computes
    it."""

    lookup_name = "holds_pairs"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        hashes = ", ".join(["hashtextextended(%s, 0)"] * len(self.rhs))
        return f"{lhs} @> ARRAY[{hashes}]::bigint[]", [*params, *self.rhs]


class MatchesTsquery(Lookup):
    """A word vector matches a query given as tsquery text, taken as written (not stemmed
    again, as to_tsquery() would)."""

    lookup_name = "matches_tsquery"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} @@ %s::tsquery", [*params, self.rhs]


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


class IndexedResults:
    """An index search's ordered results, used like a queryset by Paginator, pages and exports.

    Holds only the ordered primary keys; slicing or iterating fetches those rows (with their
    snippets if asked for, and whatever was asked for with select_related, prefetch_related,
    with_tags or with_tag_codes) in one query per slice or chunk. Their jurisdictions come from
    the vocabularies this process keeps and, for with_tag_codes, their crime types and articles
    from the index.
    """

    CHAINABLE = {
        "select_related",
        "prefetch_related",
        "with_tags",
        "with_tag_codes",
        "only",
        "defer",
        "annotate",
    }

    def __init__(self, search: StrategySearch, pks, chain: tuple = (), *, snippets: bool = False):
        self.search = search
        self.pks = pks
        self.chain = chain
        self.snippets = snippets

    def __getattr__(self, name):
        if name not in self.CHAINABLE:
            raise AttributeError(name)

        def chained(*args, **kwargs):
            return IndexedResults(
                self.search, self.pks, (*self.chain, (name, args, kwargs)), snippets=self.snippets
            )

        return chained

    def count(self) -> int:
        return len(self.pks)

    def __len__(self) -> int:
        return len(self.pks)

    def exists(self) -> bool:
        return len(self.pks) > 0

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self._fetch(self.pks[key])
        rows = self._fetch(self.pks[key : key + 1] if key >= 0 else self.pks[key:][:1])
        if not rows:
            raise IndexError(key)
        return rows[0]

    def __iter__(self):
        return self.iterator()

    def iterator(self, chunk_size: int = 500):
        for start in range(0, len(self.pks), chunk_size):
            yield from self._fetch(self.pks[start : start + chunk_size])

    def _fetch(self, pks) -> list[Strategy]:
        wanted = [int(pk) for pk in pks]
        if not wanted:
            return []
        strategies = Strategy.objects.filter(pk__in=wanted)
        tag_codes = False
        for name, args, kwargs in self.chain:
            if name == "with_tag_codes":
                # The rows, then their tags' codes, mostly from the index (attach_codes).
                tag_codes = True
                continue
            strategies = getattr(strategies, name)(*args, **kwargs)
        strategies = self.search._with_text_annotations(
            strategies, rank=False, snippets=self.snippets
        )
        by_pk = {strategy.pk: strategy for strategy in strategies}
        # A row deleted since the index was built is simply left out.
        rows = [by_pk[pk] for pk in wanted if pk in by_pk]
        self.search.vocabularies.give_jurisdictions(rows)
        if tag_codes:
            self.search.attach_codes(rows)
        return rows
