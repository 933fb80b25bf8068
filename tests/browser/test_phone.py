"""The catalogue on a small phone (360 × 740 CSS pixels): no sideways scrolling, filters at hand."""

from .catalogue import BY_CRIME_TYPE, PUBLISHED
from .pages import checkbox, filters, horizontal_overflow, result_count, result_ids

PAGES = [
    "/strategies/?crime_type=drugs",
    "/strategies/GBR0007s/",
    "/articles/",
    "/articles/UNTOC-11/",
    "/issues/",
    "/issues/investigation/measures/",
    "/jurisdictions/",
    "/jurisdictions/GBR/",
]


def test_filters_are_reachable_and_work_on_a_phone(phone):
    phone.goto("/strategies/")
    assert horizontal_overflow(phone) <= 0
    assert result_count(phone) == len(PUBLISHED)
    # The filters start folded away so that the results are in view; one tap opens them.
    toggle = phone.get_by_text("Show or hide the filters")
    assert toggle.is_visible()
    assert not checkbox(phone, "crime_type", "drugs").is_visible()
    toggle.click()

    checkbox(phone, "crime_type", "drugs").check()
    phone.get_by_role("button", name="Apply filters").click()
    assert filters(phone) == {"crime_type": ["drugs"]}
    assert set(result_ids(phone)) == BY_CRIME_TYPE["drugs"]
    assert horizontal_overflow(phone) <= 0


def test_no_page_scrolls_sideways_on_a_phone(phone):
    too_wide = []
    for language in ("", "/ar"):
        for url in PAGES:
            phone.goto(language + url)
            # Everything shown, as a reader who opens every disclosure would see it.
            phone.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            overflow = horizontal_overflow(phone)
            if overflow > 0:
                widest = phone.evaluate(WIDEST_ELEMENT)
                too_wide.append(f"{language + url}: {overflow}px too wide; widest: {widest}")
    assert not too_wide, "\n".join(too_wide)


# The innermost element reaching furthest beyond the window's edge (either side, for Arabic).
WIDEST_ELEMENT = """() => {
    let worst = null, worstBy = 0;
    for (const element of document.body.querySelectorAll("*")) {
        const box = element.getBoundingClientRect();
        const by = Math.max(box.right - window.innerWidth, -box.left);
        if (by > worstBy + 0.5 || (worst && by >= worstBy && worst.contains(element))) {
            worst = element; worstBy = by;
        }
    }
    return worst ? worst.outerHTML.slice(0, 160) : "none found";
}"""
