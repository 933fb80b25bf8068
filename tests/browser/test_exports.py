"""Downloading the current results as CSV and as JSON Lines from the search page."""

import csv
import io
import json
from pathlib import Path

from playwright.sync_api import Page

from .catalogue import BY_CRIME_TYPE
from .pages import checkbox, result_ids


def download(page: Page, link_name: str):
    """Click a result-set link; the suggested file name and the file's text."""
    with page.expect_download() as started:
        page.locator(".result-set-links").get_by_role("link", name=link_name).click()
    download = started.value
    assert download.failure() is None
    return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8")


def test_csv_export_holds_the_current_results(page):
    page.goto("/strategies/?crime_type=firearms")
    shown = result_ids(page)
    assert set(shown) == BY_CRIME_TYPE["firearms"]

    filename, text = download(page, "CSV")

    assert filename.endswith(".csv")
    assert text.startswith("\ufeff")  # so that spreadsheet programs read it as UTF-8
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    rows = list(reader)
    assert reader.fieldnames[:4] == ["strategy_id", "title", "jurisdiction", "jurisdiction_name"]
    assert "url" in reader.fieldnames
    # The rows are the results, in the page's order; the draft tagged "firearms" is not there.
    assert [row["strategy_id"] for row in rows] == shown
    assert all("firearms" in row["crime_types"].split("; ") for row in rows)
    assert {row["strategy_id"]: row["url"] for row in rows}["ZAF0001s"] == (
        page.url.split("/strategies/")[0] + "/strategies/ZAF0001s/"
    )


def test_json_lines_export_follows_filters_changed_on_the_page(page):
    page.goto("/strategies/?crime_type=firearms")
    checkbox(page, "crime_type", "money-laundering").check()
    checkbox(page, "jurisdiction", "GBR").check()
    page.get_by_role("button", name="Apply filters").click()
    shown = result_ids(page)
    # (firearms or money laundering) and the United Kingdom
    assert set(shown) == {"GBR0001s", "GBR0007s"}

    filename, text = download(page, "JSON Lines")

    assert filename.endswith(".jsonl")
    records = [json.loads(line) for line in text.splitlines()]
    assert [record["strategy_id"] for record in records] == shown
    assert {record["jurisdiction"] for record in records} == {"GBR"}
    assert all(record["status"] == "published" for record in records)
    assert all({"firearms", "money-laundering"} & set(r["crime_types"]) for r in records)
