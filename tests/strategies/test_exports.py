"""CSV and JSON Lines exports of a search: filters, order, streaming, and what must never leak."""

import csv
import datetime
import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from strategies import exporters
from strategies.canonical import to_json_line
from strategies.exporters import CSV_COLUMNS, guard_formula
from strategies.models import Strategy
from strategies.search import StrategyQuery, StrategySearch
from strategies.services import AttachmentData

from .factories import make_strategy

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def catalogue():
    make_strategy(
        "GBR0007s",
        title="Serious and Organised Crime Strategy",
        status="published",
        adoption_date=D(2018, 11, 1),
        crime_types=["drugs", "corruption"],
        articles=["UNTOC-11", "UNTOC-5", "TIP-9"],
        cross_cutting_issues=[
            "prevention/risk-factors",
            "investigation/measures/identify-trace-freeze-seize",
        ],
        source_url="https://www.gov.uk/soc-strategy",
    )
    make_strategy(
        "FRA0001s",
        title="Stratégie nationale",
        status="published",
        adoption_date=D(2020, 6, 1),
        language="fr",
        crime_types=["cybercrime"],
        articles=["UNTOC-5"],
    )
    make_strategy(
        "ZAF0001s",
        title='=HYPERLINK("https://evil.example","click")',
        status="published",
        adoption_date=D(2019, 1, 1),
        crime_types=["drugs"],
        source_url="https://example.org/+plan",
    )
    make_strategy("SADC0001s", title="@Regional strategy", status="published")
    make_strategy(
        "GBR0008s",
        title="Unpublished draft",
        status="draft",
        adoption_date=D(2024, 1, 1),
        crime_types=["drugs"],
    )


def read_csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # so that spreadsheet programs read it as UTF-8
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def read_jsonl(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


@pytest.mark.parametrize(
    ("url", "content_type", "extension"),
    [
        ("/strategies/export.csv", "text/csv; charset=utf-8", "csv"),
        ("/strategies/export.jsonl", "application/jsonl; charset=utf-8", "jsonl"),
    ],
)
def test_exports_are_streamed_attachments_named_by_date(
    client, catalogue, url, content_type, extension
):
    response = client.get(url)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == content_type
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="strategies-{today}.{extension}"'
    )


def test_csv_has_one_row_per_published_strategy_in_the_searchs_order(client, catalogue):
    rows = read_csv(client.get("/strategies/export.csv"))
    # The search's default order: newest adoption first, undated last.
    assert [row["strategy_id"] for row in rows] == ["FRA0001s", "ZAF0001s", "GBR0007s", "SADC0001s"]
    gbr = rows[2]
    assert gbr == {
        "strategy_id": "GBR0007s",
        "title": "Serious and Organised Crime Strategy",
        "jurisdiction": "GBR",
        "jurisdiction_name": "United Kingdom",
        "region": "Europe",
        "adoption_date": "2018-11-01",
        "language": "en",
        "crime_types": "corruption; drugs",
        "articles": "UNTOC-5; UNTOC-11; TIP-9",
        "cross_cutting_issues": (
            "investigation/measures/identify-trace-freeze-seize; prevention/risk-factors"
        ),
        "source_url": "https://www.gov.uk/soc-strategy",
        "url": "http://testserver/strategies/GBR0007s/",
    }
    assert rows[3]["adoption_date"] == ""
    assert rows[3]["region"] == "Africa"


def test_csv_honours_filters_and_ordering(client, catalogue):
    rows = read_csv(client.get("/strategies/export.csv?crime_type=drugs&ordering=oldest"))
    assert [row["strategy_id"] for row in rows] == ["GBR0007s", "ZAF0001s"]
    rows = read_csv(client.get("/strategies/export.csv?ordering=title"))
    assert [row["strategy_id"] for row in rows] == ["ZAF0001s", "SADC0001s", "GBR0007s", "FRA0001s"]
    rows = read_csv(client.get("/strategies/export.csv?article=TIP-9&adopted_from=2018"))
    assert [row["strategy_id"] for row in rows] == ["GBR0007s"]


def test_csv_names_are_in_the_requests_language(client, catalogue):
    rows = read_csv(client.get("/fr/strategies/export.csv?jurisdiction=GBR"))
    assert rows[0]["jurisdiction_name"] == "Royaume-Uni"
    assert rows[0]["url"] == "http://testserver/fr/strategies/GBR0007s/"


def test_csv_cells_that_would_run_as_formulas_are_defused(client, catalogue):
    rows = {row["strategy_id"]: row for row in read_csv(client.get("/strategies/export.csv"))}
    assert rows["ZAF0001s"]["title"] == '\'=HYPERLINK("https://evil.example","click")'
    assert rows["SADC0001s"]["title"] == "'@Regional strategy"
    assert rows["ZAF0001s"]["source_url"] == "https://example.org/+plan"  # only a leading sign


