"""Export strategies as canonical JSON Lines, streamed in strategy-ID order."""

from collections.abc import Iterator

from django.db.models import QuerySet

from .canonical import to_json_line
from .models import Strategy

EXPORT_CHUNK = 500


def strategy_json_lines(queryset: QuerySet[Strategy] | None = None) -> Iterator[str]:
    """One line per strategy; rows and their tags are fetched in chunks, never all at once."""
    queryset = Strategy.objects.all() if queryset is None else queryset
    for strategy in queryset.with_tags().order_by("strategy_id").iterator(chunk_size=EXPORT_CHUNK):
        yield to_json_line(strategy)
