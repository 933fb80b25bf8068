import random

import pytest
from django.core.management import CommandError, call_command

from strategies.models import Strategy
from strategies.services import next_strategy_id
from strategies.synthetic import MAX_PER_JURISDICTION, jurisdiction_counts

from .factories import make_strategy

pytestmark = pytest.mark.django_db


def generated():
    return list(
        Strategy.objects.filter(synthetic=True)
        .order_by("strategy_id")
        .values_list("strategy_id", "title", "adoption_date")
    )


def test_generates_flagged_records_of_realistic_shape():
    call_command("generate_strategies", 60, seed=7, no_progress=True)
    strategies = Strategy.objects.filter(synthetic=True).prefetch_related(
        "crime_types", "articles", "cross_cutting_issues"
    )
    assert strategies.count() == 60
    for strategy in strategies:
        assert strategy.strategy_id.startswith(strategy.jurisdiction_id)
        assert strategy.strategy_id[-5:-1] >= "5000"  # the top of the ID space
        assert 1 <= len(strategy.crime_types.all()) <= 12
        assert 3 <= len(strategy.articles.all()) <= 25
        assert 5 <= len(strategy.cross_cutting_issues.all()) <= 40
        assert all(issue.is_leaf for issue in strategy.cross_cutting_issues.all())
        words = len(strategy.summary.replace("<p>", " ").replace("</p>", " ").split())
        assert 200 <= words <= 2000
        assert strategy.summary.startswith("<p>")


def test_same_seed_gives_the_same_records():
    call_command("generate_strategies", 30, seed=11, no_progress=True)
    first = generated()
    call_command("generate_strategies", remove=True)
    call_command("generate_strategies", 30, seed=11, no_progress=True)
    assert generated() == first


def test_real_records_keep_their_ids_and_are_never_removed(capsys):
    make_strategy("GBR0007s")
    call_command("generate_strategies", 40, seed=1, no_progress=True)
    assert next_strategy_id("GBR") == "GBR0008s"
    call_command("generate_strategies", remove=True)
    assert "Removed 40 synthetic strategies." in capsys.readouterr().out
    assert list(Strategy.objects.values_list("strategy_id", flat=True)) == ["GBR0007s"]


def test_real_data_saved_over_a_synthetic_record_makes_it_real():
    call_command("generate_strategies", 5, seed=2, no_progress=True)
    synthetic_id = Strategy.objects.filter(synthetic=True).first().strategy_id
    make_strategy(synthetic_id, title="A real strategy")
    call_command("generate_strategies", remove=True)
    assert Strategy.objects.get().strategy_id == synthetic_id


def test_distribution_is_skewed_and_respects_the_id_space():
    counts = jurisdiction_counts([f"C{i:02d}" for i in range(100)], 20000, random.Random(3))
    assert sum(counts.values()) == 20000
    ordered = sorted(counts.values(), reverse=True)
    assert ordered[0] > 10 * ordered[-1]
    assert max(counts.values()) <= MAX_PER_JURISDICTION
    with pytest.raises(ValueError):
        jurisdiction_counts(["AAA"], MAX_PER_JURISDICTION + 1, random.Random(3))


def test_command_requires_a_count():
    with pytest.raises(CommandError, match="how many"):
        call_command("generate_strategies")
