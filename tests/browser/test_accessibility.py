"""axe-core on every kind of public page, in English and in Arabic (right to left).

No violation of impact "serious" or "critical" is allowed. Every <details> is opened first, so
that the facet values behind "Show all" and the folded branches of the trees are checked too.
axe-core comes bundled with axe-playwright-python: nothing is downloaded.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

BLOCKING = {"serious", "critical"}

# One page of each kind: search (with words and filters), a strategy, and each browse index and
# detail page.
PAGES = [
    "/strategies/?q=crime&crime_type=drugs&adopted_from=2018",
    "/strategies/GBR0007s/",
    "/articles/",
    "/articles/UNTOC-11/",
    "/issues/",
    "/issues/investigation/measures/",
    "/jurisdictions/",
    "/jurisdictions/GBR/",
]

axe = Axe()


def blocking_violations(page) -> list[str]:
    """The serious and critical violations on the page: rule, help text, and where."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    results = axe.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        more = f"; … ({len(targets)} in all)" if len(targets) > 5 else ""
        found.append(
            f"{page.url}\n  {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  {violation['helpUrl']}\n  on: {'; '.join(targets[:5])}{more}"
        )
    return found


@pytest.mark.parametrize("language", ["", "/ar"], ids=["en", "ar"])
def test_no_serious_accessibility_violations(page, language):
    found = []
    for url in PAGES:
        page.goto(language + url)
        assert page.locator("main h1").count() == 1, f"{page.url} is not the page itself"
        found += blocking_violations(page)
    assert not found, "axe found serious or critical violations:\n" + "\n".join(found)
