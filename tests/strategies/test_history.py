"""No edit is lost: every write of a strategy or a vocabulary label leaves one history entry naming
who made it, when and why, with the tags as the write left them; the admin shows each version's
changes and can go back to one."""

import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from strategies.models import Status, Strategy
from strategies.services import StrategyData, save_strategy
from strategies.synthetic import generate
from taxonomy.models import CrimeType

from .factories import make_strategy
from .test_admin import change_form_data, form_data

pytestmark = pytest.mark.django_db

LEAF = "victims/victims-of-crime/details/victims-of-crime"


def tags(version) -> dict[str, list[str]]:
    """A history entry's tags, as codes."""
    return {
        "crime_types": sorted(row.crimetype.slug for row in version.crime_types.all()),
        "articles": sorted(row.article.code for row in version.articles.all()),
        "cross_cutting_issues": sorted(
            row.crosscuttingissue.path for row in version.cross_cutting_issues.all()
        ),
    }


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# -- one entry per save, with the tags as the save left them ------------------------------------


def test_each_save_leaves_exactly_one_entry_with_the_tags_after_it():
    strategy = make_strategy("GBR0007s", crime_types=["drugs"], articles=["UNTOC-5"])
    assert strategy.history.count() == 1
    created = strategy.history.get()
    assert created.history_type == "+"
    assert tags(created) == {
        "crime_types": ["drugs"],
        "articles": ["UNTOC-5"],
        "cross_cutting_issues": [],
    }

    make_strategy(
        "GBR0007s",
        title="Renamed",
        crime_types=["corruption", "firearms"],
        cross_cutting_issues=[LEAF],
    )
    assert strategy.history.count() == 2
    changed = strategy.history.first()  # newest first
    assert (changed.history_type, changed.title) == ("~", "Renamed")
    assert tags(changed) == {
        "crime_types": ["corruption", "firearms"],
        "articles": [],
        "cross_cutting_issues": [LEAF],
    }
    # The earlier entry still has the tags as they were then.
    assert tags(strategy.history.last())["crime_types"] == ["drugs"]


def test_a_save_that_changes_nothing_adds_no_entry():
    make_strategy("GBR0007s", crime_types=["drugs"])
    make_strategy("GBR0007s", crime_types=["drugs"])  # the same record again
    assert Strategy.objects.get().history.count() == 1
    make_strategy("GBR0007s", crime_types=["drugs", "firearms"])
    assert Strategy.objects.get().history.count() == 2


def test_a_rejected_save_leaves_no_entry():
    make_strategy("GBR0007s")
    with pytest.raises(Exception):  # noqa: B017 — the service's validation error
        save_strategy(StrategyData("GBR0007s", "Renamed", "GBR", crime_types=["no-such-crime"]))
    assert Strategy.objects.get().history.count() == 1


def test_synthetic_generation_writes_no_history():
    assert generate(20, seed=1) == 20
    assert Strategy.history.count() == 0


# -- who and why ---------------------------------------------------------------------------------


def test_a_command_records_its_file_as_the_reason(tmp_path, sample_page_bytes):
    page = tmp_path / "page.txt"
    page.write_bytes(sample_page_bytes)
    call_command("import_sherloc", str(page))
    entry = Strategy.objects.get().history.get()
    assert entry.history_user is None
    assert entry.history_change_reason == f"import_sherloc {page}"

    lines = tmp_path / "strategies.jsonl"
    record = {"strategy_id": "FRA0001s", "title": "Stratégie", "jurisdiction": "FRA"}
    lines.write_text(json.dumps(record) + "\n", encoding="utf-8")
    call_command("import_strategies", str(lines))
    entry = Strategy.objects.get(strategy_id="FRA0001s").history.get()
    assert entry.history_change_reason == f"import_strategies {lines}"


def test_the_admin_records_the_signed_in_editor(admin_client, admin_user):
    response = admin_client.post(reverse("admin:strategies_strategy_add"), form_data())
    assert response.status_code == 302
    strategy = Strategy.objects.get()
    # The form's dry run left nothing behind: one entry, the save's.
    entry = strategy.history.get()
    assert entry.history_user == admin_user
    assert tags(entry)["crime_types"] == ["corruption", "drugs"]

    response = admin_client.post(
        reverse("admin:strategies_strategy_change", args=[strategy.pk]),
        change_form_data(title="Renamed", crime_types=["firearms"]),
    )
    assert response.status_code == 302
    assert strategy.history.count() == 2
    entry = strategy.history.first()
    assert (entry.title, entry.history_user) == ("Renamed", admin_user)
    assert tags(entry)["crime_types"] == ["firearms"]


