"""Exports of any search: CSV and JSON Lines, streamed, in the search's order; errors in JSON."""

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse

from strategies import exporters
from strategies.canonical import to_canonical
from strategies.models import Strategy
from strategies.search import StrategyQuery, StrategySearch

pytestmark = pytest.mark.django_db

CSV = "/api/v1/strategies/export.csv"
JSONL = "/api/v1/strategies/export.jsonl"


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")


def test_json_lines_of_a_filtered_search_in_its_order(api, catalogue):
    response = api.get(JSONL, {"crime_type": "drugs", "ordering": "title"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="strategies-')
    records = [json.loads(line) for line in body(response).splitlines()]
    expected = StrategySearch(StrategyQuery(crime_type=frozenset({"drugs"}), ordering="title"))
    assert [r["strategy_id"] for r in records] == [s.strategy_id for s in expected.results()]
    first = Strategy.objects.with_tags().get(strategy_id=records[0]["strategy_id"])
    assert records[0] == to_canonical(first)


def test_csv_of_a_filtered_search(api, catalogue):
    response = api.get(CSV, {"region": "150", "lang": "fr"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Language"] == "fr"
    rows = list(csv.DictReader(io.StringIO(body(response).removeprefix("\ufeff"))))
    assert [row["strategy_id"] for row in rows] == ["DEU0001s", "FRA0001s", "GBR0002s", "GBR0001s"]
    assert tuple(rows[0]) == exporters.CSV_COLUMNS
    # The public page of the strategy, in the language of the export.
    assert rows[0]["url"] == "http://testserver/fr/strategies/DEU0001s/"
    assert rows[0]["region"] == "Europe"


def test_an_export_fetches_rows_in_chunks(api, catalogue, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(exporters, "EXPORT_CHUNK", 2)
    body(api.get(JSONL))  # builds the facet index and reads the vocabularies
    response = api.get(JSONL)
    # Six strategies, two at a time: three chunks of a row query, their attachments and their
    # issues (crime types and articles come from the index), and one read of the catalogue
    # version (the vocabularies, from which the rows take their jurisdictions).
    with django_assert_num_queries(3 * 3 + 1):
        lines = body(response).splitlines()
    assert len(lines) == 6


def test_a_bad_filter_is_a_json_400_whatever_the_accept_header(api, catalogue):
    response = api.get(CSV, {"crime_type": "nope"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == ["crime_type"]
