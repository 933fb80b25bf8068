"""The Atom feed of newly published strategies, whole or for one search."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from strategies.models import Status, Strategy

from .factories import make_strategy

pytestmark = pytest.mark.django_db

D = datetime.date
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def catalogue():
    make_strategy(
        "GBR0007s",
        title="Serious & Organised Crime Strategy",
        status="published",
        adoption_date=D(2018, 11, 1),
        crime_types=["drugs", "corruption"],
        summary="<p>Disrupt <em>networks</em>.</p>",
    )
    make_strategy(
        "FRA0001s",
        title="Stratégie nationale",
        status="published",
        adoption_date=D(2020, 6, 1),
        crime_types=["cybercrime"],
    )
    make_strategy("ZAF0001s", title="Firearms strategy", status="published", crime_types=["drugs"])
    make_strategy("GBR0008s", title="Unpublished draft", status="draft", crime_types=["drugs"])


def feed(client, url="/strategies/feed/") -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{ATOM}entry")


def ids(root: ET.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}id") for entry in entries(root)]


def test_feed_lists_published_strategies_with_their_details(client, catalogue):
    root = feed(client)
    assert root.findtext(f"{ATOM}title").startswith("Strategies against organized crime")
    # Same publication day: newest adoption first, undated last.
    assert ids(root) == [
        "http://testserver/strategies/FRA0001s/",
        "http://testserver/strategies/GBR0007s/",
        "http://testserver/strategies/ZAF0001s/",
    ]
    gbr = entries(root)[1]
    assert gbr.findtext(f"{ATOM}title") == "Serious & Organised Crime Strategy"
    assert gbr.find(f"{ATOM}link").get("href") == "http://testserver/strategies/GBR0007s/"
    summary = gbr.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert summary.text == "<p>Disrupt <em>networks</em>.</p>"
    assert [c.get("term") for c in gbr.findall(f"{ATOM}category")] == [
        "Corruption",
        "Drug offences",
    ]
    assert gbr.findtext(f"{ATOM}author/{ATOM}name") == "United Kingdom"
    updated = datetime.datetime.fromisoformat(gbr.findtext(f"{ATOM}updated"))
    assert updated == Strategy.objects.get(strategy_id="GBR0007s").updated_at


def test_drafts_are_never_in_the_feed(client, catalogue):
    body = client.get("/strategies/feed/?crime_type=drugs").content.decode()
    assert "GBR0008s" not in body
    assert "Unpublished draft" not in body


def test_newly_published_comes_first_even_if_adopted_long_ago(client, catalogue):
    yesterday = timezone.now() - datetime.timedelta(days=1)
    Strategy.objects.exclude(strategy_id="ZAF0001s").update(updated_at=yesterday)
    assert ids(feed(client))[0] == "http://testserver/strategies/ZAF0001s/"


def test_feed_for_a_search_has_only_its_results_and_links_back_to_it(client, catalogue):
    root = feed(client, "/strategies/feed/?crime_type=drugs&adopted_to=2019")
    assert ids(root) == ["http://testserver/strategies/GBR0007s/"]
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["alternate"] == "http://testserver/strategies/?crime_type=drugs&adopted_to=2019"
    assert links["self"] == "http://testserver/strategies/feed/?crime_type=drugs&adopted_to=2019"
    # The feed's own id differs from the whole catalogue's.
    assert root.findtext(f"{ATOM}id") != feed(client).findtext(f"{ATOM}id")


def test_feed_in_another_language_uses_its_names_and_urls(client, catalogue):
    root = feed(client, "/fr/strategies/feed/?jurisdiction=GBR")
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    entry = entries(root)[0]
    assert entry.findtext(f"{ATOM}id") == "http://testserver/fr/strategies/GBR0007s/"
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Royaume-Uni"


def test_feed_has_at_most_fifty_entries(client):
    Strategy.objects.bulk_create(
        Strategy(
            strategy_id=f"GBR{number:04d}s",
            title=f"Strategy {number}",
            jurisdiction_id="GBR",
            adoption_date=D(2000, 1, 1) + datetime.timedelta(days=number),
            status=Status.PUBLISHED,
        )
        for number in range(1, 56)
    )
    root = feed(client)
    assert len(entries(root)) == 50
    assert ids(root)[0] == "http://testserver/strategies/GBR0055s/"


@pytest.mark.parametrize(
    ("query", "parameter", "value"),
    [
        ("crime_type=shoplifting", "crime_type", "shoplifting"),
        ("adopted_to=soon", "adopted_to", "soon"),
    ],
)
def test_invalid_parameter_is_a_plain_text_400(client, query, parameter, value):
    response = client.get(f"/strategies/feed/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{parameter}: ")
    assert value in response.content.decode()


def test_feed_query_count_does_not_grow_with_entries(client, catalogue, django_assert_num_queries):
    # The strategies with their jurisdictions, then the crime types of all of them.
    with django_assert_num_queries(2):
        assert len(entries(feed(client))) == 3
    make_strategy("DEU0001s", status="published", crime_types=["drugs", "firearms"])
    with django_assert_num_queries(2):
        assert len(entries(feed(client))) == 4
