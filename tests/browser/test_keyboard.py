"""The search page without a mouse: Tab to each control, operate it, and always see the focus."""

from playwright.sync_api import Page

from .catalogue import FIREARMS_WORD
from .pages import filters, focused, result_ids, shows_focus

# More than the tab stops before the "Apply filters" button on these pages.
MAX_TABS = 150


def tab_to(page: Page, selector: str, unseen: list) -> dict:
    """Press Tab until `selector` has the focus, noting each stop whose focus cannot be seen."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        state = focused(page)
        if not shows_focus(state):
            unseen.append(state)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return state
    raise AssertionError(f"{selector} was not reached in {MAX_TABS} presses of Tab")


def test_search_and_filter_with_the_keyboard_alone(page):
    unseen: list[dict] = []
    page.goto("/strategies/")

    tab_to(page, "#q", unseen)
    page.keyboard.type("firearms")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "q=firearms" in url)
    assert set(result_ids(page)) == FIREARMS_WORD

    # The first facet control after the search box: the first jurisdiction's checkbox.
    first = tab_to(page, ".facet input[type=checkbox]", unseen)
    assert first["id"].startswith("facet-jurisdiction-")
    code = first["id"].removeprefix("facet-jurisdiction-")
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    tab_to(page, "button.apply", unseen)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: f"jurisdiction={code}" in url)
    assert filters(page) == {"q": ["firearms"], "jurisdiction": [code]}
    assert len(result_ids(page)) == 1

    # The link beside the ticked value takes the filter away again.
    tab_to(page, f"#facet-jurisdiction-{code} ~ a.facet-link", unseen)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "jurisdiction=" not in url)
    assert filters(page) == {"q": ["firearms"]}

    assert not unseen, "focus not visible on:\n" + "\n".join(s["element"] for s in unseen)
