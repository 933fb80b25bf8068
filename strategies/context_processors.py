from functools import cache

from .models import Strategy


def synthetic_records(request):
    """How many synthetic strategies the public catalogue shows, so every page can say so.

    A callable, which templates call when they first need it: one indexed query per page that
    uses it, none for responses without a template.
    """

    @cache
    def synthetic_strategy_count() -> int:
        return Strategy.objects.filter(synthetic=True, status="published").count()

    return {"synthetic_strategy_count": synthetic_strategy_count}
