"""Deleting a strategy only marks it: it vanishes from every public face of the catalogue, the
admin lists it under "Deleted strategies" and can restore it, and its ID stays its own."""

import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from strategies.facet_index import current_index
from strategies.models import Status, Strategy
from strategies.search import StrategyQuery, StrategySearch
from strategies.services import delete_strategy, next_strategy_id, restore_strategy
from strategies.synthetic import generate, remove_synthetic

from .factories import make_strategy
from .test_admin import form_data

pytestmark = pytest.mark.django_db

GONE = "Vanishing Organised Crime Strategy"
KEPT = "Remaining Organised Crime Strategy"
CHANGELIST = "admin:strategies_strategy_changelist"


@pytest.fixture(params=["index", "sql"])
def engine(request, settings):
    settings.SEARCH_ENGINE = request.param
    return request.param


@pytest.fixture
def pair(db):
    """Two published strategies sharing every tag; the first is then deleted."""
    common = {
        "status": Status.PUBLISHED,
        "adoption_date": datetime.date(2020, 5, 1),
        "crime_types": ["drugs"],
        "articles": ["UNTOC-5"],
        "cross_cutting_issues": ["prevention/risk-factors"],
        "summary": "<p>Disrupt networks.</p>",
    }
    gone = make_strategy("GBR0001s", title=GONE, **common)
    kept = make_strategy("GBR0002s", title=KEPT, **common)
    return gone, kept


