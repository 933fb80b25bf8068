"""The server-drawn charts: valid SVG with the right bars, and the right numbers on the page."""

import re
import xml.etree.ElementTree as ET

import pytest

from strategies.charts import Bar, bar_chart, column_chart

from .factories import make_strategy
from .test_catalogue_pages import D, catalogue  # noqa: F401 — the hand-built catalogue fixture

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # fails on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]


def texts(root: ET.Element, kind: str) -> list[str]:
    return [text.text for text in root.iter(f"{SVG}text") if text.get("class") == kind]


def years_chart(bars_: list[Bar]) -> ET.Element:
    return parse(
        column_chart(
            bars_, title="Strategies by year", description="Per year.",
            category_label="Year", value_label="Strategies", id_prefix="years",
        )
    )  # fmt: skip


def regions_chart(bars_: list[Bar], rtl: bool = False) -> ET.Element:
    return parse(
        bar_chart(
            bars_, title="Strategies by region", description="Per region.",
            category_label="Region", value_label="Strategies", id_prefix="regions", rtl=rtl,
        )
    )  # fmt: skip


# -- the drawing functions ------------------------------------------------------------------------


def test_column_chart_is_an_accessible_image_with_one_bar_per_value():
    root = years_chart([Bar("2018", 1), Bar("2019", 0), Bar("2020", 2)])
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "years-title years-desc"
    assert root.find(f"{SVG}title").get("id") == "years-title"
    assert root.find(f"{SVG}title").text == "Strategies by year"
    # The description carries every value, for readers who cannot see the bars.
    assert root.find(f"{SVG}desc").text == "Per year. 2018: 1; 2019: 0; 2020: 2."
    assert root.get("viewBox").startswith("0 0 ") and root.get("width") == "100%"
    heights = [float(rect.get("height")) for rect in bars(root)]
    assert heights[1] == 0 and heights[2] == 2 * heights[0] > 0
    assert texts(root, "category") == ["2018", "2019", "2020"]
    assert texts(root, "value") == ["1", "0", "2"]
    assert texts(root, "axis-label") == ["Strategies", "Year"]


def test_bar_chart_has_labels_counts_and_lengths_in_proportion():
    root = regions_chart([Bar("Europe", 3), Bar("Africa", 2)])
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Strategies by region"
    widths = [float(rect.get("width")) for rect in bars(root)]
    assert widths[0] == pytest.approx(widths[1] * 3 / 2, abs=0.1)  # drawn to a tenth
    assert texts(root, "category") == ["Europe", "Africa"]
    assert texts(root, "value") == ["3", "2"]
    assert texts(root, "axis-label") == ["Region", "Strategies"]


def test_bar_chart_is_mirrored_right_to_left():
    ltr = regions_chart([Bar("أوروبا", 3)])
    rtl = regions_chart([Bar("أوروبا", 3)], rtl=True)
    assert ltr.get("direction") == "ltr" and rtl.get("direction") == "rtl"
    width = float(rtl.get("viewBox").split()[2])
    ltr_bar, rtl_bar = bars(ltr)[0], bars(rtl)[0]
    # The same bar, reflected: it ends where the left-to-right one starts, from the other edge.
    assert float(rtl_bar.get("x")) + float(rtl_bar.get("width")) == pytest.approx(
        width - float(ltr_bar.get("x"))
    )


def test_every_text_is_escaped():
    hostile = '<script>alert("x")</script> & "quotes"'
    root = years_chart([Bar(hostile, 1)])
    assert texts(root, "category") == [hostile]  # parsed back as text, not as markup
    assert root.find(f"{SVG}script") is None
    root = parse(
        bar_chart(
            [Bar(hostile, 1)], title=hostile, description=hostile, category_label=hostile,
            value_label=hostile, id_prefix='x" onload="alert(1)',
        )
    )  # fmt: skip
    assert root.find(f"{SVG}title").text == hostile
    assert root.get("onload") is None


def test_empty_charts_are_still_valid():
    assert bars(years_chart([])) == [] and bars(regions_chart([])) == []


# -- on the search page ---------------------------------------------------------------------------


def page_charts(client, **params) -> dict[str, ET.Element]:
    response = client.get("/strategies/", params)
    assert response.status_code == 200
    svgs = re.findall(r"<svg .*?</svg>", response.content.decode(), re.S)
    return {root.get("aria-labelledby").split("-")[1]: root for root in map(parse, svgs)}


def bar_values(root: ET.Element) -> dict[str, int]:
    return dict(zip(texts(root, "category"), map(int, texts(root, "value")), strict=True))


@pytest.mark.django_db
def test_page_charts_count_the_current_results_by_year_and_region(client, catalogue):  # noqa: F811
    charts = page_charts(client)
    # Drafts are not counted (the draft was adopted in 2021); SADC0001s has no date.
    assert bar_values(charts["years"]) == {"2018": 1, "2019": 1, "2020": 2}
    assert bar_values(charts["regions"]) == {"Europe": 3, "Africa": 2}
    ids = [
        element.get("id")
        for root in charts.values()
        for element in root.iter()
        if element.get("id")
    ]
    assert len(ids) == len(set(ids))


@pytest.mark.django_db
def test_page_charts_follow_the_filters(client, catalogue):  # noqa: F811
    charts = page_charts(client, crime_type="drugs")
    assert bar_values(charts["years"]) == {"2018": 1, "2019": 0, "2020": 1}
    assert bar_values(charts["regions"]) == {"Europe": 2, "Africa": 1}
    # The charts keep to the selection on their own dimension too: they show the results.
    charts = page_charts(client, adopted_from="2019")
    assert bar_values(charts["years"]) == {"2019": 1, "2020": 2}
    charts = page_charts(client, region="154")  # Northern Europe: the United Kingdom
    assert bar_values(charts["regions"]) == {"Europe": 2}
    charts = page_charts(client, region=["154", "002"])
    assert bar_values(charts["regions"]) == {"Europe": 2, "Africa": 2}


@pytest.mark.django_db
def test_years_without_strategies_show_as_gaps(client):
    make_strategy("GBR0001s", status="published", adoption_date=D(2015, 5, 1))
    make_strategy("GBR0002s", status="published", adoption_date=D(2018, 5, 1))
    make_strategy("LAS0001s", status="published")  # no date, and no M49 region
    response = client.get("/strategies/")
    charts = page_charts(client)
    assert bar_values(charts["years"]) == {"2015": 1, "2016": 0, "2017": 0, "2018": 1}
    assert "1 strategy without an adoption date is not shown." in response.content.decode()
    assert bar_values(charts["regions"]) == {"Europe": 2, "No region": 1}
