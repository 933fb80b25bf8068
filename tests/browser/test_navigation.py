"""From the results to a strategy and on to an article's page; the language switcher."""

import re

from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Locator, Page

from taxonomy.models import Jurisdiction

from .catalogue import BY_CRIME_TYPE
from .pages import checkbox, filters, path, result_ids


def test_from_results_to_a_strategy_and_its_article(page):
    page.goto("/strategies/?crime_type=money-laundering")
    assert set(result_ids(page)) == BY_CRIME_TYPE["money-laundering"]

    page.get_by_role("link", name="Serious and Organized Crime Strategy").click()
    assert path(page) == "/strategies/GBR0007s/"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Serious and Organized Crime Strategy"
    )
    assert page.locator(".record-id").inner_text() == "GBR0007s"

    page.get_by_role("link", name=re.compile(r"^Article 11: ")).click()
    assert path(page) == "/articles/UNTOC-11/"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Article 11: ")
    # The published strategies implementing the article; not the draft GBR0003s.
    assert set(result_ids(page)) == {"GBR0001s", "GBR0007s"}
    assert page.locator(".chip-fixed").inner_text().startswith("Article: ")

    page.get_by_role("link", name="Economic Crime Plan").click()
    assert path(page) == "/strategies/GBR0001s/"


def language_link(page: Page, code: str) -> Locator:
    # By its code: the switcher's own label is translated ("Language", "Langue", "اللغة").
    return page.locator(f'nav.language-switcher a[hreflang="{code}"]')


def in_language(code: str, message: str) -> str:
    with translation.override(code):
        return gettext(message)


def test_switching_language_keeps_the_filters(page):
    page.goto("/strategies/?crime_type=firearms&adopted_from=2019")
    expected = filters(page)
    english = result_ids(page)
    assert set(english) == {"DEU0001s", "ZAF0001s"}
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("dir") == "ltr"

    language_link(page, "fr").click()
    assert path(page) == "/fr/strategies/"
    assert filters(page) == expected
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert result_ids(page) == english
    assert checkbox(page, "crime_type", "firearms").is_checked()
    assert page.locator("#adopted_from").input_value() == "2019"
    # Labels the vocabularies have in French are shown in French.
    germany = Jurisdiction.objects.get(code="DEU")
    assert germany.name_fr != germany.name_en
    assert page.locator(".result-meta a", has_text=germany.name_fr).count() == 1

    assert language_link(page, "fr").get_attribute("aria-current") == "true"
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == in_language("fr", "Search strategies")

    language_link(page, "ar").click()
    assert path(page) == "/ar/strategies/"
    assert filters(page) == expected
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert result_ids(page) == english
    assert page.locator(".result-meta a", has_text=germany.name_ar).count() == 1
    # Right to left, the filters are on the right of the results.
    filters_box = page.locator(".filters").bounding_box()
    results_box = page.locator(".results").bounding_box()
    assert filters_box["x"] > results_box["x"] + results_box["width"] - 1

    # The page still works in Arabic: another filter, then a result, stay in Arabic.
    checkbox(page, "jurisdiction", "ZAF").check()
    page.locator("button.apply").click()
    assert path(page) == "/ar/strategies/"
    assert filters(page) == {**expected, "jurisdiction": ["ZAF"]}
    assert result_ids(page) == ["ZAF0001s"]
    page.locator(".result-title a").click()
    assert path(page) == "/ar/strategies/ZAF0001s/"
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", level=1).inner_text() == "National Firearms Strategy"
    assert language_link(page, "ar").get_attribute("aria-current") == "true"