@pytest.fixture
def api_editor():
    user = User.objects.create_superuser("api-editor", password="unused")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def text(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# -- the service -------------------------------------------------------------------------------


def test_deleting_marks_the_record_and_keeps_everything_for_a_restore(pair, admin_user):
    gone, _kept = pair
    assert delete_strategy(gone, admin_user) is True
    assert not Strategy.objects.filter(pk=gone.pk).exists()
    stored = Strategy.all_objects.get(pk=gone.pk)
    assert stored.deleted_at is not None and stored.deleted_by == admin_user
    assert list(stored.crime_types.values_list("slug", flat=True)) == ["drugs"]
    entry = stored.history.first()
    assert (entry.history_user, entry.history_change_reason) == (admin_user, "Deleted")
    assert entry.deleted_at == stored.deleted_at
    assert [row.crimetype.slug for row in entry.crime_types.all()] == ["drugs"]

    assert delete_strategy(gone, admin_user) is False  # already deleted: nothing more happens
    assert stored.history.count() == 2

    assert restore_strategy(gone, admin_user) is True
    restored = Strategy.objects.get(pk=gone.pk)
    assert (restored.deleted_at, restored.deleted_by, restored.status) == (
        None, None, Status.PUBLISHED,
    )  # fmt: skip
    assert restored.history.first().history_change_reason == "Restored"
    assert restore_strategy(gone, admin_user) is False


def test_a_deleted_strategys_id_is_never_handed_out_again(pair):
    gone, kept = pair
    delete_strategy(kept)
    assert next_strategy_id("GBR") == "GBR0003s"
    delete_strategy(gone)
    assert next_strategy_id("GBR") == "GBR0003s"


def test_saving_a_deleted_strategys_id_restores_and_updates_it(pair):
    gone, _kept = pair
    delete_strategy(gone)
    strategy = make_strategy("GBR0001s", title="Brought back", status=Status.PUBLISHED)
    assert strategy.pk == gone.pk
    assert (strategy.title, strategy.deleted_at) == ("Brought back", None)
    assert Strategy.objects.filter(pk=gone.pk).exists()


def test_djangos_unique_validation_sees_deleted_ids(pair):
    gone, _kept = pair
    delete_strategy(gone)
    twin = Strategy(strategy_id="GBR0001s", title="Twin", jurisdiction_id="GBR")
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "belongs to a deleted strategy" in error.value.message_dict["strategy_id"][0]
    live_twin = Strategy(strategy_id="GBR0002s", title="Twin", jurisdiction_id="GBR")
    with pytest.raises(ValidationError) as error:
        live_twin.full_clean()
    assert "already exists" in error.value.message_dict["strategy_id"][0]


def test_importing_a_deleted_strategy_restores_it(pair, tmp_path):
    gone, _kept = pair
    delete_strategy(gone)
    path = tmp_path / "lines.jsonl"
    record = {"strategy_id": "GBR0001s", "title": "Reimported", "jurisdiction": "GBR"}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    call_command("import_strategies", str(path))
    assert Strategy.objects.get(pk=gone.pk).title == "Reimported"


# -- every public face -------------------------------------------------------------------------


def test_a_deleted_strategy_vanishes_from_every_public_page(client, pair, engine):
    gone, kept = pair
    assert GONE in text(client.get(reverse("strategies:search")))
    delete_strategy(gone)

    assert client.get(reverse("strategies:detail", args=["GBR0001s"])).status_code == 404
    assert client.get(reverse("strategies:detail-json", args=["GBR0001s"])).status_code == 404
    assert client.get(reverse("strategies:detail", args=["GBR0002s"])).status_code == 200
    pages = {
        "home": reverse("strategies:home"),
        "search": reverse("strategies:search"),
        "search with words": reverse("strategies:search") + "?q=Organised",
        "search by tag": reverse("strategies:search") + "?crime_type=drugs",
        "feed": reverse("strategies:feed"),
        "csv": reverse("strategies:export-csv"),
        "jsonl": reverse("strategies:export-jsonl"),
        "jurisdiction": reverse("strategies:jurisdiction", args=["GBR"]),
        "article": reverse("strategies:article", args=["UNTOC-5"]),
        "issue": reverse("strategies:issue", args=["prevention/risk-factors"]),
        "kept strategy's related": reverse("strategies:detail", args=["GBR0002s"]),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        body = text(response)
        assert GONE not in body and "GBR0001s" not in body, name
    assert KEPT in text(client.get(reverse("strategies:search")))

    search = client.get(reverse("strategies:search"))
    assert search.context["page"].paginator.count == 1
    assert client.get(reverse("strategies:home")).context["published_count"] == 1


def test_a_deleted_strategy_leaves_the_facet_index_and_counts(pair, engine):
    gone, _kept = pair
    search = StrategySearch(StrategyQuery(), include_drafts=True)
    assert search.facet_counts(["crime_type"])["crime_type"]["drugs"] == 2
    delete_strategy(gone)
    search = StrategySearch(StrategyQuery(), include_drafts=True)
    assert search.facet_counts(["crime_type", "jurisdiction"]) == {
        "crime_type": {"drugs": 1},
        "jurisdiction": {"GBR": 1},
    }
    assert [s.strategy_id for s in search.results()] == ["GBR0002s"]
    if engine == "index":
        # A patched index keeps the deleted strategy's position, empty.
        index = current_index()
        assert gone.pk not in index.pks[index.present]


def test_a_deleted_strategy_vanishes_from_the_api(api_editor, pair, engine):
    gone, _kept = pair
    delete_strategy(gone)
    for client in (APIClient(), api_editor):  # editors, who see drafts, do not see it either
        assert client.get("/api/v1/strategies/GBR0001s/").status_code == 404
        listed = client.get("/api/v1/strategies/", {"facets": "crime_type"}).json()
        assert [item["strategy_id"] for item in listed["results"]] == ["GBR0002s"]
        counts = {value["code"]: value["count"] for value in listed["facets"]["crime_type"]}
        assert counts == {"drugs": 1}
        for export in ("export.csv", "export.jsonl"):
            assert "GBR0001s" not in text(client.get(f"/api/v1/strategies/{export}"))
    response = api_editor.put(
        "/api/v1/strategies/GBR0001s/", {"title": "x", "jurisdiction": "GBR"}, format="json"
    )
    assert response.status_code == 404


def test_posting_a_deleted_strategys_id_to_the_api_restores_it(api_editor, pair):
    gone, _kept = pair
    delete_strategy(gone)
    body = {"strategy_id": "GBR0001s", "title": "Back again", "jurisdiction": "GBR"}
    response = api_editor.post("/api/v1/strategies/", body, format="json")
    assert response.status_code == 201, response.json()
    assert Strategy.objects.get(pk=gone.pk).title == "Back again"


def test_the_api_offers_no_delete(api_editor, pair):
    assert api_editor.delete("/api/v1/strategies/GBR0001s/").status_code == 405
    assert Strategy.objects.filter(strategy_id="GBR0001s").exists()


# -- the admin ---------------------------------------------------------------------------------


def test_the_admin_delete_page_marks_the_strategy_deleted(admin_client, admin_user, pair):
    gone, _kept = pair
    url = reverse("admin:strategies_strategy_delete", args=[gone.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "can be restored" in page.text
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    stored = Strategy.all_objects.get(pk=gone.pk)
    assert stored.deleted_by == admin_user
    assert stored.crime_types.exists()  # tags kept for a restore
    assert stored.history.first().history_change_reason == "Deleted"


def test_the_admin_bulk_delete_marks_each_strategy_deleted(admin_client, pair):
    gone, kept = pair
    selected = {"action": "delete_selected", "_selected_action": [gone.pk, kept.pk]}
    confirmation = admin_client.post(reverse(CHANGELIST), selected)
    assert confirmation.status_code == 200
    assert "can be restored" in confirmation.text
    response = admin_client.post(reverse(CHANGELIST), {**selected, "post": "yes"})
    assert response.status_code == 302
    assert not Strategy.objects.exists()
    assert Strategy.all_objects.deleted().count() == 2


def test_the_admin_lists_deleted_strategies_apart_and_restores_them(admin_client, pair):
    gone, _kept = pair
    delete_strategy(gone)

    def listed(**params):
        response = admin_client.get(reverse(CHANGELIST), params)
        assert response.status_code == 200
        return response, [s.strategy_id for s in response.context["cl"].result_list]

    response, ids = listed()
    assert ids == ["GBR0002s"]
    assert "restore" not in dict(response.context["action_form"].fields["action"].choices)

    response, ids = listed(deleted="yes")
    assert ids == ["GBR0001s"]
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert set(actions) - {""} == {"restore"}  # no publishing or deleting of deleted records

    response = admin_client.post(
        reverse(CHANGELIST) + "?deleted=yes",
        {"action": "restore", "_selected_action": [gone.pk]},
    )
    assert response.status_code == 302
    assert Strategy.objects.filter(pk=gone.pk).exists()
    assert listed()[1] == ["GBR0001s", "GBR0002s"]


def test_a_deleted_strategy_is_read_only_in_the_admin(admin_client, pair):
    gone, _kept = pair
    delete_strategy(gone)
    url = reverse("admin:strategies_strategy_change", args=[gone.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert "deleted by" in page.text.lower()
    admin_client.post(url, {"title": "Changed"})
    assert Strategy.all_objects.get(pk=gone.pk).title == GONE
    history = admin_client.get(reverse("admin:strategies_strategy_history", args=[gone.pk]))
    assert history.status_code == 200


def test_the_admin_add_page_restores_a_deleted_id(admin_client, pair):
    gone, _kept = pair
    delete_strategy(gone)
    response = admin_client.post(
        reverse("admin:strategies_strategy_add"),
        form_data(strategy_id="GBR0001s", title="Added over a deleted one"),
    )
    assert response.status_code == 302
    assert Strategy.objects.get(pk=gone.pk).title == "Added over a deleted one"


def test_synthetic_records_skip_deleted_ids_and_are_removed_even_when_deleted():
    generate(5, seed=3)
    deleted = Strategy.objects.filter(synthetic=True).first()
    delete_strategy(deleted)
    generate(5, seed=3)  # the same draw again must step around every taken ID
    assert Strategy.all_objects.filter(synthetic=True).count() == 10
    assert remove_synthetic() == 10
    assert not Strategy.all_objects.filter(synthetic=True).exists()
