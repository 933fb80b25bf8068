"""What every API response shares: its language, throttling, CORS, and query counts that do not
grow with the page or the tags."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from strategies.models import Strategy
from taxonomy.models import CrimeType
from tests.conftest import postgresql_only
from tests.strategies.factories import make_strategy

pytestmark = pytest.mark.django_db

LIST = "/api/v1/strategies/"
ORIGIN = "https://research.example.org"

# -- language -----------------------------------------------------------------------------------


DRUGS = {
    "en": "Drug offences",
    "fr": "Infractions liées aux drogues",
    "es": "Delitos relacionados con las drogas",
}


@pytest.fixture
def translated(db):
    CrimeType.objects.filter(slug="drugs").update(
        name_en=DRUGS["en"], name_fr=DRUGS["fr"], name_es=DRUGS["es"], name_ar=None
    )


def crime_type_names(response) -> dict[str, str]:
    return {item["slug"]: item["name"] for item in response.json()}


def test_labels_in_the_language_asked_for(api, translated):
    english = api.get("/api/v1/crime-types/")
    assert english["Content-Language"] == "en"
    assert crime_type_names(english)["drugs"] == DRUGS["en"]
    french = api.get("/api/v1/crime-types/", {"lang": "fr"})
    assert french["Content-Language"] == "fr"
    assert "Accept-Language" in french["Vary"]
    assert crime_type_names(french)["drugs"] == DRUGS["fr"]


def test_accept_language_when_no_lang_parameter(api, translated):
    response = api.get("/api/v1/crime-types/", HTTP_ACCEPT_LANGUAGE="de, es;q=0.8, en;q=0.5")
    assert response["Content-Language"] == "es"  # German is not a catalogue language: skipped
    assert crime_type_names(response)["drugs"] == DRUGS["es"]
    response = api.get("/api/v1/crime-types/", {"lang": "ru"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response["Content-Language"] == "ru"
    response = api.get("/api/v1/crime-types/", {"lang": "zh-Hans"})
    assert response["Content-Language"] == "zh-hans"
    response = api.get("/api/v1/crime-types/", HTTP_ACCEPT_LANGUAGE="de, *")
    assert response["Content-Language"] == "en"


def test_a_missing_translation_falls_back_to_english(api, translated):
    response = api.get("/api/v1/crime-types/", {"lang": "ar"})
    assert response["Content-Language"] == "ar"
    assert crime_type_names(response)["drugs"] == DRUGS["en"]


def test_an_unknown_language_is_a_400(api, db):
    response = api.get("/api/v1/crime-types/", {"lang": "xx"})
    assert response.status_code == 400
    assert response.json()["errors"]["lang"] == [
        "“xx” is not a language of the catalogue; use one of en, zh-hans, fr, es, ru, ar."
    ]


def test_facet_labels_and_messages_speak_the_language(api, catalogue, translated):
    body = api.get(LIST, {"facets": "crime_type", "lang": "es"}).json()
    labels = {value["code"]: value["label"] for value in body["facets"]["crime_type"]}
    assert labels["drugs"] == DRUGS["es"]
    response = api.get(LIST, {"article": "UNTOC-99", "lang": "fr"})
    with translation.override("fr"):
        from django.forms import MultipleChoiceField

        message = MultipleChoiceField.default_error_messages["invalid_choice"] % {
            "value": "UNTOC-99"
        }
    assert response.json()["errors"]["article"] == [message]
    assert response["Content-Language"] == "fr"


# -- throttling ---------------------------------------------------------------------------------


def rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000/min", "export": "1000/min", **rates},
    }


def test_anonymous_clients_are_throttled_with_a_json_429(api, catalogue, settings):
    rates(settings, anon="3/min")
    for _ in range(3):
        assert api.get(LIST).status_code == 200
    response = api.get("/api/v1/regions/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Request was throttled.")
    assert response.json()["errors"] == {}


def test_exports_have_a_stricter_rate(api, catalogue, settings):
    rates(settings, anon="10/min", export="1/min")
    assert api.get(f"{LIST}export.csv").status_code == 200
    assert api.get(f"{LIST}export.jsonl").status_code == 429
    assert api.get(LIST).status_code == 200


def test_editors_are_not_throttled(editor, catalogue, settings):
    rates(settings, anon="1/min", export="1/min")
    for _ in range(3):
        assert editor.get(LIST).status_code == 200
        assert editor.get(f"{LIST}export.csv").status_code == 200


def test_clients_are_told_apart_by_ip_address(api, catalogue, settings):
    rates(settings, anon="1/min")
    assert api.get(LIST, REMOTE_ADDR="192.0.2.1").status_code == 200
    assert api.get(LIST, REMOTE_ADDR="192.0.2.2").status_code == 200
    assert api.get(LIST, REMOTE_ADDR="192.0.2.1").status_code == 429


def test_forwarded_addresses_count_only_behind_trusted_proxies(api, catalogue, settings):
    rates(settings, anon="1/min")
    # No trusted proxy (the default): X-Forwarded-For is the client's to forge, and is ignored.
    assert api.get(LIST, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert api.get(LIST, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert api.get(LIST, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert api.get(LIST, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200
    # Only the address the trusted proxy saw counts, not what the client prepended.
    assert api.get(LIST, HTTP_X_FORWARDED_FOR="10.0.0.9, 203.0.113.1").status_code == 429


# -- CORS ---------------------------------------------------------------------------------------


def test_any_origin_may_read(api, catalogue):
    response = api.get(LIST, HTTP_ORIGIN=ORIGIN)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "etag" in response["Access-Control-Expose-Headers"]


def test_a_read_preflight_passes(api, db):
    response = api.options(
        LIST,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match, accept-language",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert set(response["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert "if-none-match" in response["Access-Control-Allow-Headers"]


def test_a_write_preflight_is_refused(api, db):
    response = api.options(
        LIST,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    # The browser refuses what the answer does not allow: neither the method nor the headers.
    assert "POST" not in response["Access-Control-Allow-Methods"]
    assert "authorization" not in response["Access-Control-Allow-Headers"]
    assert "content-type" not in response["Access-Control-Allow-Headers"]


def test_cors_is_only_for_the_api(client, db):
    response = client.get("/", HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in response


# -- query counts -------------------------------------------------------------------------------


@pytest.fixture(params=["index", "sql"])
def engine(request, settings):
    settings.SEARCH_ENGINE = request.param
    return request.param


@pytest.fixture
def heavily_tagged(db):
    """30 strategies, each with many tags of every kind and an attachment-free record."""
    for number in range(1, 31):
        make_strategy(
            f"NLD{number:04d}s",
            title=f"Plan {number}",
            status="published",
            crime_types=["drugs", "corruption", "firearms", "cybercrime", "piracy"],
            articles=[f"UNTOC-{n}" for n in range(2, 12)],
            cross_cutting_issues=[
                "prevention/risk-factors",
                "prevention/awareness-raising",
                "investigation/measures/identify-trace-freeze-seize",
                "investigation/measures/access-to-financial-records",
            ],
        )
    make_strategy("NLD0099s", title="Lightly tagged", status="published", crime_types=["drugs"])


# Anonymous, no filter: the page of rows, its attachments and its issues; with the SQL engine
# two more (crime types, articles with instruments) and the aggregate for the count and
# validators; with the index engine, which holds the crime types and articles, the catalogue
# version (which also stands for the data in the validators).
LIST_QUERIES = {"index": 4, "sql": 6}


def test_a_list_page_costs_the_same_queries_whatever_its_size(
    api, heavily_tagged, engine, django_assert_num_queries
):
    api.get(LIST)  # builds the facet index once
    for size in (1, 31, 100):
        with django_assert_num_queries(LIST_QUERIES[engine]):
            body = api.get(LIST, {"page_size": size}).json()
        assert len(body["results"]) == min(size, 31)


@postgresql_only("relevance ranking is PostgreSQL's")
def test_a_word_search_is_ranked_once_per_request(api, heavily_tagged):
    """The list counts the matches for its validators, then pages through them: one ranking."""
    api.get(LIST, {"q": "plan"})  # the matches themselves are kept by the index
    with CaptureQueriesContext(connection) as queries:
        body = api.get(LIST, {"q": "plan"}).json()
    assert body["count"] > 0
    # The ranking query; the page's rows are then read in that order, without ranking them again.
    ranking = [q for q in queries if "ts_rank" in q["sql"]]
    assert len(ranking) == 1


@postgresql_only("snippets are PostgreSQL's ts_headline")
@pytest.mark.parametrize(
    "url",
    [
        LIST,
        "/api/v1/strategies/export.csv",
        "/api/v1/strategies/export.jsonl",
        "/strategies/export.csv",
        "/strategies/export.jsonl",
    ],
)
def test_only_the_search_page_makes_snippets(api, heavily_tagged, engine, url):
    """A snippet costs PostgreSQL a pass over the whole summary (about 1 ms a row): the search
    page shows them, but the API and the exports do not, and a word search's export of 10,000
    rows would spend seconds making snippets to throw away."""
    for _ in range(2):  # the first time builds the index and finds the matches
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url, {"q": "plan", **({"page_size": 50} if url == LIST else {})})
            body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert body.count(b"Plan ") >= 30  # every match is there, its title in full
    assert not [q for q in queries if "ts_headline" in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        page = api.get("/strategies/", {"q": "plan"})
    assert page.status_code == 200
    assert len([q for q in queries if "ts_headline" in q["sql"]]) == 1


def test_facets_add_a_fixed_number_of_queries(
    api, heavily_tagged, engine, django_assert_num_queries
):
    api.get(LIST, {"facets": "crime_type,issue"})
    # With SQL each facet reads its labels and counts with a GROUP BY; the index engine reads
    # labels once per language and catalogue version (the warm-up request above did).
    facet_queries = {"index": 0, "sql": 4}[engine]
    with django_assert_num_queries(LIST_QUERIES[engine] + facet_queries) as small:
        api.get(LIST, {"facets": "crime_type,issue", "page_size": 1})
    with django_assert_num_queries(len(small.captured_queries)):
        api.get(LIST, {"facets": "crime_type,issue", "page_size": 100})


def test_a_record_costs_five_queries_however_many_tags(
    api, heavily_tagged, django_assert_num_queries
):
    for strategy_id in ("NLD0099s", "NLD0001s"):
        with django_assert_num_queries(5):
            assert api.get(f"{LIST}{strategy_id}/").status_code == 200
    assert Strategy.objects.get(strategy_id="NLD0001s").articles.count() == 10
