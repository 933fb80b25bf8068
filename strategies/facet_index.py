"""An in-process bitmap index of the catalogue for fast disjunctive facet counts.

Each strategy gets a position; each facet value (a jurisdiction, a region at any level, a crime
type, an article, a node of the cross-cutting tree with everything beneath it, an adoption year)
is a row of bits over those positions, packed into uint64 words. A filter is then an OR of rows
within a facet and an AND across facets, and a facet's counts are popcounts of its rows ANDed
with the other facets' mask: a few milliseconds for 100,000 strategies, where GROUP BY queries
take hundreds.

The index is built from the database and kept current as the catalogue changes. Database
triggers (migrations 0004, 0011 and 0013) move `strategies_catalogueversion` on every write to
strategies, their tags and the vocabularies, from any process; each search reads that one number
(a primary-key lookup). When it moved, the index is patched: on PostgreSQL a change log
(migration 0012) names the strategies written since the index's version, and only those are read
again. A vocabulary write, a very large one, or SQLite (which keeps no log) builds it afresh. SQL
stays in charge of full-text matching and of fetching the page of rows; tests compare the index
with plain SQL counts, patched and built.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.db import connections, router
from django.db.models import Max

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from .models import TAG_TABLES, CatalogueVersion, Status, Strategy
from .versioned import KeptPerVersion

logger = logging.getLogger(__name__)

# Word searches whose matches an index keeps (a bitmap each: 12.5 KB per 100,000 strategies).
REMEMBERED = 64
# Adoption dates as day ordinals; strategies without one get this and match no date range.
NO_DATE = -1


@dataclass
class FacetRows:
    """One facet's values as rows of packed bits."""

    codes: list[str]
    bits: np.ndarray  # shape (len(codes), words), uint64

    def __post_init__(self):
        self.row_of = {code: row for row, code in enumerate(self.codes)}

    def union(self, codes, words: int) -> np.ndarray:
        rows = [self.row_of[code] for code in codes if code in self.row_of]
        if not rows:
            return np.zeros(words, dtype=np.uint64)
        return np.bitwise_or.reduce(self.bits[rows], axis=0)

    def counts(self, mask: np.ndarray) -> dict[str, int]:
        totals = np.bitwise_count(self.bits & mask).sum(axis=1)
        return {code: int(n) for code, n in zip(self.codes, totals, strict=True) if n}


def _pack(flags: np.ndarray) -> np.ndarray:
    """Bool array(s) over positions -> packed uint64 words (last axis)."""
    padded = -flags.shape[-1] % 64
    if padded:
        pad = [(0, 0)] * (flags.ndim - 1) + [(0, padded)]
        flags = np.pad(flags, pad)
    return np.packbits(flags, axis=-1, bitorder="little").view(np.uint64)


def unpack(words: np.ndarray, size: int) -> np.ndarray:
    """Packed uint64 words -> one bool per position (the first `size`)."""
    return np.unpackbits(words.view(np.uint8), bitorder="little")[:size].astype(bool)


def _rows_from_pairs(
    codes: list[str], pairs_by_code: dict[str, np.ndarray], size: int
) -> FacetRows:
    flags = np.zeros((len(codes), size), dtype=bool)
    for row, code in enumerate(codes):
        positions = pairs_by_code.get(code)
        if positions is not None and len(positions):
            flags[row, positions] = True
    return FacetRows(codes, _pack(flags))


def _bits(positions: np.ndarray) -> np.ndarray:
    """Each position's bit within its uint64 word."""
    return np.left_shift(np.uint64(1), (positions & 63).astype(np.uint64))


def _patched_rows(rows: FacetRows, words: int, clear: np.ndarray, pairs) -> FacetRows:
    """`rows` over `words` words, with the positions whose bits are in `clear` emptied and then
    the (code, position) pairs set. A code without a row gets one, in sorted order (the issue
    tree's rows are fixed by the vocabulary: FacetIndex.patched checks its codes first)."""
    bits = np.zeros((len(rows.codes), words), dtype=np.uint64)
    bits[:, : rows.bits.shape[1]] = rows.bits
    bits &= ~clear
    codes = rows.codes
    missing = {code for code, _ in pairs} - rows.row_of.keys()
    if missing:
        codes = sorted([*codes, *missing])
        row_of = {code: row for row, code in enumerate(codes)}
        grown = np.zeros((len(codes), words), dtype=np.uint64)
        grown[[row_of[code] for code in rows.codes]] = bits
        bits = grown
    patched = FacetRows(codes, bits)
    if pairs:
        positions = np.fromiter((position for _, position in pairs), np.int64, len(pairs))
        value_rows = np.fromiter((patched.row_of[code] for code, _ in pairs), np.int64, len(pairs))
        np.bitwise_or.at(bits, (value_rows, positions >> 6), _bits(positions))
    return patched


