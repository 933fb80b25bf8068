"""What every public listing view shares: reading a search from the query string."""

from dataclasses import replace

from django.http import QueryDict

from ..filters import StrategyFilterSet
from ..search import StrategyQuery, StrategySearch


def search_from_params(
    params: QueryDict, **fixed: frozenset[str]
) -> tuple[StrategyFilterSet, StrategySearch]:
    """Parse the query string into a search of published strategies.

    `fixed` pins facets for a browse page (e.g. `article=frozenset({"UNTOC-11"})`): the page is
    the search page with that filter always applied. Invalid parameters are reported by
    `filterset.error_messages()` and left out of the search.
    """
    filterset = StrategyFilterSet(params)
    filterset.is_valid()
    query: StrategyQuery = filterset.to_query()
    if fixed:
        query = replace(query, **fixed)
    return filterset, StrategySearch(query)
