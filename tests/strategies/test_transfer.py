"""Canonical JSON Lines: export, import, and the round trip between them."""

import datetime
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from strategies.models import Attachment, Strategy

from .factories import make_strategy

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def catalogue(media):
    gbr = make_strategy(
        "GBR0007s",
        adoption_date=datetime.date(2018, 11, 1),
        status="published",
        summary="<p>Serious and organised crime affects more UK citizens…</p><ul><li>a</li></ul>",
        source_url="https://www.gov.uk/government/publications/serious-and-organised-crime-strategy-2018",
        crime_types=["drugs", "corruption"],
        articles=["UNTOC-11", "UNTOC-5", "TIP-9", "UNTOC-31"],
        cross_cutting_issues=[
            "prevention/risk-factors",
            "investigation/law-enforcement-cooperation/exchange-of-information",
        ],
    )
    name = default_storage.save("attachments/GBR0007s/strategy.pdf", ContentFile(b"%PDF-1.7"))
    Attachment.objects.create(strategy=gbr, file=name, title="Strategy (PDF)", language="en")
    make_strategy("FRA0001s", title="Stratégie nationale", language="fr", summary="")
    make_strategy("SADC0001s", title="Regional strategy", adoption_date=datetime.date(2020, 1, 2))


def export(tmp_path, name="export.jsonl", **options) -> bytes:
    path = tmp_path / name
    call_command("export_strategies", output=path, **options)
    return path.read_bytes()


def test_export_writes_one_canonical_line_per_strategy_in_id_order(catalogue, tmp_path):
    lines = export(tmp_path).decode("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["strategy_id"] for r in records] == ["FRA0001s", "GBR0007s", "SADC0001s"]
    gbr = records[1]
    assert list(gbr) == [
        "strategy_id", "title", "jurisdiction", "adoption_date", "language", "status",
        "summary", "source_url", "crime_types", "articles", "cross_cutting_issues", "attachments",
    ]  # fmt: skip
    assert gbr["jurisdiction"] == "GBR"
    assert gbr["adoption_date"] == "2018-11-01"
    assert gbr["crime_types"] == ["corruption", "drugs"]
    assert gbr["articles"] == ["UNTOC-5", "UNTOC-11", "UNTOC-31", "TIP-9"]
    assert gbr["cross_cutting_issues"][0].startswith("investigation/")
    assert gbr["attachments"] == [
        {"file": "attachments/GBR0007s/strategy.pdf", "title": "Strategy (PDF)", "language": "en"}
    ]
    assert records[0]["adoption_date"] is None


def test_export_to_standard_output(catalogue, capsys):
    call_command("export_strategies")
    assert capsys.readouterr().out.count("\n") == 3


def test_export_import_into_an_empty_database_export_is_byte_identical(catalogue, tmp_path):
    first = export(tmp_path, "first.jsonl")
    Strategy.objects.all().delete()
    call_command("import_strategies", tmp_path / "first.jsonl")
    second = export(tmp_path, "second.jsonl")
    assert first == second
    assert Strategy.objects.count() == 3


def test_import_updates_existing_records_by_id(catalogue, tmp_path, capsys):
    path = tmp_path / "one.jsonl"
    record = json.loads(export(tmp_path).decode().splitlines()[1])
    record["title"] = "Serious and Organised Crime Strategy (revised)"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    call_command("import_strategies", path)
    assert "updated GBR0007s" in capsys.readouterr().out
    assert Strategy.objects.get(strategy_id="GBR0007s").title.endswith("(revised)")
    assert Strategy.objects.count() == 3


BAD_LINES = [
    ("{not json", "line 2: not valid JSON"),
    ('{"strategy_id": "GBR0009s", "title": "x", "jurisdiction": "GBR", "colour": 1}', "colour"),
    ('{"strategy_id": "GBR0009s", "title": "x", "jurisdiction": "GBR", "articles": ["UNTOC-99"]}',
     "UNTOC-99"),
    ('{"strategy_id": "GBR0009s", "title": "x", "jurisdiction": "GBR", '
     '"adoption_date": "2018-02-30"}', "2018-02-30"),
    ('{"strategy_id": "FRA0009s", "title": "x", "jurisdiction": "GBR"}', "should begin with GBR"),
    ('{"strategy_id": "GBR0009s", "title": "x", "jurisdiction": "GBR", "attachments": '
     '[{"file": "attachments/missing.pdf", "title": "x"}]}', "not in the media store"),
    ("[1, 2]", "expected a JSON object"),
]  # fmt: skip


@pytest.mark.parametrize(("bad_line", "message"), BAD_LINES)
def test_a_bad_line_rejects_the_whole_file_and_names_the_line(
    catalogue, tmp_path, capsys, bad_line, message
):
    before = export(tmp_path, "before.jsonl")
    good = '{"strategy_id": "GBR0008s", "title": "New", "jurisdiction": "GBR"}'
    path = tmp_path / "bad.jsonl"
    path.write_text(good + "\n" + bad_line + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("import_strategies", path)
    err = capsys.readouterr().err
    assert f"{path}: line 2" in err
    assert message in err
    assert export(tmp_path, "after.jsonl") == before  # nothing written, not even line 1


def test_bad_encoding_and_empty_files_are_rejected(tmp_path, capsys):
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(
        b'{"strategy_id": "GBR0001s", "title": "Strat\xe9gie", "jurisdiction": "GBR"}\n'
    )
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n")
    good = tmp_path / "good.jsonl"
    good.write_text('{"strategy_id": "GBR0001s", "title": "A", "jurisdiction": "GBR"}\n')
    with pytest.raises(CommandError, match="2 of 3 file"):
        call_command("import_strategies", latin, empty, good)
    err = capsys.readouterr().err
    assert "latin.jsonl: line 1: not UTF-8" in err
    assert "no strategies in the file" in err
    # The good file of the same call was imported.
    assert list(Strategy.objects.values_list("strategy_id", flat=True)) == ["GBR0001s"]


def test_dry_run_checks_but_writes_nothing(tmp_path, capsys):
    path = tmp_path / "good.jsonl"
    path.write_text('{"strategy_id": "GBR0001s", "title": "A", "jurisdiction": "GBR"}\n')
    call_command("import_strategies", path, dry_run=True)
    assert "would import (created GBR0001s)" in capsys.readouterr().out
    assert not Strategy.objects.exists()


def test_duplicate_ids_in_one_file_are_reported(tmp_path, capsys):
    path = tmp_path / "dup.jsonl"
    line = '{"strategy_id": "GBR0001s", "title": "A", "jurisdiction": "GBR"}\n'
    path.write_text(line + line)
    with pytest.raises(CommandError):
        call_command("import_strategies", path)
    assert "GBR0001s already appears on line 1" in capsys.readouterr().err
    assert not Strategy.objects.exists()
