"""The editor admin through the test client: list, edit form, attachments, next ID, import."""

import re

import pytest
from django.contrib.admin import site
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from strategies import services
from strategies.models import Attachment, Status, Strategy
from taxonomy.models import CrimeType, Instrument, Region
from tests.conftest import SAMPLE_PAGE, postgresql_only

from .factories import make_strategy

pytestmark = pytest.mark.django_db

LEAF = "victims/victims-of-crime/details/victims-of-crime"
HEADING = "victims/victims-of-crime"
UNTOC = "United Nations Convention against Transnational Organized Crime"
CHANGELIST = "admin:strategies_strategy_changelist"
ADD = "admin:strategies_strategy_add"
NEXT_ID = "admin:strategies_strategy_next_id"
IMPORT = "admin:strategies_strategy_import_sherloc"


def change_url(strategy: Strategy) -> str:
    return reverse("admin:strategies_strategy_change", args=[strategy.pk])


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def editor_without_permissions(client):
    user = User.objects.create_user("visitor", password="unused", is_staff=True)
    client.force_login(user)
    return client


def form_data(**fields) -> dict:
    """What the add or change page posts: the record, its tags as codes, no attachments."""
    data = {
        "strategy_id": "",
        "jurisdiction": "GBR",
        "title": "Serious and Organised Crime Strategy",
        "adoption_date": "2018-11-01",
        "language": "en",
        "status": Status.DRAFT,
        "summary": "<p>Leave no safe space.</p>",
        "source_url": "",
        "crime_types": ["corruption", "drugs"],
        "articles": ["UNTOC-11", "UNTOC-9"],
        "cross_cutting_issues": [LEAF],
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def change_form_data(**fields) -> dict:
    # The ID and the jurisdiction are read-only on the change page, so they are not posted.
    return form_data(strategy_id=None, jurisdiction=None, **fields)


# The list


def test_changelist_searches_and_filters(admin_client):
    make_strategy("GBR0007s", status=Status.PUBLISHED, crime_types=["drugs"])
    make_strategy("GBR0008s", title="Modern Slavery Strategy")
    make_strategy("FRA0001s", title="Stratégie nationale", status=Status.PUBLISHED)

    response = admin_client.get(
        reverse(CHANGELIST), {"q": "united kingdom", "status__exact": Status.PUBLISHED}
    )

    assert response.status_code == 200
    shown = [strategy.strategy_id for strategy in response.context["cl"].result_list]
    assert shown == ["GBR0007s"]
    assert "Import SHERLOC page" in response.text

    europe = Region.objects.get(code="150")
    drugs = CrimeType.objects.get(slug="drugs")
    response = admin_client.get(
        reverse(CHANGELIST),
        {"jurisdiction__region__id__exact": europe.pk, "crime_types__id__exact": drugs.pk},
    )
    assert [s.strategy_id for s in response.context["cl"].result_list] == ["GBR0007s"]


def test_changelist_searches_official_names_and_filters_by_instrument(admin_client):
    make_strategy("GBR0007s", articles=["TIP-6"])
    make_strategy("GBR0008s", articles=["UNTOC-11"])
    protocol = Instrument.objects.get(code="TIP")
    response = admin_client.get(
        reverse(CHANGELIST),
        {"q": "Northern Ireland", "articles__instrument__id__exact": protocol.pk},
    )
    assert response.status_code == 200
    assert [s.strategy_id for s in response.context["cl"].result_list] == ["GBR0007s"]


def listed(admin_client, search: str) -> list[str]:
    response = admin_client.get(reverse(CHANGELIST), {"q": search})
    assert response.status_code == 200
    return sorted(strategy.strategy_id for strategy in response.context["cl"].result_list)


def test_changelist_search_finds_any_part_of_an_id_or_title_in_any_case(admin_client):
    make_strategy("GBR0007s", title="Serious and Organised Crime Strategy")
    make_strategy("GBR0008s", title="Modern Slavery Strategy")
    make_strategy("FRA0001s", title="Stratégie nationale contre la criminalité organisée")
    assert listed(admin_client, "gbr0007") == ["GBR0007s"]
    assert listed(admin_client, "0008S") == ["GBR0008s"]
    assert listed(admin_client, "SLAVERY") == ["GBR0008s"]
    assert listed(admin_client, "organis") == ["FRA0001s", "GBR0007s"]
    # Each word narrows the list; a quoted phrase is one word.
    assert listed(admin_client, "organised strategy") == ["GBR0007s"]
    assert listed(admin_client, '"crime strategy"') == ["GBR0007s"]
    assert listed(admin_client, '"strategy crime"') == []
    # The jurisdiction by code, or by a name in any of the catalogue's languages.
    assert listed(admin_client, "fra") == ["FRA0001s"]
    assert listed(admin_client, "Royaume-Uni slavery") == ["GBR0008s"]
    # LIKE's wildcards are searched for as they are.
    assert listed(admin_client, "%") == []
    assert listed(admin_client, "GBR000_s") == []


@postgresql_only("the trigram indexes are PostgreSQL's")
def test_changelist_search_reads_the_strategies_through_indexes(rf, admin_user):
    make_strategy("GBR0007s", title="Serious and Organised Crime Strategy")
    model_admin = site._registry[Strategy]
    request = rf.get("/", {"q": "gbr organised"})
    request.user = admin_user
    found, may_have_duplicates = model_admin.get_search_results(
        request, Strategy.all_objects.all(), "gbr organised"
    )
    assert not may_have_duplicates
    assert [strategy.strategy_id for strategy in found] == ["GBR0007s"]
    with connection.cursor() as cursor:
        # Whatever the planner thinks of a table this small, reading every row (and testing
        # each) is taken only when nothing else can answer the search. Unordered, or it reads
        # the rows in ID order through the IDs' own index, for so few.
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = found.order_by().explain()
    assert "Seq Scan on strategies_strategy" not in plan
    assert "BitmapOr" in plan
    assert "strategy_id_trigrams" in plan and "strategy_title_trigrams" in plan


def test_changelist_queries_do_not_grow_with_the_rows(admin_client):
    make_strategy("GBR0001s")
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(reverse(CHANGELIST))
    for number in range(2, 7):
        make_strategy(f"GBR{number:04d}s")
    with CaptureQueriesContext(connection) as six_rows:
        response = admin_client.get(reverse(CHANGELIST))
    assert response.context["cl"].result_count == 6
    assert len(six_rows) == len(one_row)


def test_bulk_actions_publish_and_return_to_draft(admin_client):
    first = make_strategy("GBR0007s", articles=["UNTOC-11"])
    second = make_strategy("GBR0008s")
    selected = [first.pk, second.pk]

    response = admin_client.post(
        reverse(CHANGELIST), {"action": "publish", "_selected_action": selected}, follow=True
    )
    assert "2 strategies set to “Published”." in response.text
    assert set(Strategy.objects.values_list("status", flat=True)) == {Status.PUBLISHED}
    # Only the status changed: the tags went through the service untouched.
    assert list(Strategy.objects.get(pk=first.pk).articles.values_list("code", flat=True)) == [
        "UNTOC-11"
    ]

    admin_client.post(
        reverse(CHANGELIST), {"action": "return_to_draft", "_selected_action": [first.pk]}
    )
    assert Strategy.objects.get(pk=first.pk).status == Status.DRAFT
    assert Strategy.objects.get(pk=second.pk).status == Status.PUBLISHED


# The edit form


def test_add_page_groups_articles_by_instrument_and_draws_the_issue_tree(admin_client):
    response = admin_client.get(reverse(ADD))
    assert response.status_code == 200
    html = response.text

    assert f'<span class="checkbox-group-label">{UNTOC}</span>' in html
    assert re.search(r'value="UNTOC-11"[^>]*>\s*11 — Prosecution, adjudication and sanctions', html)
    # Articles in numeric order within the instrument: 9 before 11, 11 before 20.
    assert html.index('value="UNTOC-9"') < html.index('value="UNTOC-11"')
    assert html.index('value="UNTOC-11"') < html.index('value="UNTOC-20"')

    assert f'name="cross_cutting_issues" value="{LEAF}"' in html
    assert f'value="{HEADING}"' not in html
    assert "<summary>Victims of crime" in html
    assert 'class="provisional-mark"' in html
    assert 'name="crime_types" value="corruption"' in html
    assert 'data-next-id-url="/admin/strategies/strategy/next-id/"' in html
    assert "admin-strategies.js" in html


def test_adding_with_an_empty_id_takes_the_next_free_one_with_its_tags(admin_client):
    response = admin_client.post(reverse(ADD), form_data())

    strategy = Strategy.objects.get()
    assert response.status_code == 302
    assert response.url == reverse(CHANGELIST)
    assert strategy.strategy_id == "GBR0001s"
    assert strategy.jurisdiction_id == "GBR"
    assert set(strategy.crime_types.values_list("slug", flat=True)) == {"corruption", "drugs"}
    assert list(strategy.articles.in_order().values_list("code", flat=True)) == [
        "UNTOC-9",
        "UNTOC-11",
    ]
    assert list(strategy.cross_cutting_issues.values_list("path", flat=True)) == [LEAF]


def test_a_wrong_prefix_is_refused_on_the_id_field_and_nothing_is_saved(admin_client):
    response = admin_client.post(reverse(ADD), form_data(strategy_id="FRA0001s"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["strategy_id"]
    assert "begins with FRA but the jurisdiction is GBR" in errors["strategy_id"][0]
    assert "begins with FRA but the jurisdiction is GBR" in response.text
    assert not Strategy.objects.exists()


def test_adding_an_id_that_exists_is_refused_rather_than_overwriting(admin_client):
    existing = make_strategy("GBR0007s", title="The original")
    response = admin_client.post(reverse(ADD), form_data(strategy_id="GBR0007s"))

    assert response.status_code == 200
    assert "already exists" in response.context["adminform"].form.errors["strategy_id"][0]
    existing.refresh_from_db()
    assert existing.title == "The original"


def test_a_heading_of_the_tree_cannot_be_ticked(admin_client):
    response = admin_client.post(reverse(ADD), form_data(cross_cutting_issues=[HEADING]))

    assert response.status_code == 200
    assert "is a heading" in response.context["adminform"].form.errors["cross_cutting_issues"][0]
    assert not Strategy.objects.exists()


def test_change_page_renders_and_saves_a_changed_title(admin_client):
    strategy = make_strategy("GBR0007s", articles=["UNTOC-11"], cross_cutting_issues=[LEAF])
    response = admin_client.get(change_url(strategy))
    assert response.status_code == 200
    # The stored tags are ticked; the ID is shown, not editable.
    assert re.search(r'value="UNTOC-11"[^>]*checked', response.text)
    assert re.search(rf'value="{LEAF}"[^>]*checked', response.text)
    assert 'name="strategy_id"' not in response.text
    assert "GBR0007s" in response.text

    response = admin_client.post(
        change_url(strategy),
        change_form_data(title="Serious and Organised Crime Strategy 2023"),
    )

    assert response.status_code == 302
    strategy.refresh_from_db()
    assert strategy.title == "Serious and Organised Crime Strategy 2023"
    assert strategy.strategy_id == "GBR0007s"
    assert Strategy.objects.count() == 1
    assert set(strategy.articles.values_list("code", flat=True)) == {"UNTOC-11", "UNTOC-9"}


def with_attachment(upload: SimpleUploadedFile) -> dict:
    return change_form_data(
        **{
            "attachments-TOTAL_FORMS": "1",
            "attachments-0-file": upload,
            "attachments-0-title": "The strategy",
            "attachments-0-language": "en",
        },
    )


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("installer.exe", b"MZ\x90\x00", "“installer.exe” is not an accepted document type"),
        ("strategy.pdf", b"<html>not a pdf</html>", "named .pdf but its content is not"),
    ],
)
def test_an_attachment_of_the_wrong_type_is_refused_in_plain_words(
    admin_client, name, content, problem
):
    strategy = make_strategy("GBR0007s")
    upload = SimpleUploadedFile(name, content)
    response = admin_client.post(change_url(strategy), with_attachment(upload))

    assert response.status_code == 200
    assert problem in response.text
    assert not Attachment.objects.exists()


def test_a_real_pdf_is_attached_under_the_strategy_id(admin_client):
    strategy = make_strategy("GBR0007s")
    upload = SimpleUploadedFile("strategy.pdf", b"%PDF-1.7\n%...")
    response = admin_client.post(change_url(strategy), with_attachment(upload))

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.strategy == strategy
    assert attachment.file.name == "attachments/GBR0007s/strategy.pdf"


def test_an_attachment_added_with_a_new_record_is_filed_under_its_new_id(admin_client):
    data = form_data(
        **{
            "attachments-TOTAL_FORMS": "1",
            "attachments-0-file": SimpleUploadedFile("plan.txt", b"The plan."),
            "attachments-0-title": "The plan",
            "attachments-0-language": "en",
        }
    )
    response = admin_client.post(reverse(ADD), data)

    assert response.status_code == 302
    attachment = Attachment.objects.select_related("strategy").get()
    assert attachment.strategy.strategy_id == "GBR0001s"
    assert attachment.file.name == "attachments/GBR0001s/plan.txt"


# The next free ID


def test_next_id_view_proposes_the_next_free_id(admin_client):
    make_strategy("GBR0007s")
    response = admin_client.get(reverse(NEXT_ID), {"jurisdiction": "GBR"})
    assert response.status_code == 200
    assert response.json() == {"strategy_id": "GBR0008s"}

    response = admin_client.get(reverse(NEXT_ID), {"jurisdiction": "FRA"})
    assert response.json() == {"strategy_id": "FRA0001s"}


def test_next_id_view_says_when_a_jurisdiction_has_no_id_left(admin_client, monkeypatch):
    monkeypatch.setattr(services, "LAST_ID_NUMBER", 2)  # IDs up to MEX0002s, not 9,999 records
    make_strategy("MEX0001s")
    make_strategy("MEX0002s")
    response = admin_client.get(reverse(NEXT_ID), {"jurisdiction": "MEX"})
    assert response.status_code == 409
    assert response.json() == {"error": "Every ID of MEX is taken, from MEX0001s to MEX9999s."}


def test_next_id_view_refuses_an_unknown_code(admin_client):
    response = admin_client.get(reverse(NEXT_ID), {"jurisdiction": "XYZ"})
    assert response.status_code == 400
    assert "“XYZ” is not a known jurisdiction code" in response.json()["error"]


# Importing a SHERLOC page


def test_import_preview_shows_the_record_and_saves_nothing(admin_client, sample_page_bytes):
    response = admin_client.post(
        reverse(IMPORT),
        {
            "page_file": SimpleUploadedFile("GBR0007s.txt", sample_page_bytes),
            "status": Status.PUBLISHED,
            "_preview": "Preview",
        },
    )

    assert response.status_code == 200
    html = response.text
    assert "GBR0007s" in html
    assert "Serious and Organized Crime Strategy" in html
    assert "United Kingdom (GBR)" in html
    assert "2018-11-01" in html
    assert "Prosecution, adjudication and sanctions" in html
    assert "Victims › Victims of crime › Details › Victims of crime" in html
    assert "<p>Executive Summary</p>" in html
    assert "will create the new strategy GBR0007s" in html
    assert 'name="content"' in html
    assert not Strategy.objects.exists()


def test_import_preview_warns_that_an_existing_record_will_be_updated(
    admin_client, sample_page_bytes
):
    make_strategy("GBR0007s", title="Older title")
    response = admin_client.post(
        reverse(IMPORT),
        {
            "page_text": sample_page_bytes.decode("utf-8"),
            "status": Status.DRAFT,
            "_preview": "Preview",
        },
    )
    assert "saving will UPDATE it" in response.text
    assert Strategy.objects.get().title == "Older title"


def test_import_preview_says_when_saving_would_change_nothing(admin_client, sample_page_bytes):
    preview = {
        "page_text": sample_page_bytes.decode("utf-8"),
        "status": Status.PUBLISHED,
        "_preview": "Preview",
    }
    call_command("import_sherloc", str(SAMPLE_PAGE))
    response = admin_client.post(reverse(IMPORT), preview)
    assert "already holds exactly the values below: saving changes nothing" in response.text
    assert "saving will UPDATE it" not in response.text
    # As a draft it would change the record's status.
    response = admin_client.post(reverse(IMPORT), {**preview, "status": Status.DRAFT})
    assert "saving will UPDATE it" in response.text
    assert "changes nothing" not in response.text


def test_import_save_parses_the_page_again_and_creates_it_published(
    admin_client, sample_page_bytes
):
    page = sample_page_bytes.decode("utf-8")
    response = admin_client.post(
        reverse(IMPORT),
        {"content": page, "source": "GBR0007s.txt", "status": Status.PUBLISHED, "_save": "Save"},
        follow=True,
    )

    strategy = Strategy.objects.get()
    assert strategy.strategy_id == "GBR0007s"
    assert strategy.status == Status.PUBLISHED
    assert strategy.articles.count() == 14
    assert response.redirect_chain == [(change_url(strategy), 302)]
    assert "was created from the SHERLOC page" in response.text


def test_import_save_of_a_page_already_imported_changes_nothing(admin_client, sample_page_bytes):
    form = {
        "content": sample_page_bytes.decode("utf-8"),
        "source": "GBR0007s.txt",
        "status": Status.PUBLISHED,
        "_save": "Save",
    }
    admin_client.post(reverse(IMPORT), form)
    logged = LogEntry.objects.count()
    response = admin_client.post(reverse(IMPORT), form, follow=True)
    strategy = Strategy.objects.get()
    assert response.redirect_chain == [(change_url(strategy), 302)]
    assert "GBR0007s" in response.text and "nothing changed" in response.text
    assert strategy.history.count() == 1
    assert LogEntry.objects.count() == logged


def test_import_of_a_page_without_its_strategy_id_shows_the_error_and_saves_nothing(
    admin_client, sample_page_bytes
):
    page = sample_page_bytes.decode("utf-8").replace("GBR0007s\n", "")
    for step in (
        {"page_text": page, "status": Status.PUBLISHED, "_preview": "Preview"},
        {"content": page, "source": "pasted text", "status": Status.PUBLISHED, "_save": "Save"},
    ):
        response = admin_client.post(reverse(IMPORT), step)

        assert response.status_code == 200
        assert "nothing was saved" in response.text
        errors = response.context["errors"]
        assert errors and all(error.startswith("pasted text: ") for error in errors)
        assert not Strategy.objects.exists()


def test_import_of_an_empty_file_shows_the_error(admin_client):
    response = admin_client.post(
        reverse(IMPORT),
        {
            "page_file": SimpleUploadedFile("empty.txt", b""),
            "status": Status.PUBLISHED,
            "_preview": "Preview",
        },
    )
    assert response.status_code == 200
    assert response.context["errors"] == ["empty.txt: the file is empty"]
    assert "empty.txt: the file is empty" in response.text
    assert not Strategy.objects.exists()


def test_import_save_reads_the_line_breaks_a_browser_posts(admin_client, sample_page_bytes):
    # Browsers send a form field's line breaks as CRLF, whatever the page had.
    page = sample_page_bytes.decode("utf-8").replace("\n", "\r\n")
    response = admin_client.post(
        reverse(IMPORT),
        {"content": page, "source": "GBR0007s.txt", "status": Status.DRAFT, "_save": "Save"},
    )
    assert response.status_code == 302
    assert Strategy.objects.get().status == Status.DRAFT


def test_import_asks_for_a_page(admin_client):
    response = admin_client.post(
        reverse(IMPORT), {"page_text": "  ", "status": Status.PUBLISHED, "_preview": "Preview"}
    )
    assert response.status_code == 200
    assert "Choose a file or paste the page" in response.text


def test_import_page_renders_in_the_admin_and_is_linked_from_the_list(admin_client):
    response = admin_client.get(reverse(IMPORT))
    assert response.status_code == 200
    assert 'name="page_file"' in response.text
    assert 'name="page_text"' in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text
    assert reverse(IMPORT) in admin_client.get(reverse(CHANGELIST)).text


def test_import_is_csrf_protected(admin_user, sample_page_bytes):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(
        reverse(IMPORT),
        {"content": sample_page_bytes.decode(), "source": "x", "status": "published", "_save": 1},
    )
    assert response.status_code == 403
    assert not Strategy.objects.exists()


# Permissions


def test_staff_without_permissions_is_refused(editor_without_permissions, sample_page_bytes):
    client = editor_without_permissions
    assert client.get(reverse(IMPORT)).status_code == 403
    response = client.post(
        reverse(IMPORT),
        {"content": sample_page_bytes.decode(), "source": "x", "status": "published", "_save": 1},
    )
    assert response.status_code == 403
    assert client.get(reverse(NEXT_ID), {"jurisdiction": "GBR"}).status_code == 403
    assert client.get(reverse(ADD)).status_code == 403
    assert not Strategy.objects.exists()


def test_import_needs_change_as_well_as_add_permission(editor_without_permissions):
    user = User.objects.get(username="visitor")
    user.user_permissions.add(Permission.objects.get(codename="add_strategy"))
    assert editor_without_permissions.get(reverse(IMPORT)).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="change_strategy"))
    user = User.objects.get(pk=user.pk)  # permissions are cached on the instance
    editor_without_permissions.force_login(user)
    assert editor_without_permissions.get(reverse(IMPORT)).status_code == 200
