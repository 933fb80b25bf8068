import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from strategies import services
from strategies.attachments import validate_attachment
from strategies.models import Strategy
from strategies.services import (
    StrategyData,
    StrategyValidationError,
    next_strategy_id,
    save_strategy,
)

from .factories import make_strategy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("strategy_id", "jurisdiction"),
    [
        ("FRA0001s", "GBR"),  # another country's prefix
        ("GB0001s", "GBR"),  # a prefix of the code, not the code
        ("GBR001s", "GBR"),  # three digits
        ("GBR0001S", "GBR"),  # capital S
        ("gbr0001s", "GBR"),
        ("EUR0001s", "EU"),  # longer than the organisation's code
    ],
)
def test_database_refuses_an_id_that_does_not_match_its_jurisdiction(strategy_id, jurisdiction):
    with pytest.raises(IntegrityError), transaction.atomic():
        Strategy.objects.create(strategy_id=strategy_id, title="t", jurisdiction_id=jurisdiction)
    assert not Strategy.objects.exists()


def test_database_accepts_country_and_organisation_ids():
    Strategy.objects.create(strategy_id="GBR0007s", title="t", jurisdiction_id="GBR")
    Strategy.objects.create(strategy_id="SADC0001s", title="t", jurisdiction_id="SADC")
    assert Strategy.objects.count() == 2


def test_validation_explains_a_mismatched_prefix_in_plain_words():
    strategy = Strategy(strategy_id="FRA0001s", title="t", jurisdiction_id="GBR")
    with pytest.raises(ValidationError) as error:
        strategy.full_clean()
    message = " ".join(error.value.message_dict["strategy_id"])
    assert "begins with FRA" in message and "should begin with GBR" in message


def test_summary_is_sanitised_whenever_it_is_saved():
    strategy = make_strategy(
        summary=(
            '<p onclick="steal()">Plan<script>alert(1)</script></p>'
            '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>'
            "<ul><li><strong>kept</strong></li></ul>"
        )
    )
    strategy.refresh_from_db()
    assert "<script" not in strategy.summary
    assert "onclick" not in strategy.summary and "onerror" not in strategy.summary
    assert "javascript:" not in strategy.summary and "<img" not in strategy.summary
    assert "<ul><li><strong>kept</strong></li></ul>" in strategy.summary
    strategy.summary = "<p>ok</p><iframe src='https://example.org'></iframe>"
    strategy.save()
    strategy.refresh_from_db()
    assert strategy.summary == "<p>ok</p>"


def test_next_free_id_is_proposed_per_jurisdiction():
    assert next_strategy_id("GBR") == "GBR0001s"
    make_strategy("GBR0007s")
    make_strategy("GBR0002s")
    make_strategy("FRA0009s")
    assert next_strategy_id("GBR") == "GBR0008s"
    assert next_strategy_id("SADC") == "SADC0001s"


def test_a_new_id_is_found_below_the_highest_when_none_is_free_above():
    make_strategy("MEX0001s")
    make_strategy("MEX0002s")
    # A synthetic record at 9999, edited into a real one: no number above it is free.
    make_strategy("MEX9999s")
    assert next_strategy_id("MEX") == "MEX0003s"
    created = save_strategy(StrategyData(strategy_id="", title="New", jurisdiction="MEX"))
    assert created.strategy.strategy_id == "MEX0003s"


def test_a_jurisdiction_whose_ids_are_all_taken_gets_a_clear_error(monkeypatch):
    # IDs up to MEX0003s only, rather than 9,999 records.
    monkeypatch.setattr(services, "LAST_ID_NUMBER", 3)
    for number in (1, 2, 3):
        make_strategy(f"MEX{number:04d}s")
    assert next_strategy_id("MEX") is None
    with pytest.raises(StrategyValidationError) as raised:
        save_strategy(StrategyData(strategy_id="", title="One too many", jurisdiction="MEX"))
    assert raised.value.errors == {
        "strategy_id": ["Every ID of MEX is taken, from MEX0001s to MEX9999s."]
    }
    assert Strategy.objects.count() == 3


def test_an_empty_id_takes_the_next_free_one():
    make_strategy("GBR0003s")
    strategy = save_strategy(StrategyData(strategy_id="", title="New", jurisdiction="GBR")).strategy
    assert strategy.strategy_id == "GBR0004s"


def test_save_names_every_unknown_code_and_writes_nothing():
    data = StrategyData(
        strategy_id="GBR0007s",
        title="t",
        jurisdiction="GBR",
        adoption_date=datetime.date(2018, 11, 1),
        crime_types=["corruption", "space-piracy"],
        articles=["UNTOC-11", "UNTOC-99"],
        cross_cutting_issues=["investigation", "prevention/no-such-thing"],
        source_url="not a url",
        status="archived",
    )
    with pytest.raises(StrategyValidationError) as error:
        save_strategy(data)
    errors = error.value.errors
    assert "space-piracy" in errors["crime_types"][0]
    assert "UNTOC-99" in errors["articles"][0]
    assert any("investigation is not a leaf" in m for m in errors["cross_cutting_issues"])
    assert any("prevention/no-such-thing" in m for m in errors["cross_cutting_issues"])
    assert "source_url" in errors and "status" in errors
    assert not Strategy.objects.exists()


def test_unknown_jurisdiction_is_reported_once_in_plain_words():
    with pytest.raises(StrategyValidationError) as error:
        save_strategy(StrategyData(strategy_id="XYZ0001s", title="t", jurisdiction="XYZ"))
    assert error.value.errors["jurisdiction"] == ["unknown jurisdiction code: XYZ"]


def test_tags_are_replaced_on_update():
    make_strategy(articles=["UNTOC-5", "UNTOC-11"], crime_types=["drugs"])
    strategy = make_strategy(articles=["UNTOC-12"], crime_types=[])
    assert list(strategy.articles.values_list("code", flat=True)) == ["UNTOC-12"]
    assert not strategy.crime_types.exists()
    assert Strategy.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("virus.exe", b"MZ\x90\x00", "not an accepted document type"),
        ("fake.pdf", b"<html>not a pdf</html>", "content is not of that type"),
        ("notes.txt", b"\xff\xfe\x00bad" * 10, "not UTF-8 text"),
    ],
)
def test_attachment_type_is_checked_by_name_and_content(name, content, problem):
    with pytest.raises(ValidationError) as error:
        validate_attachment(SimpleUploadedFile(name, content))
    assert problem in error.value.messages[0]
    assert name in error.value.messages[0]


def test_attachment_size_is_limited(settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        validate_attachment(SimpleUploadedFile("big.pdf", b"%PDF-1.7" + b"0" * 2000))
    assert "at most" in error.value.messages[0]
    validate_attachment(SimpleUploadedFile("small.pdf", b"%PDF-1.7 small"))
