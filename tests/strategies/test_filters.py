"""StrategyFilterSet parses each query string on its own, though its filters and form class are
made once for all (strategies/filters.py)."""

import datetime

from django.http import QueryDict

from strategies.filters import StrategyFilterSet
from strategies.models import Strategy


def parsed(query_string: str) -> StrategyFilterSet:
    filterset = StrategyFilterSet(QueryDict(query_string))
    filterset.is_valid()
    return filterset


def test_one_request_s_values_and_errors_never_reach_the_next(db):
    bad = parsed("jurisdiction=XXX&adopted_from=soon&crime_type=drugs")
    good = parsed("jurisdiction=GBR&adopted_from=2018")
    again = parsed("")

    assert [message.split(":")[0] for message in bad.error_messages()] == [
        "jurisdiction",
        "adopted_from",
    ]
    assert bad.to_query().crime_type == {"drugs"}
    assert not bad.to_query().jurisdiction
    assert good.error_messages() == []
    assert good.to_query().jurisdiction == {"GBR"}
    assert good.to_query().adopted_from == datetime.date(2018, 1, 1)
    assert again.error_messages() == [] and not again.to_query().crime_type
    # Each form has fields of its own, bound to its own data.
    assert bad.form.fields["jurisdiction"] is not good.form.fields["jurisdiction"]


def test_each_filterset_has_its_own_filters_bound_to_it(db):
    first, second = parsed("crime_type=drugs"), parsed("crime_type=corruption")
    for filterset in (first, second):
        for name, filter_ in filterset.filters.items():
            assert filter_.parent is filterset
            assert filter_ is not StrategyFilterSet.base_filters[name]
            assert filter_.model is Strategy
    # The filters only parse: filtering through django-filter leaves the queryset whole (the
    # query layer does the filtering) and reaches each filter's method on its own filterset.
    assert list(first.qs) == list(Strategy.objects.all())
    assert not hasattr(StrategyFilterSet.base_filters["crime_type"], "parent")
