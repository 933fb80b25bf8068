"""The vocabularies in the admin: per-language labels, fixed codes, search and order."""

import pytest
from django.urls import reverse

from taxonomy.models import CrimeType, CrossCuttingIssue, Instrument

pytestmark = pytest.mark.django_db

LANGUAGE_FIELDS = ["name_en", "name_zh_hans", "name_fr", "name_es", "name_ru", "name_ar"]


def test_crime_type_change_page_has_a_label_per_language_and_a_fixed_slug(admin_client):
    corruption = CrimeType.objects.get(slug="corruption")
    response = admin_client.get(reverse("admin:taxonomy_crimetype_change", args=[corruption.pk]))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert [name for name in form.fields if name.startswith("name_")] == LANGUAGE_FIELDS
    assert "slug" not in form.fields
    assert "corruption" in response.text  # shown read-only


def test_saving_a_new_french_label(admin_client):
    corruption = CrimeType.objects.get(slug="corruption")
    data = {name: getattr(corruption, name) or "" for name in LANGUAGE_FIELDS}
    data.update(name_fr="Corruption (libellé révisé)", position=corruption.position)

    response = admin_client.post(
        reverse("admin:taxonomy_crimetype_change", args=[corruption.pk]), data
    )

    assert response.status_code == 302
    corruption.refresh_from_db()
    assert corruption.name_fr == "Corruption (libellé révisé)"
    assert corruption.name_en == "Corruption"
    assert corruption.slug == "corruption"


def test_jurisdiction_autocomplete_finds_names_in_any_language(admin_client):
    url = reverse("admin:autocomplete")
    params = {"app_label": "strategies", "model_name": "strategy", "field_name": "jurisdiction"}
    for term in ("Royaume-Uni", "Great Britain", "GBR"):
        response = admin_client.get(url, {**params, "term": term})
        assert response.status_code == 200
        assert "GBR" in [result["id"] for result in response.json()["results"]], term


def test_jurisdiction_list_filters_by_kind(admin_client):
    response = admin_client.get(
        reverse("admin:taxonomy_jurisdiction_changelist"), {"kind__exact": "organisation"}
    )
    assert response.status_code == 200
    codes = {jurisdiction.code for jurisdiction in response.context["cl"].result_list}
    assert "SADC" in codes
    assert "GBR" not in codes


def test_articles_are_listed_by_instrument_in_numeric_order(admin_client):
    response = admin_client.get(
        reverse("admin:taxonomy_article_changelist"),
        {"instrument__id__exact": Instrument.objects.get(code="UNTOC").pk},
    )
    codes = [article.code for article in response.context["cl"].result_list]
    assert codes[:3] == ["UNTOC-1", "UNTOC-2", "UNTOC-3"]
    assert codes.index("UNTOC-9") < codes.index("UNTOC-11")


def test_cross_cutting_issues_filter_by_provisional_and_keep_their_shape(admin_client):
    response = admin_client.get(
        reverse("admin:taxonomy_crosscuttingissue_changelist"), {"provisional__exact": "1"}
    )
    assert response.status_code == 200
    shown = response.context["cl"].result_list
    assert shown and all(issue.provisional for issue in shown)

    issue = CrossCuttingIssue.objects.get(path="victims/victims-of-crime")
    response = admin_client.get(reverse("admin:taxonomy_crosscuttingissue_change", args=[issue.pk]))
    form = response.context["adminform"].form
    assert "path" not in form.fields
    assert "parent" not in form.fields
    assert "provisional" in form.fields
    assert admin_client.get(reverse("admin:taxonomy_crosscuttingissue_add")).status_code == 403


@pytest.mark.parametrize(
    "model", ["region", "jurisdiction", "crimetype", "instrument", "article", "crosscuttingissue"]
)
def test_every_vocabulary_has_a_list_and_a_change_page(admin_client, model):
    response = admin_client.get(reverse(f"admin:taxonomy_{model}_changelist"))
    assert response.status_code == 200
    first = response.context["cl"].result_list[0]
    response = admin_client.get(reverse(f"admin:taxonomy_{model}_change", args=[first.pk]))
    assert response.status_code == 200
    assert "_en" in "".join(response.context["adminform"].form.fields)
