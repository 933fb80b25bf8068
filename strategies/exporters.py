"""Strategies out of the catalogue: canonical JSON Lines and CSV rows, streamed.

Every function here fetches rows and their tags in chunks (`.iterator(chunk_size=…)` with the
tag codes of `with_tag_codes()`), so an export of the whole catalogue never holds it all in memory.
The order is the caller's: the export command asks for strategy-ID order, a search export keeps
the search's order.
"""

import csv
from collections.abc import Callable, Iterable, Iterator

from django.db.models import QuerySet
from django.utils import translation

from .canonical import to_canonical, to_json_line
from .models import Strategy

EXPORT_CHUNK = 500

CSV_COLUMNS = (
    "strategy_id",
    "title",
    "jurisdiction",
    "jurisdiction_name",
    "region",
    "adoption_date",
    "language",
    "crime_types",
    "articles",
    "cross_cutting_issues",
    "source_url",
    "url",
)
# Joins the codes of a multi-valued field in one CSV cell.
CSV_LIST_SEPARATOR = "; "
# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Without a byte order mark, spreadsheet programs read UTF-8 CSV as a legacy code page and
# garble every non-Latin title; CSV readers that know UTF-8 skip it ("utf-8-sig").
CSV_BYTE_ORDER_MARK = "\ufeff"


def _in_chunks(strategies: QuerySet[Strategy]) -> Iterator[Strategy]:
    """The strategies with their tags, in the queryset's order, `EXPORT_CHUNK` rows at a time."""
    return strategies.with_tag_codes().iterator(chunk_size=EXPORT_CHUNK)


def canonical_json_lines(strategies: QuerySet[Strategy]) -> Iterator[str]:
    """One canonical JSON line per strategy, in the queryset's own order."""
    for strategy in _in_chunks(strategies):
        yield to_json_line(strategy)


def strategy_json_lines(queryset: QuerySet[Strategy] | None = None) -> Iterator[str]:
    """One line per strategy in strategy-ID order, which export -> import -> export relies on
    to be byte-identical."""
    queryset = Strategy.objects.all() if queryset is None else queryset
    return canonical_json_lines(queryset.order_by("strategy_id"))


def guard_formula(value: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet would otherwise evaluate."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


class _Line:
    """A file-like object whose write() hands back the line, so csv.writer can feed a stream."""

    def write(self, line: str) -> str:
        return line


def csv_lines(strategies: QuerySet[Strategy], page_url: Callable[[str], str]) -> Iterator[str]:
    """The CSV export, line by line: a header, then one row per strategy in the queryset's order.

    Codes (jurisdiction, crime types, articles, issue paths) are the stable identifiers; the
    jurisdiction's and region's names are in the active language. `page_url(strategy_id)` gives
    the absolute URL of a strategy's page.
    """
    writer = csv.writer(_Line())
    yield CSV_BYTE_ORDER_MARK + writer.writerow(CSV_COLUMNS)
    for strategy in _in_chunks(strategies.select_related("jurisdiction__region")):
        yield writer.writerow(guard_formula(cell) for cell in _csv_row(strategy, page_url))


def _csv_row(strategy: Strategy, page_url: Callable[[str], str]) -> Iterable[str]:
    # The canonical form already puts every list in its fixed order.
    canonical = to_canonical(strategy)
    jurisdiction = strategy.jurisdiction
    return (
        strategy.strategy_id,
        strategy.title,
        jurisdiction.code,
        jurisdiction.name,
        jurisdiction.region.name if jurisdiction.region else "",
        canonical["adoption_date"] or "",
        strategy.language,
        CSV_LIST_SEPARATOR.join(canonical["crime_types"]),
        CSV_LIST_SEPARATOR.join(canonical["articles"]),
        CSV_LIST_SEPARATOR.join(canonical["cross_cutting_issues"]),
        strategy.source_url,
        page_url(strategy.strategy_id),
    )


def in_language(lines: Iterable[str], language: str) -> Iterator[str]:
    """Produce `lines` in `language`: a streamed body is produced after its view has returned,
    so it must keep the request's language for the localised names and URLs in it."""
    with translation.override(language):
        yield from lines
