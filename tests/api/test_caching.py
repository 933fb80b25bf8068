"""ETag and Last-Modified on lists and records; a conditional request that still holds is a 304
that costs one query."""

import pytest
from django.utils.http import http_date, parse_http_date

from strategies.models import Strategy

pytestmark = pytest.mark.django_db

LIST = "/api/v1/strategies/"
RECORD = "/api/v1/strategies/GBR0001s/"


def test_a_list_answers_304_while_nothing_matching_changed(api, catalogue):
    first = api.get(LIST, {"crime_type": "drugs"})
    etag = first["ETag"]
    assert etag.startswith('W/"')
    assert first["Cache-Control"] == "no-cache"
    # Never older than the newest matching strategy. The index engine dates the whole catalogue
    # (any write moves it), so it may be a later strategy's time: the fixture's strategies are
    # saved over a second boundary now and then.
    latest = Strategy.objects.published().filter(crime_types__slug="drugs").latest("updated_at")
    newest = Strategy.all_objects.latest("updated_at")
    assert (
        int(latest.updated_at.timestamp())
        <= parse_http_date(first["Last-Modified"])
        <= int(newest.updated_at.timestamp())
    )

    again = api.get(LIST, {"crime_type": "drugs"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    since = api.get(LIST, {"crime_type": "drugs"}, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


def test_a_change_to_a_matching_strategy_changes_the_etag(api, editor, catalogue):
    etag = api.get(LIST, {"crime_type": "drugs"})["ETag"]
    editor.patch(RECORD, {"title": "Renamed"}, format="json")
    response = api.get(LIST, {"crime_type": "drugs"}, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_the_etag_depends_on_the_query_the_language_and_drafts(api, editor, catalogue):
    etags = {
        api.get(LIST)["ETag"],
        api.get(LIST, {"page": 1})["ETag"],
        api.get(LIST, {"facets": "year"})["ETag"],
        api.get(LIST, {"lang": "fr"})["ETag"],
        editor.get(LIST)["ETag"],
    }
    assert len(etags) == 5
    assert editor.get(LIST)["Cache-Control"] == "no-cache, private"


def test_a_304_costs_one_query(api, catalogue, django_assert_num_queries):
    etag = api.get(LIST)["ETag"]
    with django_assert_num_queries(1):
        assert api.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_record_answers_304_until_it_changes(api, editor, catalogue):
    first = api.get(RECORD)
    strategy = Strategy.objects.get(strategy_id="GBR0001s")
    assert first["Last-Modified"] == http_date(strategy.updated_at.timestamp())
    assert api.get(RECORD, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert api.get(RECORD, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304

    changed = editor.patch(RECORD, {"title": "Renamed"}, format="json")
    assert changed["ETag"] != first["ETag"]
    response = api.get(RECORD, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200
    assert response["ETag"] == changed["ETag"]


def test_a_stale_or_malformed_validator_gets_the_full_response(api, catalogue):
    assert api.get(RECORD, HTTP_IF_NONE_MATCH='W/"stale"').status_code == 200
    assert api.get(RECORD, HTTP_IF_MODIFIED_SINCE="yesterday").status_code == 200
