"""The OpenAPI schema: generated without a warning, and every GET endpoint answers as it says
(schemathesis, in process against the WSGI application)."""

import re
import time
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

pytestmark = pytest.mark.django_db

# Examples per operation, by whether it searches strategies (many parameters) or lists a
# vocabulary (only the language), bounded so that both runs stay well under a minute.
EXAMPLES = {
    True: {GenerationMode.POSITIVE: 60, GenerationMode.NEGATIVE: 30},
    False: {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 10},
}


def test_the_schema_is_valid_and_complete(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/v1/strategies/:",
        "/api/v1/strategies/{strategy_id}/:",
        "/api/v1/strategies/export.csv:",
        "/api/v1/strategies/export.jsonl:",
        "/api/v1/jurisdictions/:",
        "/api/v1/regions/:",
        "/api/v1/crime-types/:",
        "/api/v1/instruments/:",
        "/api/v1/cross-cutting-issues/:",
    ):
        assert f"  {path}\n" in text, path


def test_the_docs_page_is_served_with_local_assets_and_no_inline_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in assets
    # No CDN, and the start-up script is a file too, as the Content-Security-Policy requires.
    assert all(asset.startswith("/api/docs/") or asset.startswith("/static/") for asset in assets)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    script = client.get("/api/docs/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


@pytest.fixture
def wsgi_app():
    """The real WSGI application, kept from closing the test's database connection at the end of
    each request (as Django's own test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(catalogue, settings, wsgi_app):
    settings.ALLOWED_HOSTS = ["localhost"]  # the host schemathesis's WSGI client sends
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)


def cases(operation, mode: GenerationMode):
    """Generated requests; a record's URL also with IDs that exist, so that 200s are checked."""
    generated = operation.as_strategy(generation_mode=mode)
    if "{strategy_id}" not in operation.path:
        return generated
    known = [
        operation.as_strategy(generation_mode=mode, path_parameters={"strategy_id": strategy_id})
        for strategy_id in ("GBR0001s", "GBR0003s", "ZAF0001s")  # GBR0003s: a draft, 404
    ]
    return st.one_of(generated, *known)


@pytest.mark.parametrize(
    ("mode", "checks"),
    [
        # Schema-valid requests: every default check, including that they are accepted.
        (GenerationMode.POSITIVE, {}),
        # Schema-violating ones: no server error and a documented answer. An empty parameter
        # counts as absent, as on the search page, so "rejected" is not required.
        (GenerationMode.NEGATIVE, {"excluded_checks": [negative_data_rejection]}),
    ],
    ids=["positive", "negative"],
)
def test_every_get_endpoint_answers_as_its_schema_says(api_schema, mode, checks):
    operations = [result.ok() for result in api_schema.include(method="GET").get_all_operations()]
    assert len(operations) == 10
    statuses: dict[str, Counter] = {operation.label: Counter() for operation in operations}
    started = time.monotonic()
    for operation in operations:
        searches = operation.path.startswith("/api/v1/strategies/")

        @given(case=cases(operation, mode))
        @settings(
            max_examples=EXAMPLES[searches][mode],
            deadline=None,
            derandomize=True,  # the same examples on every run: CI does not flicker
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case):
            response = case.call_and_validate(**checks)
            statuses[case.operation.label][response.status_code] += 1

        answers_as_documented()

    total = sum(sum(counter.values()) for counter in statuses.values())
    print(f"\nschemathesis {mode.value}: {total} requests in {time.monotonic() - started:.1f} s")
    for label, counter in statuses.items():
        print(f"  {label}: {dict(sorted(counter.items()))}")
    if mode == GenerationMode.POSITIVE:
        # The schema is precise enough for valid requests to reach real answers.
        assert statuses["GET /api/v1/strategies/"][200] > 0
        assert statuses["GET /api/v1/strategies/{strategy_id}/"][200] > 0


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_writes_as_an_editor_never_fail_with_a_server_error(api_schema, token_client, mode):
    """POST, PUT and PATCH fuzzed as an editor holding every write permission, against the
    test database: whatever the body, the answer is a documented 2xx or 4xx, never a 5xx, and a
    refused write says why in the API's error shape."""
    editor = token_client("fuzzing-editor", "add_strategy", "change_strategy", "publish_strategy")
    authorization = editor._credentials["HTTP_AUTHORIZATION"]
    operations = [
        result.ok()
        for method in ("POST", "PUT", "PATCH")
        for result in api_schema.include(method=method).get_all_operations()
    ]
    assert len(operations) == 3
    statuses: Counter = Counter()

    for operation in operations:

        @given(case=cases(operation, mode))
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def never_a_server_error(case):
            response = case.call(headers={"Authorization": authorization})
            statuses[f"{case.method} {response.status_code}"] += 1
            assert response.status_code < 500, (case.method, case.body, response.text[:500])
            if response.status_code >= 400:
                assert "detail" in response.json()

        never_a_server_error()

    print(f"\nschemathesis writes ({mode.value}): {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) > 0
