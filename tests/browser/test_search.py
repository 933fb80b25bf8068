"""The search page in a browser: words, facets (checkboxes and links), chips, "Clear all"."""

from .catalogue import BY_CRIME_TYPE, FIREARMS_WORD, PUBLISHED
from .pages import checkbox, chip, facet_counts, filters, result_count, result_ids, toggle_link

ALL_JURISDICTIONS = {"GBR": 2, "FRA": 1, "DEU": 1, "ZAF": 1, "SADC": 1}


def test_search_words_narrow_the_results(page):
    page.goto("/strategies/")
    assert result_count(page) == len(PUBLISHED)

    page.get_by_label("Search words").fill("firearms")
    page.get_by_role("button", name="Search", exact=True).click()

    assert filters(page)["q"] == ["firearms"]
    assert set(result_ids(page)) == FIREARMS_WORD
    assert result_count(page) == len(FIREARMS_WORD)
    assert page.get_by_label("Search words").input_value() == "firearms"
    assert chip(page, "Search words: firearms").is_visible()
    # The facets count these results only.
    assert facet_counts(page, "jurisdiction") == {"GBR": 1, "DEU": 1, "ZAF": 1}


def test_ticking_and_unticking_facets_changes_results_and_counts(page):
    page.goto("/strategies/")
    assert facet_counts(page, "jurisdiction") == ALL_JURISDICTIONS
    crime_types = facet_counts(page, "crime_type")
    assert crime_types["drugs"] == 4

    checkbox(page, "crime_type", "firearms").check()
    page.get_by_role("button", name="Apply filters").click()

    assert filters(page)["crime_type"] == ["firearms"]
    assert checkbox(page, "crime_type", "firearms").is_checked()
    assert set(result_ids(page)) == BY_CRIME_TYPE["firearms"]
    assert result_count(page) == 3
    # Another facet counts within the selection; the facet's own counts stay as they were, so
    # that a second crime type can be added ("firearms or drugs").
    assert facet_counts(page, "jurisdiction") == {"GBR": 1, "DEU": 1, "ZAF": 1}
    assert facet_counts(page, "crime_type") == crime_types

    # The link beside a value applies it at once.
    toggle_link(page, "jurisdiction", "DEU").click()
    assert filters(page) == {"crime_type": ["firearms"], "jurisdiction": ["DEU"]}
    assert result_ids(page) == ["DEU0001s"]
    assert facet_counts(page, "crime_type") == {"drugs": 1, "firearms": 1}
    assert checkbox(page, "jurisdiction", "DEU").is_checked()

    # ... and takes it away again.
    toggle_link(page, "jurisdiction", "DEU").click()
    assert filters(page) == {"crime_type": ["firearms"]}
    assert result_count(page) == 3

    checkbox(page, "crime_type", "firearms").uncheck()
    page.get_by_role("button", name="Apply filters").click()
    assert "crime_type" not in filters(page)
    assert result_count(page) == len(PUBLISHED)
    assert facet_counts(page, "jurisdiction") == ALL_JURISDICTIONS
    assert facet_counts(page, "crime_type") == crime_types


def test_chips_remove_one_filter_each_and_clear_all_removes_them_all(page):
    page.goto("/strategies/?crime_type=drugs&jurisdiction=GBR")
    assert set(result_ids(page)) == {"GBR0001s", "GBR0007s"}

    page.get_by_label("Adopted from").fill("2019")
    page.get_by_label("Adopted from").press("Enter")  # submits the form, as any text field does
    assert filters(page)["adopted_from"] == ["2019"]
    assert result_ids(page) == ["GBR0001s"]

    chip(page, "Adopted from: 2019").click()
    assert "adopted_from" not in filters(page)
    assert set(result_ids(page)) == {"GBR0001s", "GBR0007s"}

    chip(page, "Jurisdiction: United Kingdom").click()
    assert filters(page) == {"crime_type": ["drugs"]}
    assert set(result_ids(page)) == BY_CRIME_TYPE["drugs"]
    assert not chip(page, "Jurisdiction:").count()
    assert not checkbox(page, "jurisdiction", "GBR").is_checked()

    page.get_by_label("Search words").fill("strategy")
    page.get_by_label("Search words").press("Enter")
    assert chip(page, "Search words: strategy").is_visible()
    assert chip(page, "Crime type: Drug offences").is_visible()

    page.get_by_role("link", name="Clear all").click()
    assert filters(page) == {}
    assert result_count(page) == len(PUBLISHED)
    assert not page.locator(".chips").count()
    assert page.get_by_label("Search words").input_value() == ""
    assert not page.locator(".facet input[type=checkbox]:checked").count()
