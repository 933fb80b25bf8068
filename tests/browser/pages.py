"""Reading the catalogue's pages as a reader sees them: results, counts, controls, focus."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page


def loaded(page: Page) -> Page:
    """The page once its document has loaded: a click or a key that navigates returns as soon as
    the next page starts to arrive, and the readers below must not see half of it."""
    page.wait_for_load_state()
    return page


def result_ids(page: Page) -> list[str]:
    """The strategy IDs of the results listed, in their order."""
    paths = (
        loaded(page)
        .locator(".result-list .result-title a")
        .evaluate_all("links => links.map(link => link.pathname)")
    )
    return [re.search(r"/strategies/([^/]+)/$", path).group(1) for path in paths]


def result_count(page: Page) -> int:
    """The total the page announces ("6 strategies"; "No strategies match." is 0)."""
    number = re.search(r"\d+", loaded(page).locator(".result-count").inner_text())
    return int(number.group()) if number else 0


def facet_counts(page: Page, facet: str) -> dict[str, int]:
    """Each value a facet offers (including those behind "Show all"), with its count."""
    return loaded(page).evaluate(
        """name => Object.fromEntries(
            [...document.querySelectorAll(`input[type=checkbox][name="${name}"]`)].map(box => [
                box.value,
                Number(box.parentElement.querySelector(":scope > .facet-link .facet-count")
                       .textContent),
            ]))""",
        facet,
    )


def checkbox(page: Page, facet: str, code: str) -> Locator:
    return page.locator(f'input[type=checkbox][name="{facet}"][value="{code}"]')


def toggle_link(page: Page, facet: str, code: str) -> Locator:
    """The link beside a facet value's checkbox, which adds or removes that value at once."""
    box = f'input[type=checkbox][name="{facet}"][value="{code}"]'
    return page.locator(f"li.facet-value:has(> {box}) > a.facet-link")


def chip(page: Page, label: str) -> Locator:
    """An active filter's chip, by the start of its label ("Crime type: Drug offences")."""
    return page.get_by_role("link", name=re.compile(rf"^Remove filter: {re.escape(label)}"))


def filters(page: Page) -> dict[str, list[str]]:
    """The current URL's filters: its parameters but the sort order, which the form always sends.

    Empty fields are left out, as the search reads them.
    """
    params = parse_qs(urlsplit(loaded(page).url).query)
    params.pop("ordering", None)
    return params


def path(page: Page) -> str:
    return urlsplit(loaded(page).url).path


FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    return {
        element: element.outerHTML.slice(0, 120),
        id: element.id,
        outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
        shadow: style.boxShadow !== "none",
        width: box.width,
        height: box.height,
    };
}"""


def focused(page: Page) -> dict:
    """The focused element: a description, its id, and whether its focus can be seen (an outline
    or a box shadow, on a box of some size)."""
    return page.evaluate(FOCUSED)


def shows_focus(state: dict) -> bool:
    return (state["outline"] or state["shadow"]) and state["width"] >= 4 and state["height"] >= 4


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scrolling)."""
    return loaded(page).evaluate("document.documentElement.scrollWidth - window.innerWidth")
