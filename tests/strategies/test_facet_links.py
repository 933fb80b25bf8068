"""Links written out in Python for speed (facet toggles, links to records, the language switcher)
equal what Django's own functions write."""

import pytest
from django.template import Context
from django.template.defaulttags import querystring
from django.test import RequestFactory
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.html import escape

from strategies.search import FacetValue
from strategies.templatetags.catalogue import _Link, facet_options, language_links, page_href

QUERIES = [
    "",
    "page=3",
    "crime_type=drugs",
    "crime_type=drugs&crime_type=corruption&page=2",
    "q=trafficking+in+persons&issue=victims%2Fprotection&crime_type=drugs&ordering=title",
    "jurisdiction=GBR&q=%C3%A9tat+%26+soci%C3%A9t%C3%A9&crime_type=firearms&article=UNTOC-11",
    "article=UNTOC-11&crime_type=&crime_type=drugs",
]


def toggled(request, name: str, value: str) -> str:
    """The page with `value` of `name` added or removed, through a copy of the QueryDict."""
    params = request.GET.copy()
    params.pop("page", None)
    values = params.getlist(name)
    params.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    query = params.urlencode()
    return f"{request.path}?{query}" if query else request.path


def option(code, label="Label", selected=False, children=()):
    return FacetValue(code, label, 7, selected, children=list(children))


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("value", ["drugs", "corruption", "UNTOC-11", "victims/protection", "é&<"])
def test_every_link_equals_the_query_dict_encoding(query, value):
    request = RequestFactory().get(f"/en/strategies/?{query}")
    context = {"request": request}
    for name in ("crime_type", "article", "issue", "jurisdiction"):
        html = facet_options(context, name, [option(value)])
        assert f'href="{escape(toggled(request, name, value))}"' in html


def test_labels_and_codes_are_escaped_and_trees_nest():
    request = RequestFactory().get("/en/strategies/?issue=a")
    context = {"request": request}
    tree = [option("a", "<b>A</b>", selected=True, children=[option("a/b", '"B" & co')])]
    html = facet_options(context, "issue", tree)
    assert "<b>" not in html
    assert "&lt;b&gt;A&lt;/b&gt;" in html and "&quot;B&quot; &amp; co" in html
    assert html.count('<ul class="facet-values">') == 2
    assert 'value="a" checked' in html and 'value="a/b">' in html
    assert 'id="facet-issue-a/b"' in html and 'for="facet-issue-a/b"' in html


def test_a_branch_is_open_when_something_beneath_it_is_selected():
    context = {"request": RequestFactory().get("/en/strategies/?issue=a/b/c")}
    deep = option("a/b/c", selected=True)
    tree = [
        option("a", children=[option("a/b", children=[deep])]),
        option("d", children=[option("d/e")]),
    ]
    html = facet_options(context, "issue", tree)
    assert html.count('<details class="facet-branch" open>') == 2  # a and a/b
    assert html.count('<details class="facet-branch">') == 1  # d
    assert "1 narrower issue</summary>" in html


def test_labels_given_replace_the_values_own():
    context = {"request": RequestFactory().get("/en/strategies/")}
    html = facet_options(context, "article", [option("UNTOC-5", "Criminalization")],
                         {"UNTOC-5": "Art. 5 Criminalization"})  # fmt: skip
    assert '<span class="facet-label">Art. 5 Criminalization</span>' in html


@pytest.mark.parametrize("language", ["en", "fr", "zh-hans"])
@pytest.mark.parametrize(
    ("name", "argument"),
    [
        ("strategies:detail", "GBR0007s"),
        ("strategies:detail", "é&<x y"),
        ("strategies:jurisdiction", "FRA"),
        ("strategies:issue", "investigation/measures/identify-trace-freeze-seize"),
        ("strategies:issue", "a b/ç?d#e"),
    ],
)
def test_links_written_in_python_equal_reverse(language, name, argument):
    with translation.override(language):
        assert _Link(name)(argument) == reverse(name, args=[argument])


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
@pytest.mark.parametrize(
    "url",
    [
        "/strategies/",
        "/strategies/?q=%C3%A9tat+%26+soci%C3%A9t%C3%A9&crime_type=drugs&page=2",
        "/strategies/GBR0007s/",
        "/issues/investigation/measures/",
        "/strategies/a%20b%C3%A7/?x=<y>",  # no such page: its path stays as it is
    ],
)
def test_language_links_equal_translate_url(language, url):
    """The switcher's links are kept per path; each must still be the page, with its query
    string, as translate_url() gives it in that language."""
    prefix = "" if language == "en" else f"/{language}"
    with translation.override(language):
        for _ in range(2):  # the second time from what the first one kept
            request = RequestFactory().get(prefix + url)
            links = {link["code"]: link["url"] for link in language_links({"request": request})}
            assert links == {
                code: translate_url(request.get_full_path(), code)
                for code in ("en", "zh-hans", "fr", "es", "ru", "ar")
            }


@pytest.mark.parametrize("query", [*QUERIES, "page=3&q=a", "q=a&page=2&page=5&crime_type=drugs"])
@pytest.mark.parametrize("number", [1, 2, 200])
def test_page_links_equal_django_s_querystring(query, number):
    request = RequestFactory().get(f"/en/strategies/?{query}")
    expected = escape(querystring(Context(), request.GET, page=number))
    assert page_href({"request": request}, number) == expected
