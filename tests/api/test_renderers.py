"""The API's JSON renderer writes, much faster, exactly the bytes DRF's own renderer writes; so
does a JSON Lines export's line the standard library's."""

import datetime
import decimal
import json
import uuid

import orjson
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer as DRFRenderer

from strategies.api.renderers import JSONRenderer

# Text with what JSON must escape or may pass through: quotes, backslashes, control characters,
# U+2028 and U+2029 (which DRF escapes for JavaScript), other scripts and emoji.
TEXT = st.text(
    st.one_of(
        st.sampled_from('"\\/\x00\x01\x1f\x7f\t\n\r\b\f\u2028\u2029<>&é中ع😀'),
        st.characters(exclude_categories=["Cs"]),  # no lone surrogates: no valid UTF-8 has them
    )
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    TEXT,
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, datetime.UTC])),
    st.times(),
    st.uuids(),
    st.builds(gettext_lazy, st.sampled_from(["Drugs", "Firearms", "Title"])),
)
NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False),
)


def json_of(leaves):
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(TEXT, children, max_size=5),
            st.dictionaries(st.integers(0, 3000), children, max_size=3),
        ),
        max_leaves=30,
    )


@settings(max_examples=400, deadline=None)
@given(json_of(LEAVES))
def test_the_same_bytes_as_drfs_renderer(data):
    assert JSONRenderer().render(data) == DRFRenderer().render(data)


@settings(max_examples=200, deadline=None)
@given(json_of(st.one_of(LEAVES, NUMBERS)))
def test_floats_are_the_same_numbers(data):
    """A float may be spelt differently in exponent form (1e-07 or 1e-7): the same number."""
    ours, drfs = JSONRenderer().render(data), DRFRenderer().render(data)
    assert (json.loads(ours) if ours else None) == (json.loads(drfs) if drfs else None)


def test_indented_json_is_still_indented_and_big_integers_still_written():
    data = {"strategy_id": "GBR0007s", "counts": {"drugs": 3}, "big": 2**70}
    for media_type in ("application/json; indent=2", "application/json"):
        assert JSONRenderer().render(data, media_type) == DRFRenderer().render(data, media_type)
    assert b'\n  "strategy_id"' in JSONRenderer().render(data, "application/json; indent=2")
    assert JSONRenderer().render(None) == b""


def test_an_api_response_is_rendered_by_it(api, catalogue):
    response = api.get("/api/v1/strategies/", {"facets": "crime_type"})
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.content == DRFRenderer().render(response.data)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(TEXT, st.one_of(st.none(), TEXT, st.lists(TEXT, max_size=4)), max_size=8))
def test_a_json_line_is_what_the_standard_library_writes(record):
    """strategies.canonical.to_json_line writes a record's canonical form (text, lists of text,
    nulls) with orjson."""
    expected = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    assert orjson.dumps(record).decode() == expected


def test_special_values_go_through_drfs_encoder():
    data = {
        "date": datetime.date(2018, 11, 1),
        "when": datetime.datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=datetime.UTC),
        "amount": decimal.Decimal("1.50"),
        "id": uuid.UUID(int=7),
        "label": gettext_lazy("Drugs"),
    }
    assert JSONRenderer().render(data) == DRFRenderer().render(data)
    assert b'"when":"2026-11-29T10:00:00.123456Z"' in JSONRenderer().render(data)
