"""The strategy page, its JSON and related strategies, as a visitor (or a program) sees them."""

import datetime
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from strategies.canonical import to_canonical
from strategies.models import Attachment, Strategy
from strategies.related import _scores, related_strategies
from strategies.services import delete_strategy
from taxonomy.models import Article, CrossCuttingIssue

from .factories import make_strategy

pytestmark = pytest.mark.django_db

D = datetime.date
SAMPLE_PAGE = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "GBR0007s.txt"
SAMPLE_ARTICLES = [f"UNTOC-{n}" for n in (5, 6, 7, 9, 11, 12, 19, 20, 24, 25, 27, 28, 29, 31)]


class PageLinks(HTMLParser):
    """Each link of the page's main content, in document order, with the links heading the list
    items (and the h3) above it: for a cross-cutting issue leaf, the chain of its ancestors.
    """

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, tuple[str, ...]]] = []
        self._items: list[str | None] = []
        self._heading: str | None = None
        self._in_h3 = False
        # The site's header and footer have links of their own; only the record's count.
        self.feed(html[html.index("<main") : html.index("</main>")])

    def handle_starttag(self, tag, attrs):
        if tag == "li":
            self._items.append(None)
        elif tag == "h3":
            self._in_h3, self._heading = True, None
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            above = tuple(item for item in self._items if item)
            self.links.append((href, ((self._heading,) if self._heading else ()) + above))
            if self._in_h3:
                self._heading = href
            elif self._items and self._items[-1] is None:
                self._items[-1] = href

    def handle_endtag(self, tag):
        if tag == "li":
            self._items.pop()
        elif tag == "h3":
            self._in_h3 = False

    def hrefs(self, prefix: str) -> list[str]:
        return [href for href, _ in self.links if href.startswith(prefix)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sample():
    call_command("import_sherloc", str(SAMPLE_PAGE), stdout=io.StringIO())
    return Strategy.objects.get(strategy_id="GBR0007s")


def page(client, url="/strategies/GBR0007s/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# -- the sample record ------------------------------------------------------------------------


def test_sample_page_shows_title_jurisdiction_id_date_and_summary(client, sample):
    html = page(client)
    assert "<title>Serious and Organized Crime Strategy (GBR0007s)" in html
    assert '<h1 id="record-title">Serious and Organized Crime Strategy</h1>' in html
    assert '<a href="/jurisdictions/GBR/">United Kingdom</a>' in html
    assert "Europe" in html and "Northern Europe" in html
    assert "<code>GBR0007s</code>" in html
    assert '<time datetime="2018-11-01">Nov. 1, 2018</time>' in html
    assert "1 Serious and organised crime affects more UK citizens" in html
    # The summary is sanitised HTML, shown as markup rather than as escaped text.
    assert "<li>" in html.split('class="record-summary"')[1]
    assert "&lt;li&gt;" not in html
    assert '<a href="/strategies/GBR0007s.json"' in html


def test_crime_types_link_to_the_search_filtered_by_each(client, sample):
    links = PageLinks(page(client)).hrefs("/strategies/?")
    assert "/strategies/?crime_type=drugs" in links
    assert "/strategies/?crime_type=trafficking-in-persons" in links
    assert len(links) == 10


def test_page_in_chinese_shows_the_chinese_names_and_marks_the_english_record(client, sample):
    html = page(client, "/zh-hans/strategies/GBR0007s/")
    assert '<a href="/zh-hans/jurisdictions/GBR/">英国</a>' in html
    assert "大不列颠及北爱尔兰联合王国" in html
    assert "2018年11月1日" in html
    # The record is in English, the interface in Chinese: the record's content says so.
    assert '<h1 id="record-title" lang="en" dir="ltr">' in html
    assert '<div class="record-summary" lang="en" dir="ltr">' in html


def test_english_record_in_english_interface_needs_no_lang_attribute(client, sample):
    html = page(client)
    assert 'id="record-title" lang=' not in html
    assert 'class="record-summary" lang=' not in html


def test_articles_are_listed_in_numeric_order_with_links(client, sample):
    html = page(client)
    assert PageLinks(html).hrefs("/articles/") == [f"/articles/{code}/" for code in SAMPLE_ARTICLES]
    assert "United Nations Convention against Transnational Organized Crime</h3>" in html
    assert "Article 11: Prosecution, adjudication and sanctions</a>" in html


def test_every_tagged_issue_is_listed_under_its_ancestors(client, sample):
    links = PageLinks(page(client)).links
    issue_links = {href: above for href, above in links if href.startswith("/issues/")}
    tagged = list(sample.cross_cutting_issues.all())
    assert len(tagged) == 29
    for issue in tagged:
        href = f"/issues/{issue.path}/"
        assert href in issue_links, issue.path
        assert issue_links[href] == tuple(f"/issues/{path}/" for path in issue.ancestor_paths())
    # Nothing but the tagged leaves and their ancestors.
    shown = {href.removeprefix("/issues/").removesuffix("/") for href in issue_links}
    expected = {path for issue in tagged for path in [issue.path, *issue.ancestor_paths()]}
    assert shown == expected


def test_citation_block_has_text_and_bibtex(client, sample):
    html = page(client)
    today = timezone.localdate().isoformat()
    assert (
        "United Kingdom. Serious and Organized Crime Strategy (GBR0007s), adopted 1 November "
        "2018. In: Strategies against organized crime catalogue. "
        f"http://testserver/strategies/GBR0007s/ (accessed {today})."
    ) in html
    assert "@misc{GBR0007s," in html
    assert "author = {{United Kingdom}}" in html


def test_json_is_the_canonical_form(client, sample):
    response = client.get("/strategies/GBR0007s.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    expected = to_canonical(Strategy.objects.with_tags().get(strategy_id="GBR0007s"))
    assert json.loads(response.content) == expected


# -- drafts and unknown IDs -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/strategies/GBR0001s/", "/strategies/GBR0001s.json"])
def test_draft_is_not_found(client, url):
    make_strategy("GBR0001s", status="draft", articles=["UNTOC-5"])
    assert client.get(url).status_code == 404
    assert client.get("/fr" + url).status_code == 404


@pytest.mark.parametrize("url", ["/strategies/GBR9999s/", "/strategies/GBR9999s.json"])
def test_unknown_id_is_not_found(client, url):
    assert client.get(url).status_code == 404


# -- other record shapes ----------------------------------------------------------------------


def test_french_record_marks_its_language_and_shows_attachments(client, media):
    strategy = make_strategy(
        "FRA0001s",
        title="Stratégie nationale",
        language="fr",
        status="published",
        summary="<p>Résumé</p>",
        source_url="https://www.example.fr/strategie",
    )
    name = default_storage.save("attachments/FRA0001s/strategie.pdf", ContentFile(b"%PDF" * 512))
    Attachment.objects.create(strategy=strategy, file=name, title="Stratégie (PDF)", language="fr")
    Attachment.objects.create(strategy=strategy, file="attachments/gone.pdf", title="Gone")
    html = page(client, "/strategies/FRA0001s/")
    assert '<h1 id="record-title" lang="fr" dir="ltr">Stratégie nationale</h1>' in html
    assert '<div class="record-summary" lang="fr" dir="ltr"><p>Résumé</p></div>' in html
    assert "<dd>French</dd>" in html
    assert f'<a href="/media/{name}" hreflang="fr" download>Stratégie (PDF)</a>' in html
    assert "(French, 2.0\xa0KB)" in html
    # A file missing from storage is still listed, without a size, rather than breaking the page.
    assert ">Gone</a>" in html
    assert '<a href="https://www.example.fr/strategie"' in html
    assert "Not known" in html  # no adoption date


def test_arabic_record_is_marked_right_to_left(client):
    make_strategy("EGY0001s", title="استراتيجية", language="ar", status="published")
    assert '<h1 id="record-title" lang="ar" dir="rtl">' in page(client, "/strategies/EGY0001s/")


# -- related strategies -----------------------------------------------------------------------


@pytest.fixture(params=["index", "sql"])
def neighbours(request, settings):
    """GBR0001s and strategies sharing known numbers of its tags; related strategies are scored
    over the facet index, or with SQL for the SQL engine."""
    settings.SEARCH_ENGINE = request.param
    issues = [
        "prevention/risk-factors",
        "investigation/measures/identify-trace-freeze-seize",
        "investigation/measures/access-to-financial-records",
    ]
    make_strategy(
        "GBR0001s",
        status="published",
        adoption_date=D(2018, 1, 1),
        articles=["UNTOC-5", "UNTOC-11", "UNTOC-12"],
        cross_cutting_issues=issues,
    )
    # score 4: three articles + one issue
    make_strategy(
        "FRA0001s",
        status="published",
        adoption_date=D(2015, 1, 1),
        articles=["UNTOC-5", "UNTOC-11", "UNTOC-12"],
        cross_cutting_issues=issues[:1],
    )
    # score 3, adopted 2020: newest among the ties
    make_strategy(
        "DEU0001s",
        status="published",
        adoption_date=D(2020, 1, 1),
        articles=["UNTOC-5"],
        cross_cutting_issues=issues[1:],
    )
    # score 3, adopted 2019; and score 3 with the same date, after it by ID
    make_strategy(
        "ESP0001s",
        status="published",
        adoption_date=D(2019, 1, 1),
        articles=["UNTOC-11", "UNTOC-12", "TIP-9"],
        cross_cutting_issues=issues[2:],
    )
    make_strategy(
        "ITA0001s",
        status="published",
        adoption_date=D(2019, 1, 1),
        articles=["UNTOC-11"],
        cross_cutting_issues=issues[1:],
    )
    # score 3 without a date: after every dated tie
    make_strategy("AUT0001s", status="published", articles=["UNTOC-5", "UNTOC-11", "UNTOC-12"])
    # score 5 but a draft: never shown
    make_strategy(
        "NLD0001s", status="draft", articles=["UNTOC-5", "UNTOC-11"], cross_cutting_issues=issues
    )
    # shares nothing (other articles, a sibling issue): not related at all
    make_strategy(
        "BEL0001s",
        status="published",
        adoption_date=D(2024, 1, 1),
        articles=["UNTOC-31"],
        cross_cutting_issues=["prevention/awareness-raising"],
    )
    # score 1: ranked sixth, beyond the top five
    make_strategy("CAN0001s", status="published", adoption_date=D(2025, 1, 1),
                  articles=["UNTOC-5"])  # fmt: skip


def test_related_strategies_are_ranked_by_shared_tags_then_newest_then_id(neighbours):
    strategy = Strategy.objects.get(strategy_id="GBR0001s")
    related = list(related_strategies(strategy))
    assert [(s.strategy_id, s.score) for s in related] == [
        ("FRA0001s", 4),
        ("DEU0001s", 3),
        ("ESP0001s", 3),
        ("ITA0001s", 3),
        ("AUT0001s", 3),
    ]


def test_related_strategies_beyond_the_top_five(neighbours):
    strategy = Strategy.objects.get(strategy_id="GBR0001s")
    assert [s.strategy_id for s in related_strategies(strategy, limit=10)][-1] == "CAN0001s"


def test_a_strategy_without_tags_has_no_related_strategies(neighbours):
    lonely = make_strategy("MEX0001s", status="published")
    assert list(related_strategies(lonely)) == []


def test_page_lists_related_strategies_in_rank_order(client, neighbours):
    html = page(client, "/strategies/GBR0001s/")
    assert "Related strategies" in html
    assert PageLinks(html).hrefs("/strategies/")[-5:] == [
        f"/strategies/{strategy_id}/"
        for strategy_id in ("FRA0001s", "DEU0001s", "ESP0001s", "ITA0001s", "AUT0001s")
    ]
    assert "4 shared tags" in html
    # Each with its own jurisdiction and year, read with its row.
    entry = html[html.index('href="/strategies/DEU0001s/"') :]
    entry = entry[: entry.index("</li>")]
    assert "Germany" in entry and '<time datetime="2020-01-01">2020</time>' in entry
    assert "3 shared tags" in entry


# -- query count ------------------------------------------------------------------------------

# The catalogue version, read once for the whole page (the vocabularies this process keeps for
# names, regions, instruments and ancestors; the facet index that scores related strategies; the
# count of synthetic strategies in base.html); the strategy, with whether it has attachments;
# its tags' ids, all kinds in one query; and the related strategies' rows. Its attachments too,
# when it has some.
PAGE_QUERIES = 4


def test_page_query_count_does_not_grow_with_the_number_of_tags(
    client, media, django_assert_num_queries
):
    leaves = list(
        CrossCuttingIssue.objects.leaves().order_by("path").values_list("path", flat=True)
    )
    articles = list(Article.objects.in_order().values_list("code", flat=True))
    small = make_strategy(
        "GBR0001s",
        status="published",
        articles=articles[:1],
        cross_cutting_issues=leaves[:1],
    )
    large = make_strategy(
        "GBR0002s",
        status="published",
        crime_types=["drugs", "corruption", "cybercrime", "firearms", "terrorism", "environment"],
        articles=articles[:14],
        cross_cutting_issues=leaves[:20],
    )
    for index in range(3):
        name = default_storage.save(f"attachments/GBR0002s/{index}.pdf", ContentFile(b"%PDF"))
        Attachment.objects.create(strategy=large, file=name, title=f"Part {index}")
    assert small.articles.count() + small.cross_cutting_issues.count() == 2
    tags = large.crime_types.count() + large.articles.count() + large.cross_cutting_issues.count()
    assert tags == 40

    # The facet index and the vocabularies, read once per catalogue version.
    client.get("/strategies/")
    client.get("/strategies/GBR0001s/")
    with django_assert_num_queries(PAGE_QUERIES):
        small_html = page(client, "/strategies/GBR0001s/")
    with django_assert_num_queries(PAGE_QUERIES + 1):
        large_html = page(client, "/strategies/GBR0002s/")
    assert len(PageLinks(large_html).hrefs("/articles/")) == 14
    assert large_html.count('class="tagged"') == 20
    assert small_html.count('class="tagged"') == 1
    assert "Related strategies" in small_html  # GBR0002s shares both of its tags


def test_related_strategies_from_the_index_equal_those_from_sql(settings):
    """The bitmap scoring (bit planes, a score threshold, ties by the newest order) ranks exactly
    as the SQL scoring does, over a generated catalogue full of ties, and still does once
    strategies were deleted (on PostgreSQL the index is then patched and keeps their positions
    empty)."""
    call_command("generate_strategies", 60, seed=8, no_progress=True)
    make_strategy("FRA0001s", status="published")  # no tags: nothing related

    def compare_engines():
        for strategy in Strategy.objects.published().order_by("pk"):
            for limit in (1, 5, 12):
                settings.SEARCH_ENGINE = "index"
                by_index = [(s.strategy_id, s.score) for s in related_strategies(strategy, limit)]
                settings.SEARCH_ENGINE = "sql"
                by_sql = [(s.strategy_id, s.score) for s in related_strategies(strategy, limit)]
                assert by_index == by_sql, (strategy.strategy_id, limit)

    compare_engines()
    for strategy in Strategy.objects.published().order_by("-adoption_date")[:3]:
        delete_strategy(strategy)
    Strategy.objects.filter(pk=Strategy.objects.published().order_by("pk").first().pk).delete()
    compare_engines()


def test_related_scores_count_any_number_of_shared_tags():
    """Counts past 255 (more than 8 bit planes) are not cut short."""
    rng = np.random.default_rng(3)
    size = 1000
    rows = [np.packbits(rng.random(size) < 0.9, bitorder="little") for _ in range(300)]
    rows = [np.pad(row, (0, -len(row) % 8)).view(np.uint64) for row in rows]
    mask = np.packbits(rng.random(size) < 0.5, bitorder="little")
    mask = np.pad(mask, (0, -len(mask) % 8)).view(np.uint64)
    expected = sum(np.unpackbits(row.view(np.uint8), bitorder="little")[:size].astype(int)
                   for row in rows)  # fmt: skip
    expected[np.unpackbits(mask.view(np.uint8), bitorder="little")[:size] == 0] = 0
    assert expected.max() > 255
    assert _scores(rows, mask, size).tolist() == expected.tolist()
