"""`import_sherloc` against the real vocabularies: fields saved, rejections, idempotence."""

import datetime
import re

import pytest
from django.core.management import CommandError, call_command

from strategies.models import Status, Strategy

pytestmark = pytest.mark.django_db

ARTICLES = [f"UNTOC-{n}" for n in (5, 6, 7, 9, 11, 12, 19, 20, 24, 25, 27, 28, 29, 31)]


@pytest.fixture
def write(tmp_path):
    def write(name: str, content: bytes) -> str:
        path = tmp_path / name
        path.write_bytes(content)
        return str(path)

    return write


def snapshot():
    return [
        (s.strategy_id, s.title, s.status, s.summary, s.updated_at, list(s.articles.all()))
        for s in Strategy.objects.prefetch_related("articles")
    ]


def test_sample_page_becomes_a_published_record_with_every_field(sample_page_bytes, write):
    call_command("import_sherloc", write("page.txt", sample_page_bytes))
    strategy = Strategy.objects.get()
    assert strategy.strategy_id == "GBR0007s"
    assert strategy.jurisdiction_id == "GBR"
    assert strategy.title == "Serious and Organized Crime Strategy"
    assert strategy.adoption_date == datetime.date(2018, 11, 1)
    assert strategy.status == Status.PUBLISHED
    assert strategy.language == "en"
    assert sorted(strategy.crime_types.values_list("slug", flat=True)) == sorted(
        [
            "corruption", "terrorism", "environment", "drugs", "firearms", "money-laundering",
            "trafficking-in-persons", "cybercrime", "organized-criminal-group",
            "smuggling-of-migrants",
        ]
    )  # fmt: skip
    assert list(strategy.articles.in_order().values_list("code", flat=True)) == ARTICLES
    paths = set(strategy.cross_cutting_issues.values_list("path", flat=True))
    assert len(paths) == 29
    assert "victims/victims-of-crime/details/victims-of-crime" in paths
    assert "criminalization/details/juvenile-offenders" in paths
    summary = strategy.summary
    assert "1 Serious and organised crime affects more UK citizens" in summary
    assert "Fewer young people are engaging in criminal activity or reoffending." in summary
    assert summary.count("<li>") >= 10
    for leaked in ("GBR0007s", "2018-11-01", "采纳日期", "战略识别号", "导语", "交叉问题"):
        assert leaked not in summary


def test_reimport_updates_instead_of_duplicating(sample_page_bytes, write, capsys):
    path = write("page.txt", sample_page_bytes)
    call_command("import_sherloc", path)
    Strategy.objects.update(title="Edited")
    call_command("import_sherloc", path)
    assert "updated GBR0007s" in capsys.readouterr().out
    assert Strategy.objects.count() == 1
    assert Strategy.objects.get().title == "Serious and Organized Crime Strategy"
    assert Strategy.objects.get().cross_cutting_issues.count() == 29


def test_draft_option_imports_as_draft(sample_page_bytes, write):
    call_command("import_sherloc", write("page.txt", sample_page_bytes), draft=True)
    assert Strategy.objects.get().status == Status.DRAFT


def test_dry_run_validates_and_writes_nothing(sample_page_bytes, write, capsys):
    call_command("import_sherloc", write("page.txt", sample_page_bytes), dry_run=True)
    assert "would import (created GBR0007s)" in capsys.readouterr().out
    assert not Strategy.objects.exists()


def _replace(page: bytes, old: str, new: str) -> bytes:
    assert old.encode() in page
    return page.replace(old.encode(), new.encode(), 1)


REJECTIONS = {
    "not-utf8": (lambda p: p.decode("utf-8").encode("gb18030"), "UTF-8"),
    "empty": (lambda p: b"", "empty"),
    "truncated": (lambda p: p[: p.index("交叉问题".encode())], "交叉问题"),
    "no-id": (lambda p: _replace(p, "GBR0007s\n", "\n"), "strategy ID"),
    "wrong-prefix": (lambda p: _replace(p, "GBR0007s", "FRA0007s"), "FRA0007s"),
    "impossible-date": (lambda p: _replace(p, "2018-11-01", "2018-02-30"), "2018-02-30"),
    "unknown-article": (lambda p: _replace(p, "第31: 条", "第99: 条"), "99"),
    "unknown-crime-type": (lambda p: _replace(p, "毒品犯罪", "太空海盗"), "太空海盗"),
    "unknown-tree-label": (lambda p: _replace(p, "• 少年犯", "• 外星人"), "外星人"),
}


@pytest.mark.parametrize("case", REJECTIONS)
def test_bad_page_is_rejected_with_file_and_line_and_nothing_written(
    case, sample_page_bytes, write, capsys
):
    call_command("import_sherloc", write("existing.txt", sample_page_bytes), draft=True)
    Strategy.objects.update(title="Edited by an editor")
    before = snapshot()
    mutate, expected = REJECTIONS[case]
    path = write(f"{case}.txt", mutate(sample_page_bytes))

    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("import_sherloc", path)

    err = capsys.readouterr().err
    assert f"{path}: rejected" in err
    assert expected in err
    if case not in ("empty", "truncated"):
        assert "line " in err
    assert snapshot() == before


def test_good_files_of_a_call_are_imported_when_others_fail(sample_page_bytes, write, capsys):
    bad = write("bad.txt", _replace(sample_page_bytes, "2018-11-01", "2018-13-01"))
    good = write("good.txt", sample_page_bytes)
    with pytest.raises(CommandError, match="1 of 2 file"):
        call_command("import_sherloc", bad, good)
    captured = capsys.readouterr()
    assert "good.txt: imported (created GBR0007s)" in captured.out
    assert "bad.txt: rejected" in captured.err
    assert Strategy.objects.count() == 1


def test_missing_file_is_reported(tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("import_sherloc", str(tmp_path / "nope.txt"))
    assert "nope.txt" in capsys.readouterr().err


def test_page_from_the_english_interface_reads_the_same(sample_page_bytes, write):
    text = sample_page_bytes.decode("utf-8")
    for chinese, english in [
        ("战略数据库", "Strategies Database"),
        ("采纳日期", "Date of adoption"),
        ("战略识别号", "Strategy ID"),
        ("\n导语\n", "\nIntroduction\n"),
        ("《有组织犯罪公约》条款", "Organized Crime Convention articles"),
        ("交叉问题", "Cross-Cutting Issues"),
        ("附件", "Attachments"),
        ("大不列颠及北爱尔兰联合王国", "United Kingdom of Great Britain and Northern Ireland"),
        ("毒品犯罪", "Drug offences"),
        ("• 少年犯", "• Juvenile offender(s)"),
    ]:
        text = text.replace(chinese, english)
    text = re.sub(r"第(\d+): 条\.? ", r"Article \1: ", text)
    call_command("import_sherloc", write("english.txt", text.encode()))
    strategy = Strategy.objects.get()
    assert strategy.strategy_id == "GBR0007s"
    assert list(strategy.articles.in_order().values_list("code", flat=True)) == ARTICLES
    assert strategy.crime_types.filter(slug="drugs").exists()
    assert strategy.cross_cutting_issues.count() == 29