# The columns of a strategy the index holds, as values_list() reads them.
STRATEGY_COLUMNS = ("pk", "strategy_id", "jurisdiction_id", "adoption_date", "status", "synthetic")
# Each tag facet and the kind of tag it counts (models.TAG_TABLES).
TAG_FACETS = {"crime_type": "crime_types", "article": "articles", "issue": "issues"}
# A write to more strategies than this is read by a full rebuild rather than a patch.
PATCH_LIMIT = 5000


class FacetIndex:
    def __init__(self, version: int):
        self.version = version
        self.built_in = 0.0
        self.how = "built"  # or "patched"
        # Facet labels per (facet, language), filled by StrategySearch as pages ask for them.
        self.labels: dict[tuple[str, str], object] = {}
        # Listing orders, computed when first asked for (see order()).
        self._orders: dict[str, np.ndarray] = {}
        # Results of recent word searches (see remember()): key -> (value, mend).
        self._remembered: OrderedDict = OrderedDict()
        self._remembered_lock = threading.Lock()
        # Results remembered by the indexes this one was patched from, not yet asked for here:
        # key -> (value, pks written since its index, mend).
        self._carried: OrderedDict = OrderedDict()
        # Each facet's counts over all published (or all) strategies, computed when first asked
        # for (see counts()): (facet, include_drafts) -> counts.
        self._unfiltered: dict[tuple[str, bool], dict[str, int]] = {}

    # -- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, version: int) -> FacetIndex:
        started = time.perf_counter()
        index = cls(version)
        rows = list(Strategy.objects.order_by("pk").values_list(*STRATEGY_COLUMNS))
        size = len(rows)
        index.size = size
        index.words = (size + 63) // 64
        index.pks = np.fromiter((r[0] for r in rows), dtype=np.int64, count=size)
        index.strategy_ids = np.array([r[1] for r in rows], dtype=str)
        index.dates = np.fromiter(
            (r[3].toordinal() if r[3] else NO_DATE for r in rows), dtype=np.int32, count=size
        )
        # Positions that hold a strategy: a patch leaves deleted ones' positions empty.
        index.present = np.ones(size, dtype=bool)
        index.published_flags = np.fromiter(
            (r[4] == Status.PUBLISHED for r in rows), dtype=bool, count=size
        )
        index.synthetic_flags = np.fromiter((r[5] for r in rows), dtype=bool, count=size)
        index._pack_flags()

        # Jurisdictions, and regions at every level through them.
        jurisdiction_codes = sorted({r[2] for r in rows})
        jurisdiction_of = np.array(
            [jurisdiction_codes.index(r[2]) for r in rows] if size else [], dtype=np.int32
        )
        by_jurisdiction = {
            code: np.flatnonzero(jurisdiction_of == i) for i, code in enumerate(jurisdiction_codes)
        }
        index.facets = {
            "jurisdiction": _rows_from_pairs(jurisdiction_codes, by_jurisdiction, size),
        }
        index.regions_of = {
            code: [c for c in (region, subregion, intermediate) if c]
            for code, region, subregion, intermediate in Jurisdiction.objects.values_list(
                "code", "region__code", "subregion__code", "intermediate_region__code"
            )
        }
        by_region: dict[str, list[np.ndarray]] = {}
        for code, positions in by_jurisdiction.items():
            for region in index.regions_of.get(code, []):
                by_region.setdefault(region, []).append(positions)
        index.facets["region"] = _rows_from_pairs(
            sorted(by_region), {k: np.concatenate(v) for k, v in by_region.items()}, size
        )

        # Tags: one query per through table, grouped per value.
        index.tag_codes = {
            "crime_type": dict(CrimeType.objects.values_list("pk", "slug")),
            "article": dict(Article.objects.values_list("pk", "code")),
            "issue": dict(CrossCuttingIssue.objects.values_list("pk", "path")),
        }
        for facet, kind in TAG_FACETS.items():
            through, column = TAG_TABLES[kind]
            rows_of_tags = index._tag_rows(through, column, index.tag_codes[facet])
            if facet == "issue":
                rows_of_tags = index._issue_rows(rows_of_tags)
            index.facets[facet] = rows_of_tags

        years = np.fromiter((r[3].year if r[3] else 0 for r in rows), dtype=np.int32, count=size)
        year_codes = sorted({int(y) for y in years if y})
        index.facets["year"] = _rows_from_pairs(
            [str(y) for y in year_codes],
            {str(y): np.flatnonzero(years == y) for y in year_codes},
            size,
        )
        # For HTTP Last-Modified: deleting a strategy also stamps it, so count deleted rows too.
        index.last_modified = Strategy.all_objects.aggregate(latest=Max("updated_at"))["latest"]
        index.built_in = time.perf_counter() - started
        logger.info("facet index of %d strategies built in %.2f s", size, index.built_in)
        return index

    def nbytes(self) -> int:
        """The size of the index's arrays (orders included once computed)."""
        arrays = [
            self.pks, self.strategy_ids, self.dates, self.present, self.published_flags,
            self.synthetic_flags, self.everything, self.published, *self._orders.values(),
        ]  # fmt: skip
        return sum(rows.bits.nbytes for rows in self.facets.values()) + sum(
            array.nbytes for array in arrays
        )

    def _pack_flags(self) -> None:
        self.everything = _pack(self.present)
        self.published = _pack(self.published_flags & self.present)
        self.synthetic_published = int(
            np.count_nonzero(self.synthetic_flags & self.published_flags & self.present)
        )

    def patched(self, version: int, changed: set[int]) -> FacetIndex | None:
        """A copy of this index with the strategies `changed` read again, labelled `version`.

        New strategies take positions at the end and deleted ones leave theirs empty, so every
        other position, and every bit, stays where it is. None when that cannot be: a new
        strategy whose pk is below the highest known (its writer committed late), too many
        changes (a rebuild is then as quick), or an issue the index has no row for.
        """
        if len(changed) > PATCH_LIMIT:
            return None
        started = time.perf_counter()
        pks = np.array(sorted(changed), dtype=np.int64)
        rows = list(
            Strategy.all_objects.filter(pk__in=pks.tolist())
            .order_by("pk")
            .values_list(*STRATEGY_COLUMNS, "deleted_at", "updated_at")
        )
        live = [r for r in rows if r[6] is None]
        new_pks = np.array([r[0] for r in live], dtype=np.int64)
        new_pks = new_pks[~np.isin(new_pks, self.pks)]
        if len(new_pks) and self.size and new_pks[0] < self.pks[-1]:
            return None

        index = FacetIndex(version)
        index.how = "patched"
        index.labels = dict(self.labels)
        index.regions_of, index.tag_codes = self.regions_of, self.tag_codes
        index.size = self.size + len(new_pks)
        index.words = (index.size + 63) // 64
        index.pks = np.concatenate([self.pks, new_pks])
        added = len(new_pks)
        # Wide enough for every ID (numpy cuts strings longer than its array's width).
        width = max([self.strategy_ids.dtype.itemsize // 4, *(len(r[1]) for r in live)])
        index.strategy_ids = np.concatenate(
            [self.strategy_ids, np.full(added, "", dtype=str)]
        ).astype(f"<U{width}")
        index.dates = np.concatenate([self.dates, np.full(added, NO_DATE, dtype=np.int32)])
        for flags in ("present", "published_flags", "synthetic_flags"):
            setattr(index, flags, np.concatenate([getattr(self, flags), np.zeros(added, bool)]))

        # Every changed strategy's position is emptied, then the live ones are filled again.
        positions = index._positions(pks)
        for flags in (index.present, index.published_flags, index.synthetic_flags):
            flags[positions] = False
        index.dates[positions] = NO_DATE
        clear = np.zeros(index.words, dtype=np.uint64)
        np.bitwise_or.at(clear, positions >> 6, _bits(positions))

        pairs: dict[str, list[tuple[str, int]]] = {facet: [] for facet in self.facets}
        live_positions = index._positions(np.array([r[0] for r in live], dtype=np.int64))
        position_of = dict(zip((r[0] for r in live), live_positions.tolist(), strict=True))
        try:
            for (_pk, strategy_id, jurisdiction, adopted, status, synthetic, *_), position in zip(
                live, live_positions.tolist(), strict=True
            ):
                index.strategy_ids[position] = strategy_id
                index.present[position] = True
                index.published_flags[position] = status == Status.PUBLISHED
                index.synthetic_flags[position] = synthetic
                pairs["jurisdiction"].append((jurisdiction, position))
                pairs["region"].extend(
                    (region, position) for region in self.regions_of[jurisdiction]
                )
                if adopted:
                    index.dates[position] = adopted.toordinal()
                    pairs["year"].append((str(adopted.year), position))
            for facet, kind in TAG_FACETS.items():
                through, column = TAG_TABLES[kind]
                code_of = self.tag_codes[facet]
                tags = through.objects.filter(strategy_id__in=list(position_of))
                for value, pk in tags.values_list(column, "strategy_id"):
                    if facet == "issue":
                        # A node counts the strategies tagged with it or with anything beneath it.
                        parts = code_of[value].split("/")
                        pairs[facet].extend(
                            ("/".join(parts[:depth]), position_of[pk])
                            for depth in range(1, len(parts) + 1)
                        )
                    else:
                        pairs[facet].append((code_of[value], position_of[pk]))
        except KeyError:
            # A jurisdiction or tag value written since the vocabularies were read.
            return None
        if not {code for code, _ in pairs["issue"]} <= self.facets["issue"].row_of.keys():
            return None
        index.facets = {
            facet: _patched_rows(rows_of_facet, index.words, clear, pairs[facet])
            for facet, rows_of_facet in self.facets.items()
        }
        index._pack_flags()
        index._carried = self._carried_over(changed)
        # Date orders are mended where they were computed; the title order (the database's
        # collation) is computed again when next asked for.
        for name in ("newest", "oldest"):
            if name in self._orders:
                index._orders[name] = index._mended_order(self._orders[name], name, positions)
        stamps = [r[7] for r in rows if r[7] is not None]
        index.last_modified = max(
            (stamp for stamp in [self.last_modified, *stamps] if stamp is not None), default=None
        )
        index.built_in = time.perf_counter() - started
        logger.info(
            "facet index patched with %d strategies in %.3f s", len(changed), index.built_in
        )
        return index

    def _positions(self, pks: np.ndarray) -> np.ndarray:
        found = np.searchsorted(self.pks, pks)
        found = np.clip(found, 0, max(self.size - 1, 0))
        return found[self.pks[found] == pks] if self.size else found[:0]

    def _tag_rows(self, through, column: str, code_of: dict[int, str]) -> FacetRows:
        # The database the strategies were read from (a replica, for public pages).
        connection = connections[router.db_for_read(through)]
        table = connection.ops.quote_name(through._meta.db_table)
        grouped: dict[str, np.ndarray] = {}
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One row per value with its strategies as an array: far fewer rows to move.
                cursor.execute(
                    f'SELECT "{column}", array_agg("strategy_id") FROM {table} GROUP BY 1'
                )
                for value, strategy_pks in cursor.fetchall():
                    grouped[code_of[value]] = self._positions(np.array(strategy_pks, np.int64))
            else:
                cursor.execute(f'SELECT "{column}", "strategy_id" FROM {table}')
                pairs = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 2)
                for value in np.unique(pairs[:, 0]):
                    grouped[code_of[int(value)]] = self._positions(
                        np.sort(pairs[pairs[:, 0] == value, 1])
                    )
        return _rows_from_pairs(sorted(grouped), grouped, self.size)

    def _issue_rows(self, leaves: FacetRows) -> FacetRows:
        """Every node's row is the OR of the tagged nodes beneath it (and itself)."""
        paths = list(CrossCuttingIssue.objects.order_by("path").values_list("path", flat=True))
        bits = np.zeros((len(paths), self.words), dtype=np.uint64)
        row_of = {path: row for row, path in enumerate(paths)}
        for path, leaf_row in leaves.row_of.items():
            parts = path.split("/")
            for depth in range(1, len(parts) + 1):
                bits[row_of["/".join(parts[:depth])]] |= leaves.bits[leaf_row]
        return FacetRows(paths, bits)

    # -- querying -------------------------------------------------------------------------

    def remember(self, key, compute, mend=None):
        """compute(), or its result for the same key since this index was built (the last
        REMEMBERED keys, most recently used kept). Results must be derived from the catalogue
        as of this index's version: a write replaces the index, and these with it.

        With `mend`, a result also outlives writes that the index is patched with: the patched
        index carries it, with the primary keys of the strategies written since, and the first
        time the key is asked for there, `mend(value, written, index)` brings it up to date
        (reading again only what was written), or returns None to have it computed afresh.
        """
        with self._remembered_lock:
            if key in self._remembered:
                self._remembered.move_to_end(key)
                return self._remembered[key][0]
            carried = self._carried.pop(key, None)
        value = None
        if carried is not None:
            old, written, carried_mend = carried
            value = carried_mend(old, written, self)
        if value is None:
            value = compute()
        with self._remembered_lock:
            self._remembered[key] = (value, mend)
            while len(self._remembered) > REMEMBERED:
                self._remembered.popitem(last=False)
        return value

    def _carried_over(self, changed: set[int]) -> OrderedDict:
        """What an index patched from this one with the strategies `changed` carries of this
        one's results: those with a mend, and those this index carried and was not asked for
        (up to PATCH_LIMIT strategies written since, beyond which mending is no quicker), the
        most recently used last."""
        written = frozenset(changed)
        carried: OrderedDict = OrderedDict()
        with self._remembered_lock:
            for key, (value, since, mend) in self._carried.items():
                if len(since) + len(written) <= PATCH_LIMIT:
                    carried[key] = (value, since | written, mend)
            for key, (value, mend) in self._remembered.items():
                if mend is not None:
                    carried[key] = (value, written, mend)
        while len(carried) > REMEMBERED:
            carried.popitem(last=False)
        return carried

    def forget_remembered(self) -> None:
        """Drop what remember() kept (the benchmark times word searches cold)."""
        with self._remembered_lock:
            self._remembered.clear()
            self._carried.clear()

    def mended_mask(self, mask: np.ndarray, written, matching) -> np.ndarray:
        """A mask of an index this one was patched from (`mask`, perhaps over fewer positions)
        with the positions of the strategies `written` since set as `matching` says (the pks
        among them that now match)."""
        mended = np.zeros(self.words, dtype=np.uint64)
        mended[: len(mask)] = mask
        positions = self._positions(np.sort(np.fromiter(written, dtype=np.int64)))
        np.bitwise_and.at(mended, positions >> 6, ~_bits(positions))
        positions = self._positions(np.sort(np.fromiter(matching, dtype=np.int64)))
        np.bitwise_or.at(mended, positions >> 6, _bits(positions))
        return mended

    def base(self, include_drafts: bool) -> np.ndarray:
        return self.everything if include_drafts else self.published

    def text_mask(self, pks) -> np.ndarray:
        keys = pks if isinstance(pks, np.ndarray) else np.fromiter(pks, dtype=np.int64)
        flags = np.zeros(self.size, dtype=bool)
        flags[self._positions(np.sort(keys))] = True
        return _pack(flags)

    def date_mask(self, adopted_from, adopted_to) -> np.ndarray | None:
        if not adopted_from and not adopted_to:
            return None
        flags = self.dates != NO_DATE
        if adopted_from:
            flags &= self.dates >= adopted_from.toordinal()
        if adopted_to:
            flags &= self.dates <= adopted_to.toordinal()
        return _pack(flags)

    def selection_masks(self, query, text_mask=None) -> dict[str, np.ndarray]:
        """The mask each facet's selection contributes ("year" for the date range)."""
        masks = {}
        for facet in ("jurisdiction", "region", "crime_type", "article", "issue"):
            selected = getattr(query, facet)
            if selected:
                masks[facet] = self.facets[facet].union(selected, self.words)
        dates = self.date_mask(query.adopted_from, query.adopted_to)
        if dates is not None:
            masks["year"] = dates
        if text_mask is not None:
            masks["text"] = text_mask
        return masks

    @staticmethod
    def combine(base: np.ndarray, masks: dict[str, np.ndarray], without: str = "") -> np.ndarray:
        combined = base
        for facet, mask in masks.items():
            if facet != without:
                combined = combined & mask
        return combined

    def counts(self, facet: str, base: np.ndarray, masks: dict[str, np.ndarray]) -> dict[str, int]:
        mask = self.combine(base, masks, without=facet)
        if mask is not base:
            return self.facets[facet].counts(mask)
        # Nothing selected in the other facets: the counts every such request shows, e.g. the
        # jurisdictions beside a jurisdiction's results. Kept with the index (a patch makes a
        # new one), as popcounts over every strategy are the largest part of a page's counts.
        key = (facet, base is self.everything)
        unfiltered = self._unfiltered.get(key)
        if unfiltered is None:
            unfiltered = self._unfiltered[key] = self.facets[facet].counts(base)
        return dict(unfiltered)

    def codes_of(self, facet: str, pks) -> dict[int, list[str]]:
        """Each of `pks`'s values in one facet, read from its bits (codes in the facet's row
        order): the tags of a page of results without a query. A strategy the index does not
        hold has none."""
        pks = np.asarray(pks, dtype=np.int64)
        result: dict[int, list[str]] = {int(pk): [] for pk in pks}
        positions = self._positions(pks)
        rows = self.facets[facet]
        tagged = rows.bits[:, positions >> 6] & _bits(positions)
        for row, column in zip(*np.nonzero(tagged), strict=True):
            result[int(self.pks[positions[column]])].append(rows.codes[row])
        return result

    def order(self, name: str) -> np.ndarray:
        """The positions in a listing order ("newest", "oldest", "title"), ties broken by
        strategy ID; computed when first asked for, so that a patch costs none of them."""
        order = self._orders.get(name)
        if order is None:
            order = self._orders[name] = self._compute_order(name)
        return order

    def _compute_order(self, name: str) -> np.ndarray:
        if name == "title":
            # Titles sort as the database collates them.
            pks = Strategy.objects.order_by("title", "strategy_id").values_list("pk", flat=True)
            listed = self._positions(np.fromiter(pks, dtype=np.int64))
            # Positions the query did not list (empty ones, or deleted since) go last.
            unlisted = np.setdiff1d(np.arange(self.size), listed, assume_unique=True)
            return np.concatenate([listed, unlisted])
        id_rank = np.argsort(np.argsort(self.strategy_ids, kind="stable"), kind="stable")
        undated = self.dates == NO_DATE
        dates = self.dates.astype(np.int64)
        return np.lexsort((id_rank, -dates if name == "newest" else dates, undated))

    def _order_key(self, name: str):
        """The sort key of a position in a date order, as _compute_order sorts."""
        dates, ids, sign = self.dates, self.strategy_ids, -1 if name == "newest" else 1

        def key(position):
            return (dates[position] == NO_DATE, sign * int(dates[position]), str(ids[position]))

        return key

    def _mended_order(self, order: np.ndarray, name: str, changed: np.ndarray) -> np.ndarray:
        """A date order of an earlier index with the `changed` positions taken out and the
        present ones put back where their new dates and IDs go (a binary search each)."""
        kept = order[~np.isin(order, changed)]
        key = self._order_key(name)
        moved = sorted((p for p in changed.tolist() if self.present[p]), key=key)
        at = [bisect.bisect_left(kept, key(p), key=key) for p in moved]
        return np.insert(kept, at, moved)

    def ordered_pks(self, mask: np.ndarray, ordering: str) -> np.ndarray:
        order = self.order(ordering)
        matching = unpack(mask, self.size)
        return self.pks[order[matching[order]]]


def current_index() -> FacetIndex:
    """The index for the catalogue as it is now; patched or rebuilt when the version moved."""
    return _kept.get()


def _updated(index: FacetIndex | None) -> FacetIndex:
    """`index` patched with what was written since its version, or a fresh build."""
    if index is not None:
        version, changed = CatalogueVersion.changes_since(index.version)
        if changed is not None:
            patched = index.patched(version, changed)
            if patched is not None:
                return patched
    # The version is read before the rows: whatever the build misses has a higher number.
    return FacetIndex.build(CatalogueVersion.current())


_kept: KeptPerVersion[FacetIndex] = KeptPerVersion(_updated)


@dataclass(frozen=True)
class _SyntheticCount:
    version: int
    count: int


_synthetic_count = KeptPerVersion(
    lambda _previous: _SyntheticCount(
        CatalogueVersion.current(),
        Strategy.objects.filter(synthetic=True, status=Status.PUBLISHED).count(),
    )
)


def published_synthetic_count() -> int:
    """How many synthetic strategies the public catalogue shows, as of the current version.

    Every page states it, so it must cost next to nothing: the index knows it, and when this
    process has no index of the current version (an admin page, say) it is counted once per
    version.
    """
    version = CatalogueVersion.current()
    index = _kept.peek()
    if index is not None and index.version == version:
        return index.synthetic_published
    return _synthetic_count.get(version).count


def forget_index() -> None:
    """Drop this process's index (tests that rebuild the database use this)."""
    _kept.forget()
    _synthetic_count.forget()
