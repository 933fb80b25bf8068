"""The publishing workflow: Editors write drafts, Reviewers publish them (and take them back)."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from strategies.models import Status, Strategy
from strategies.services import (
    StrategyData,
    StrategyValidationError,
    delete_strategy,
    save_strategy,
)

from .factories import make_strategy
from .test_admin import change_form_data, form_data

pytestmark = pytest.mark.django_db

ADD = "admin:strategies_strategy_add"
CHANGELIST = "admin:strategies_strategy_changelist"
IMPORT = "admin:strategies_strategy_import_sherloc"


def member(name: str, group: str) -> User:
    user = User.objects.create_user(name, password="unused", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def editor():
    return member("edith", "Editors")


@pytest.fixture
def reviewer():
    return member("rex", "Reviewers")


def signed_in(client, user):
    client.force_login(user)
    return client


def actions_offered(client) -> set[str]:
    form = client.get(reverse(CHANGELIST)).context["action_form"]  # None when there are none
    return set(dict(form.fields["action"].choices)) - {""} if form else set()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# -- the groups ---------------------------------------------------------------------------------


def test_the_groups_hold_the_workflows_permissions():
    def permissions(name):
        return {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=name).permissions.select_related("content_type")
        }

    editors, reviewers = permissions("Editors"), permissions("Reviewers")
    assert {
        "strategies.add_strategy",
        "strategies.change_strategy",
        "strategies.view_strategy",
        "strategies.add_attachment",
        "strategies.change_attachment",
        "strategies.view_attachment",
        "taxonomy.view_crimetype",
        "taxonomy.view_jurisdiction",
    } <= editors
    assert "strategies.publish_strategy" not in editors
    assert not any(p.startswith("taxonomy.change_") for p in editors)
    assert editors < reviewers
    assert reviewers - editors == {
        "strategies.publish_strategy",
        *(
            f"taxonomy.change_{model}"
            for model in (
                "region", "jurisdiction", "crimetype", "instrument", "article",
                "crosscuttingissue",
            )
        ),
    }  # fmt: skip


# -- the service --------------------------------------------------------------------------------


def test_the_service_lets_only_reviewers_publish_or_unpublish(editor, reviewer):
    data = StrategyData("GBR0007s", "Strategy", "GBR", status=Status.PUBLISHED)
    with pytest.raises(StrategyValidationError) as error:
        save_strategy(data, user=editor)
    assert list(error.value.errors) == ["status"]
    assert "reviewer" in error.value.errors["status"][0]
    assert not Strategy.objects.exists()

    save_strategy(data, user=reviewer)
    # An editor may change a published record as long as it stays published...
    data.title = "Corrected title"
    save_strategy(data, user=editor)
    # ...but not take it back to draft.
    data.status = Status.DRAFT
    with pytest.raises(StrategyValidationError) as error:
        save_strategy(data, user=editor)
    assert "reviewer" in error.value.errors["status"][0]
    assert Strategy.objects.get().status == Status.PUBLISHED


def test_a_command_runs_as_a_trusted_operator():
    # No user: importers run by commands publish as they are told.
    strategy = make_strategy("GBR0007s", status=Status.PUBLISHED)
    assert strategy.status == Status.PUBLISHED


# -- the admin ----------------------------------------------------------------------------------


def test_an_editor_sees_the_status_read_only_and_saves_drafts(client, editor):
    signed_in(client, editor)
    page = client.get(reverse(ADD))
    assert page.status_code == 200
    assert "status" not in page.context["adminform"].form.fields

    # A status posted anyway is not a field of the form: the record is a draft.
    response = client.post(reverse(ADD), form_data(status=Status.PUBLISHED))
    assert response.status_code == 302
    strategy = Strategy.objects.get()
    assert strategy.status == Status.DRAFT

    change = reverse("admin:strategies_strategy_change", args=[strategy.pk])
    response = client.post(change, change_form_data(title="Edited", status=Status.PUBLISHED))
    assert response.status_code == 302
    strategy.refresh_from_db()
    assert (strategy.title, strategy.status) == ("Edited", Status.DRAFT)


def test_a_reviewer_publishes_from_the_form(client, reviewer):
    signed_in(client, reviewer)
    assert "status" in client.get(reverse(ADD)).context["adminform"].form.fields
    response = client.post(reverse(ADD), form_data(status=Status.PUBLISHED))
    assert response.status_code == 302
    assert Strategy.objects.get().status == Status.PUBLISHED


def test_the_publish_actions_are_for_reviewers_only(client, editor, reviewer):
    strategy = make_strategy("GBR0007s")
    selected = {"action": "publish", "_selected_action": [strategy.pk]}

    signed_in(client, editor)
    assert not {"publish", "return_to_draft"} & actions_offered(client)
    client.post(reverse(CHANGELIST), selected)
    strategy.refresh_from_db()
    assert strategy.status == Status.DRAFT

    signed_in(client, reviewer)
    assert {"publish", "return_to_draft"} <= actions_offered(client)
    assert client.post(reverse(CHANGELIST), selected).status_code == 302
    strategy.refresh_from_db()
    assert strategy.status == Status.PUBLISHED


def test_an_editors_sherloc_import_is_a_draft(client, editor, sample_page_bytes):
    signed_in(client, editor)
    page = client.get(reverse(IMPORT))
    assert [value for value, _label in page.context["page_form"].fields["status"].choices] == [
        Status.DRAFT
    ]
    response = client.post(
        reverse(IMPORT),
        {"content": sample_page_bytes.decode(), "source": "page.txt", "status": "published",
         "_save": 1},
    )  # fmt: skip
    assert response.status_code == 200  # refused, with the service's words
    assert "reviewer" in response.text
    assert not Strategy.objects.exists()
    response = client.post(
        reverse(IMPORT),
        {"content": sample_page_bytes.decode(), "source": "page.txt", "status": "draft",
         "_save": 1},
    )  # fmt: skip
    assert response.status_code == 302
    assert Strategy.objects.get().status == Status.DRAFT


def test_waiting_for_review_is_a_filter_and_a_count_on_the_index(client, editor, reviewer):
    make_strategy("GBR0001s", status=Status.PUBLISHED)
    make_strategy("GBR0002s")
    make_strategy("GBR0003s")
    delete_strategy(make_strategy("GBR0004s"))

    signed_in(client, reviewer)
    response = client.get(reverse(CHANGELIST), {"review": "waiting"})
    assert [s.strategy_id for s in response.context["cl"].result_list] == [
        "GBR0002s",
        "GBR0003s",
    ]
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "2 strategies are waiting for review" in index.text
    assert f'{reverse(CHANGELIST)}?review=waiting"' in index.text

    signed_in(client, editor)  # editors see what waits too
    assert "2 strategies are waiting for review" in client.get(reverse("admin:index")).text


# -- the API ------------------------------------------------------------------------------------


def test_the_api_lets_only_reviewers_publish(editor, reviewer):
    body = {"strategy_id": "NLD0001s", "title": "Programme", "jurisdiction": "NLD"}
    as_editor, as_reviewer = token_client(editor), token_client(reviewer)

    response = as_editor.post("/api/v1/strategies/", {**body, "status": "published"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]
    assert not Strategy.objects.exists()

    assert as_editor.post("/api/v1/strategies/", body, format="json").status_code == 201
    detail = "/api/v1/strategies/NLD0001s/"
    response = as_editor.patch(detail, {"status": "published"}, format="json")
    assert response.status_code == 400
    assert as_reviewer.patch(detail, {"status": "published"}, format="json").status_code == 200
    # Editing a published record without touching its status is an editor's job.
    assert as_editor.patch(detail, {"title": "Renamed"}, format="json").status_code == 200
    assert Strategy.objects.get().status == Status.PUBLISHED