def test_the_admin_publish_action_records_the_reviewer(admin_client, admin_user):
    strategy = make_strategy("GBR0007s")
    admin_client.post(
        reverse("admin:strategies_strategy_changelist"),
        {"action": "publish", "_selected_action": [strategy.pk]},
    )
    entry = strategy.history.first()
    assert (entry.status, entry.history_user) == (Status.PUBLISHED, admin_user)
    assert strategy.history.count() == 2


def test_the_api_records_the_token_user():
    user = User.objects.create_superuser("api-editor", password="unused")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    body = {"strategy_id": "NLD0001s", "title": "Programme", "jurisdiction": "NLD"}
    assert client.post("/api/v1/strategies/", body, format="json").status_code == 201
    response = client.patch(
        "/api/v1/strategies/NLD0001s/", {"crime_types": ["drugs"]}, format="json"
    )
    assert response.status_code == 200
    history = Strategy.objects.get().history.all()
    assert [entry.history_user for entry in history] == [user, user]
    assert tags(history[0])["crime_types"] == ["drugs"]


# -- the admin's history: changes old → new, and going back ------------------------------------


def test_the_history_page_shows_what_changed(admin_client):
    strategy = make_strategy("GBR0007s", title="Old title", crime_types=["drugs"])
    make_strategy("GBR0007s", title="New title", crime_types=["firearms"])
    response = admin_client.get(reverse("admin:strategies_strategy_history", args=[strategy.pk]))
    assert response.status_code == 200
    changes = response.text
    assert "Old title" in changes and "New title" in changes
    assert "Crime types" in changes
    drugs, firearms = (CrimeType.objects.get(slug=slug).name for slug in ("drugs", "firearms"))
    assert changes.index(drugs) < changes.index(firearms)  # old → new


def test_a_version_can_be_reverted_with_its_tags(admin_client, admin_user):
    strategy = make_strategy(
        "GBR0007s", title="First", crime_types=["drugs"], adoption_date=datetime.date(2018, 1, 1)
    )
    first = strategy.history.get()
    make_strategy("GBR0007s", title="Second", crime_types=["firearms", "corruption"])
    url = reverse("admin:strategies_strategy_simple_history", args=[strategy.pk, first.pk])

    response = admin_client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["title"] == "First"
    assert [c.slug for c in form.initial["crime_types"]] == ["drugs"]

    # What the revert page posts: the version's values as the form shows them.
    data = change_form_data(
        title="First",
        adoption_date="2018-01-01",
        summary="",
        crime_types=["drugs"],
        articles=[],
        cross_cutting_issues=[],
    )
    response = admin_client.post(url, {k: v for k, v in data.items() if v != []})
    assert response.status_code == 302, response.context["adminform"].form.errors
    strategy.refresh_from_db()
    assert strategy.title == "First"
    assert list(strategy.crime_types.values_list("slug", flat=True)) == ["drugs"]
    assert strategy.history.count() == 3  # the revert is one more entry, not a rewrite
    assert strategy.history.first().history_user == admin_user


# -- vocabulary labels ---------------------------------------------------------------------------


def test_a_vocabulary_label_edit_is_kept_per_language(admin_client, admin_user):
    corruption = CrimeType.objects.get(slug="corruption")
    before = corruption.history.count()
    names = ["name_en", "name_zh_hans", "name_fr", "name_es", "name_ru", "name_ar"]
    data = {name: getattr(corruption, name) or "" for name in names}
    data.update(name_fr="Corruption (libellé révisé)", position=corruption.position)
    url = reverse("admin:taxonomy_crimetype_change", args=[corruption.pk])
    assert admin_client.post(url, data).status_code == 302

    assert corruption.history.count() == before + 1
    entry = corruption.history.first()
    assert entry.history_user == admin_user
    assert entry.name_fr == "Corruption (libellé révisé)"
    assert entry.name_en == "Corruption"
    if entry.prev_record is not None:
        delta = entry.diff_against(entry.prev_record)
        assert delta.changed_fields == ["name_fr"]

    response = admin_client.get(reverse("admin:taxonomy_crimetype_history", args=[corruption.pk]))
    assert response.status_code == 200
    assert "Corruption (libellé révisé)" in response.text
