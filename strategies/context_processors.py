from functools import cache

from .facet_index import published_synthetic_count


def synthetic_records(request):
    """How many synthetic strategies the public catalogue shows, so every page can say so.

    A callable, which templates call when they first need it: nothing for responses without a
    template; otherwise one primary-key lookup of the catalogue version (the count itself comes
    from the facet index or from a count made once per catalogue version).
    """
    return {"synthetic_strategy_count": cache(published_synthetic_count)}
