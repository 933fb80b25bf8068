"""One strategy: its canonical form, drafts kept from anonymous clients, and editors' writes,
validated as the admin and the importers validate them."""

import pytest

from strategies.canonical import to_canonical
from strategies.models import Strategy

pytestmark = pytest.mark.django_db

LIST = "/api/v1/strategies/"


def detail(strategy_id: str) -> str:
    return f"/api/v1/strategies/{strategy_id}/"


NEW = {
    "strategy_id": "NLD0001s",
    "title": "National Organised Crime Programme",
    "jurisdiction": "NLD",
    "adoption_date": "2022-05-01",
    "status": "published",
    "crime_types": ["drugs"],
    "articles": ["UNTOC-11", "UNTOC-5"],
    "cross_cutting_issues": ["prevention/risk-factors"],
}


def test_a_strategy_in_canonical_form(api, catalogue):
    response = api.get(detail("GBR0001s"))
    assert response.status_code == 200
    strategy = Strategy.objects.with_tags().get(strategy_id="GBR0001s")
    assert response.json() == {
        **to_canonical(strategy),
        "url": "http://testserver/api/v1/strategies/GBR0001s/",
    }


def test_an_unknown_strategy_is_a_json_404(api, catalogue):
    response = api.get(detail("GBR9999s"))
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no strategy GBR9999s.", "errors": {}}


def test_drafts_are_invisible_to_anonymous_clients(api, catalogue):
    assert api.get(detail("GBR0003s")).status_code == 404
    ids = [item["strategy_id"] for item in api.get(LIST, {"page_size": 100}).json()["results"]]
    assert "GBR0003s" not in ids
    exported = b"".join(api.get(f"{LIST}export.jsonl").streaming_content).decode()
    assert "GBR0003s" not in exported


def test_editors_read_drafts_everywhere(editor, catalogue):
    assert editor.get(detail("GBR0003s")).json()["status"] == "draft"
    body = editor.get(LIST, {"page_size": 100, "facets": "crime_type"}).json()
    assert body["count"] == 7
    assert "GBR0003s" in [item["strategy_id"] for item in body["results"]]
    drugs = next(v for v in body["facets"]["crime_type"] if v["code"] == "drugs")
    assert drugs["count"] == 5
    exported = b"".join(editor.get(f"{LIST}export.jsonl").streaming_content).decode()
    assert "GBR0003s" in exported


def test_a_token_without_permission_still_reads_only_published(reader, catalogue):
    assert reader.get(detail("GBR0003s")).status_code == 404
    assert reader.get(LIST).json()["count"] == 6


def test_an_unknown_token_is_a_401(api, catalogue):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api.get(LIST)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "errors": {}}


# -- creating -----------------------------------------------------------------------------------


