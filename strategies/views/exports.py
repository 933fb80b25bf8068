"""Downloads of a search's results: CSV for spreadsheets, canonical JSON Lines for programs.

An export URL takes the search page's query string, so "export these results" is the search URL
with another path. The rows are streamed: nothing builds the whole file in memory.
"""

from collections.abc import Iterable

from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_safe

from ..exporters import canonical_json_lines, csv_lines, in_language
from .common import search_from_params


def invalid_parameters(filterset) -> HttpResponseBadRequest:
    """400 naming each parameter that was not understood and why, as plain text."""
    return HttpResponseBadRequest(
        "\n".join(filterset.error_messages()) + "\n", content_type="text/plain; charset=utf-8"
    )


def _download(lines: Iterable[str], content_type: str, extension: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        in_language(lines, translation.get_language()), content_type=content_type
    )
    filename = f"strategies-{timezone.localdate().isoformat()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def export_csv(request):
    filterset, search = search_from_params(request.GET)
    if filterset.errors:
        return invalid_parameters(filterset)

    def page_url(strategy_id: str) -> str:
        return request.build_absolute_uri(reverse("strategies:detail", args=[strategy_id]))

    return _download(
        csv_lines(search.results(), page_url), "text/csv; charset=utf-8", extension="csv"
    )


@require_safe
def export_jsonl(request):
    filterset, search = search_from_params(request.GET)
    if filterset.errors:
        return invalid_parameters(filterset)
    return _download(
        canonical_json_lines(search.results()),
        "application/jsonl; charset=utf-8",
        extension="jsonl",
    )