@pytest.mark.parametrize(
    ("value", "guarded"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Plan 2018-2022", "Plan 2018-2022"),
        ("", ""),
    ],
)
def test_guard_formula(value, guarded):
    assert guard_formula(value) == guarded


def test_jsonl_is_the_canonical_form_in_the_searchs_order(client, catalogue):
    response = client.get("/strategies/export.jsonl?crime_type=drugs")
    body = b"".join(response.streaming_content).decode("utf-8")
    expected = [
        to_json_line(Strategy.objects.with_tags().get(strategy_id=strategy_id))
        for strategy_id in ("ZAF0001s", "GBR0007s")
    ]
    assert body == "".join(expected)


def test_jsonl_follows_ordering_and_text_search(client, catalogue):
    records = read_jsonl(client.get("/strategies/export.jsonl?ordering=oldest"))
    assert [r["strategy_id"] for r in records] == ["GBR0007s", "ZAF0001s", "FRA0001s", "SADC0001s"]
    records = read_jsonl(client.get("/strategies/export.jsonl?q=Stratégie"))
    assert [r["strategy_id"] for r in records] == ["FRA0001s"]


@pytest.mark.parametrize("url", ["/strategies/export.csv", "/strategies/export.jsonl"])
def test_drafts_are_never_exported(client, catalogue, url):
    response = client.get(url + "?crime_type=drugs")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert "GBR0008s" not in body
    assert "Unpublished draft" not in body


@pytest.mark.parametrize("url", ["/strategies/export.csv", "/strategies/export.jsonl"])
@pytest.mark.parametrize(
    ("query", "parameter", "value"),
    [
        ("article=UNTOC-99", "article", "UNTOC-99"),
        ("adopted_from=20x8", "adopted_from", "20x8"),
        ("ordering=sideways", "ordering", "sideways"),
    ],
)
def test_invalid_parameter_is_a_plain_text_400_naming_it(client, url, query, parameter, value):
    response = client.get(f"{url}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith(f"{parameter}: ")
    assert value in text


def test_rows_and_their_tags_are_fetched_in_chunks(client, catalogue, monkeypatch):
    monkeypatch.setattr(exporters, "EXPORT_CHUNK", 2)
    with CaptureQueriesContext(connection) as queries:
        records = read_jsonl(client.get("/strategies/export.jsonl"))
    assert len(records) == 4
    # Two chunks of two rows: each chunk's issues are fetched by one query of their own (the
    # crime types and articles come from the facet index).
    issue_queries = [
        q
        for q in queries
        if 'FROM "strategies_strategy_cross_cutting_issues" INNER JOIN' in q["sql"]
    ]
    assert len(issue_queries) == 2


def test_export_command_keeps_strategy_id_order(catalogue):
    lines = list(exporters.strategy_json_lines(Strategy.objects.published()))
    assert [json.loads(line)["strategy_id"] for line in lines] == [
        "FRA0001s",
        "GBR0007s",
        "SADC0001s",
        "ZAF0001s",
    ]


def test_tag_codes_give_the_same_canonical_form_as_the_tag_records(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    files = [
        default_storage.save(f"attachments/GBR0001s/{name}.pdf", ContentFile(b"%PDF-1.7"))
        for name in ("plan", "annex")
    ]
    make_strategy(
        "GBR0001s",
        crime_types=["firearms", "drugs", "corruption"],
        articles=["TIP-9", "UNTOC-12", "FAP-5", "UNTOC-5", "UNTOC-11"],
        cross_cutting_issues=["prevention/risk-factors", "prevention/awareness-raising"],
        # Titles whose order differs by case: listed as Python compares them, every way.
        attachments=[AttachmentData(files[0], "annex"), AttachmentData(files[1], "Plan", "fr")],
    )
    make_strategy("FRA0001s", jurisdiction="FRA")  # no tags at all
    by_records = [to_json_line(s) for s in Strategy.objects.order_by("pk").with_tags()]
    by_codes = [to_json_line(s) for s in Strategy.objects.order_by("pk").with_tag_codes()]
    chunked = [
        to_json_line(s)
        for s in Strategy.objects.order_by("pk").with_tag_codes().iterator(chunk_size=1)
    ]
    # Search results take their crime types and articles from the facet index.
    search = StrategySearch(StrategyQuery(ordering="title"), include_drafts=True, engine="index")
    results = search.results()
    by_index = sorted(to_json_line(s) for s in results.with_tag_codes())
    assert by_codes == by_records == chunked
    assert by_index == sorted(by_records)
    assert '"articles":["UNTOC-5","UNTOC-11","UNTOC-12","TIP-9","FAP-5"]' in by_codes[0]
    assert '"attachments":[{"file":"attachments/GBR0001s/annex.pdf","title":"Plan"' in by_codes[0]
