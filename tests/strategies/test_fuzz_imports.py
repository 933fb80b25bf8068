"""Mutated input never crashes an importer, never half-writes, and always says what is wrong."""

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies.importers.jsonl import import_strategy_lines
from strategies.importers.sherloc_import import import_sherloc_page, sherloc_vocabulary
from strategies.models import Strategy
from tests.conftest import SAMPLE_PAGE

pytestmark = pytest.mark.django_db

SAMPLE_LINES = SAMPLE_PAGE.read_bytes().split(b"\n")
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))


def state():
    """Everything an import may write, to compare before and after a rejected file."""
    through = Strategy.cross_cutting_issues.through
    return (
        sorted(Strategy.objects.values_list("strategy_id", "title", "updated_at")),
        Strategy.articles.through.objects.count(),
        Strategy.crime_types.through.objects.count(),
        through.objects.count(),
    )


@st.composite
def mutated_pages(draw) -> bytes:
    lines = list(SAMPLE_LINES)
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                ["delete", "duplicate", "shuffle", "truncate", "bytes", "long", "encoding"]
            )
        )
        at = rng.randrange(len(lines)) if lines else 0
        if kind == "delete" and lines:
            del lines[at : at + rng.randint(1, 5)]
        elif kind == "duplicate" and lines:
            lines[at:at] = lines[at : at + rng.randint(1, 5)]
        elif kind == "shuffle":
            chunk = lines[at : at + rng.randint(2, 12)]
            rng.shuffle(chunk)
            lines[at : at + len(chunk)] = chunk
        elif kind == "truncate":
            lines = lines[:at]
        elif kind == "bytes":
            lines.insert(at, draw(st.binary(min_size=1, max_size=40)))
        elif kind == "long":
            lines.insert(at, b"x" * rng.randint(10_000, 200_000))
        elif kind == "encoding" and lines:
            text = lines[at].decode("utf-8", errors="replace")
            lines[at] = text.encode(rng.choice(["gb18030", "utf-16", "latin-1"]), errors="replace")
    return b"\n".join(lines)


@pytest.fixture(scope="module")
def page_vocabulary(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return sherloc_vocabulary()


def test_mutated_sherloc_pages_are_imported_whole_or_rejected_with_a_reason(page_vocabulary):
    @FUZZ
    @given(page=mutated_pages())
    def check(page):
        before = state()
        outcome = import_sherloc_page(page, source="fuzzed.txt", vocabulary=page_vocabulary)
        if outcome.ok:
            assert Strategy.objects.filter(
                strategy_id__in=outcome.created + outcome.updated + outcome.unchanged
            ).exists()
        else:
            assert state() == before
            for error in outcome.errors:
                assert error.startswith("fuzzed.txt: ") and len(error) > len("fuzzed.txt: ") + 5

    check()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
FIELDS = ["strategy_id", "title", "jurisdiction", "adoption_date", "language", "status",
          "summary", "source_url", "crime_types", "articles", "cross_cutting_issues",
          "attachments"]  # fmt: skip
records = st.fixed_dictionaries(
    {},
    optional={
        "strategy_id": st.sampled_from(["GBR0001s", "FRA0002s", "GBR1s", "", "XYZ0001s"])
        | st.text(max_size=12),
        "title": st.text(max_size=50) | json_values,
        "jurisdiction": st.sampled_from(["GBR", "FRA", "XYZ", ""]) | json_values,
        "adoption_date": st.sampled_from(["2018-11-01", "2018-02-30", "2018", None]) | json_values,
        "status": st.sampled_from(["draft", "published", "archived"]) | json_values,
        "crime_types": st.lists(st.sampled_from(["drugs", "nope"])) | json_values,
        "articles": st.lists(st.sampled_from(["UNTOC-11", "UNTOC-99", "TIP-9"])) | json_values,
        "cross_cutting_issues": st.lists(st.sampled_from(["prevention/risk-factors", "victims"]))
        | json_values,
        "summary": st.text(max_size=80) | json_values,
        "source_url": st.sampled_from(["https://example.org/a", "javascript:alert(1)"])
        | json_values,
        "attachments": st.just([]) | json_values,
        "colour": json_values,
    },
)
lines = st.one_of(
    records.map(lambda r: json.dumps(r).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=60),
)


def test_fuzzed_json_lines_are_imported_whole_or_rejected_line_by_line():
    @FUZZ
    @given(file_lines=st.lists(lines, min_size=1, max_size=6))
    def check(file_lines):
        before = state()
        outcome = import_strategy_lines(file_lines, source="fuzzed.jsonl")
        if outcome.ok:
            assert len(outcome.created) + len(outcome.updated) + len(outcome.unchanged) >= 1
        else:
            assert state() == before
            assert all(error.startswith("fuzzed.jsonl") for error in outcome.errors)

    check()
