import pytest
from django.core.management import call_command
from django.utils import translation

from taxonomy.loading import load_vocabularies
from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Instrument, Jurisdiction, Region

pytestmark = pytest.mark.django_db


def test_every_country_and_the_regional_organisations_are_loaded():
    assert Jurisdiction.objects.filter(kind="country").count() == 249
    sadc = Jurisdiction.objects.get(code="SADC")
    assert sadc.kind == "organisation"
    assert sadc.members.filter(code="ZAF").exists()
    assert sadc.region.code == "002"


def test_united_kingdom_has_names_in_six_languages_and_its_m49_regions():
    gbr = Jurisdiction.objects.select_related("region", "subregion").get(code="GBR")
    assert gbr.name_en == "United Kingdom"
    assert gbr.official_name_en == "United Kingdom of Great Britain and Northern Ireland"
    # The sample SHERLOC page names the country by its official Chinese name.
    assert gbr.official_name_zh_hans == "大不列颠及北爱尔兰联合王国"
    for suffix in ("fr", "es", "ru", "ar"):
        assert getattr(gbr, f"name_{suffix}")
    assert (gbr.region.code, gbr.subregion.code) == ("150", "154")
    with translation.override("fr"):
        assert gbr.subregion.name == "Europe du Nord"


def test_articles_are_coded_and_ordered_by_number_not_as_strings():
    codes = list(
        Article.objects.in_order().filter(instrument__code="UNTOC").values_list("code", flat=True)
    )
    assert len(codes) == 41
    assert codes[:12] == [f"UNTOC-{n}" for n in range(1, 13)]
    assert list(Instrument.objects.values_list("code", flat=True)) == ["UNTOC", "TIP", "SOM", "FAP"]
    assert Article.objects.filter(instrument__code="TIP").count() == 20
    assert Article.objects.filter(instrument__code="SOM").count() == 25
    assert Article.objects.filter(instrument__code="FAP").count() == 21


def test_cross_cutting_tree_has_slug_paths_and_provisional_flags():
    leaf = CrossCuttingIssue.objects.get(
        path="investigation/law-enforcement-cooperation/exchange-of-information"
    )
    assert leaf.is_leaf and not leaf.provisional
    assert leaf.parent.path == "investigation/law-enforcement-cooperation"
    assert leaf.ancestor_paths() == ["investigation", "investigation/law-enforcement-cooperation"]
    assert CrossCuttingIssue.objects.get(path="witnesses").provisional
    assert not CrossCuttingIssue.objects.get(path="investigation").is_leaf
    # "详情" (Details) repeats under different parents; paths keep them apart.
    assert CrossCuttingIssue.objects.filter(name_zh_hans="详情").count() == 2


def test_labels_fall_back_to_english_where_no_translation_exists():
    piracy = CrimeType.objects.get(slug="piracy")
    corruption = CrimeType.objects.get(slug="corruption")
    with translation.override("zh-hans"):
        assert corruption.name == "腐败"
        assert piracy.name == "Piracy and maritime crime"


def test_loading_again_updates_in_place_and_keeps_editor_translations():
    counts = {
        model: model.objects.count()
        for model in (Region, Jurisdiction, CrimeType, Instrument, Article, CrossCuttingIssue)
    }
    piracy = CrimeType.objects.get(slug="piracy")
    piracy.name_fr = "Piraterie"  # an editor's translation, absent from the fixture
    piracy.save()
    corruption = CrimeType.objects.get(slug="corruption")
    corruption.name_en = "Something else"  # the fixture has an English label: it wins
    corruption.save()

    report = load_vocabularies()

    assert report.created == {}
    assert {model: model.objects.count() for model in counts} == counts
    assert CrimeType.objects.get(slug="piracy").name_fr == "Piraterie"
    assert CrimeType.objects.get(slug="corruption").name_en == "Corruption"


def test_load_vocabularies_command_reports_what_it_did(capsys):
    call_command("load_vocabularies")
    out = capsys.readouterr().out
    assert "jurisdictions: 0 created, 257 updated" in out
    assert "Vocabularies loaded." in out