def test_anonymous_clients_cannot_write(api, catalogue):
    response = api.post(LIST, NEW, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"] == "Authentication credentials were not provided."
    assert api.put(detail("GBR0001s"), NEW, format="json").status_code == 401
    assert api.patch(detail("GBR0001s"), {"title": "x"}, format="json").status_code == 401
    assert not Strategy.objects.filter(strategy_id="NLD0001s").exists()


def test_signed_in_without_permission_is_a_403(reader, catalogue):
    response = reader.post(LIST, NEW, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to perform this action.",
        "errors": {},
    }
    assert reader.patch(detail("GBR0001s"), {"title": "x"}, format="json").status_code == 403
    assert Strategy.objects.get(strategy_id="GBR0001s").title != "x"


def test_adding_without_changing_is_not_enough_to_update(token_client, catalogue):
    adder = token_client("adder", "add_strategy", "publish_strategy")
    assert adder.post(LIST, NEW, format="json").status_code == 201
    assert adder.patch(detail("NLD0001s"), {"title": "x"}, format="json").status_code == 403


def test_an_editor_creates_a_strategy(editor, catalogue):
    response = editor.post(LIST, NEW, format="json")
    assert response.status_code == 201, response.json()
    assert response["Location"] == "http://testserver/api/v1/strategies/NLD0001s/"
    assert response["ETag"]
    body = response.json()
    assert body["articles"] == ["UNTOC-5", "UNTOC-11"]  # canonical order
    assert body["language"] == "en"
    stored = Strategy.objects.with_tags().get(strategy_id="NLD0001s")
    assert {**to_canonical(stored), "url": response["Location"]} == body


def test_defaults_fill_what_the_body_leaves_out(editor, catalogue):
    body = {"strategy_id": "GBR0004s", "title": "Another plan", "jurisdiction": "GBR"}
    response = editor.post(LIST, body, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    assert response.json()["crime_types"] == []


def test_creating_needs_an_id(editor, catalogue):
    response = editor.post(LIST, {"title": "Another plan", "jurisdiction": "GBR"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"non_field_errors": ["“strategy_id” is required"]}


def test_validation_errors_name_each_field(editor, catalogue):
    response = editor.post(
        LIST,
        {**NEW, "jurisdiction": "XXX", "articles": ["UNTOC-99"], "crime_types": ["drugs", "x"]},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["jurisdiction"] == ["unknown jurisdiction code: XXX"]
    assert errors["articles"] == ["unknown article code: UNTOC-99"]
    assert errors["crime_types"] == ["unknown crime type: x"]
    assert not Strategy.objects.filter(strategy_id="NLD0001s").exists()


def test_model_rules_are_checked_too(editor, catalogue):
    response = editor.post(LIST, {**NEW, "strategy_id": "FRA0009s"}, format="json")
    assert response.status_code == 400
    assert "strategy_id" in response.json()["errors"]
    response = editor.post(LIST, {**NEW, "title": ""}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()["errors"]


def test_a_body_that_is_not_the_canonical_form_is_a_400(editor, catalogue):
    for body, words in [
        ({**NEW, "colour": "blue"}, "unknown field(s) colour"),
        ({**NEW, "adoption_date": "2022-02-30"}, "“adoption_date”"),
        ({**NEW, "title": 7}, "“title” must be a string"),
        (["not", "an", "object"], "expected a JSON object"),
    ]:
        response = editor.post(LIST, body, format="json")
        assert response.status_code == 400, body
        assert words in response.json()["errors"]["non_field_errors"][0], body


def test_posting_an_existing_id_changes_nothing(editor, catalogue):
    before = to_canonical(Strategy.objects.with_tags().get(strategy_id="GBR0001s"))
    response = editor.post(
        LIST, {**NEW, "strategy_id": "GBR0001s", "jurisdiction": "GBR"}, format="json"
    )
    assert response.status_code == 400
    assert "already exists" in response.json()["errors"]["strategy_id"][0]
    assert to_canonical(Strategy.objects.with_tags().get(strategy_id="GBR0001s")) == before


def test_a_body_that_is_not_json_is_a_415(editor, catalogue):
    response = editor.post(LIST, "title=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["errors"] == {}
    response = editor.post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


# -- changing -----------------------------------------------------------------------------------


def test_put_replaces_the_whole_record(editor, catalogue):
    response = editor.put(
        detail("GBR0001s"),
        {"title": "Renamed", "jurisdiction": "GBR", "crime_types": ["cybercrime"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["strategy_id"], body["title"], body["crime_types"]) == (
        "GBR0001s", "Renamed", ["cybercrime"],
    )  # fmt: skip
    assert body["articles"] == []  # left out: cleared, as a PUT replaces
    assert body["status"] == "draft"


def test_patch_changes_only_the_fields_given(editor, catalogue):
    response = editor.patch(detail("GBR0001s"), {"title": "Renamed"}, format="json")
    assert response.status_code == 200, response.json()
    stored = to_canonical(Strategy.objects.with_tags().get(strategy_id="GBR0001s"))
    assert stored["title"] == "Renamed"
    assert stored["articles"] == ["UNTOC-5", "UNTOC-11"]
    assert stored["status"] == "published"


def test_patch_is_validated_as_a_whole(editor, catalogue):
    response = editor.patch(
        detail("GBR0001s"), {"cross_cutting_issues": ["prevention"]}, format="json"
    )
    assert response.status_code == 400
    assert "not a leaf" in response.json()["errors"]["cross_cutting_issues"][0]


def test_the_id_cannot_change(editor, catalogue):
    response = editor.patch(detail("GBR0001s"), {"strategy_id": "GBR0009s"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["strategy_id"]
    assert not Strategy.objects.filter(strategy_id="GBR0009s").exists()


def test_put_does_not_create(editor, catalogue):
    response = editor.put(detail("NLD0001s"), NEW, format="json")
    assert response.status_code == 404
    assert not Strategy.objects.filter(strategy_id="NLD0001s").exists()


def test_editors_can_change_drafts(editor, catalogue):
    response = editor.patch(detail("GBR0003s"), {"status": "published"}, format="json")
    assert response.status_code == 200
    assert Strategy.objects.get(strategy_id="GBR0003s").status == "published"


@pytest.mark.parametrize("client_name", ["api", "reader", "editor"])
def test_delete_is_not_offered(request, catalogue, client_name):
    client = request.getfixturevalue(client_name)
    response = client.delete(detail("GBR0001s"))
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.', "errors": {}}
    assert Strategy.objects.filter(strategy_id="GBR0001s").exists()


def test_a_write_that_changes_nothing_adds_no_history_entry(editor, catalogue):
    stored = Strategy.objects.get(strategy_id="GBR0001s")
    entries = stored.history.count()
    before = to_canonical(Strategy.objects.with_tags().get(strategy_id="GBR0001s"))
    response = editor.patch(detail("GBR0001s"), {"title": stored.title}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == stored.title
    assert stored.history.count() == entries
    assert Strategy.objects.get(strategy_id="GBR0001s").updated_at == stored.updated_at
    # A real change is recorded as ever.
    response = editor.patch(detail("GBR0001s"), {"articles": ["UNTOC-5"]}, format="json")
    assert response.status_code == 200, response.json()
    assert stored.history.count() == entries + 1
    assert to_canonical(Strategy.objects.with_tags().get(strategy_id="GBR0001s")) == {
        **before,
        "articles": ["UNTOC-5"],
    }
