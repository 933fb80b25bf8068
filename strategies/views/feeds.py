"""An Atom feed of newly published strategies, for the whole catalogue or for one search.

The feed takes the search page's query string, so the search page can offer "a feed for these
filters" by linking to this URL with its own parameters.
"""

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.db.models import F, Prefetch
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from taxonomy.models import CrimeType

from ..models import Strategy
from ..search import StrategySearch
from .common import search_from_params
from .exports import invalid_parameters

FEED_LENGTH = 50


class _InvalidParameters(Exception):
    def __init__(self, filterset):
        self.filterset = filterset


@dataclass(frozen=True)
class _FeedSearch:
    search: StrategySearch
    query_string: str  # as the request gave it, for the feed's own links


class StrategyFeed(Feed):
    feed_type = Atom1Feed
    title = _("Strategies against organized crime: newly published strategies")
    subtitle = _("National and regional strategies against organized crime, newest first.")

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except _InvalidParameters as error:
            return invalid_parameters(error.filterset)

    def get_object(self, request, *args, **kwargs) -> _FeedSearch:
        filterset, search = search_from_params(request.GET)
        if filterset.errors:
            raise _InvalidParameters(filterset)
        return _FeedSearch(search, request.GET.urlencode())

    def _with_query(self, path: str, obj: _FeedSearch) -> str:
        return f"{path}?{obj.query_string}" if obj.query_string else path

    def link(self, obj: _FeedSearch) -> str:
        return self._with_query(reverse("strategies:search"), obj)

    def feed_url(self, obj: _FeedSearch) -> str:
        return self._with_query(reverse("strategies:feed"), obj)

    def items(self, obj: _FeedSearch) -> list[Strategy]:
        # Newly published first: a record published (or revised) today leads even if it was
        # adopted years ago, or subscribers would never see it among the 50 entries. Within a
        # day (an import brings many at once), the newest adoption first.
        strategies = (
            obj.search.filtered()
            .select_related("jurisdiction")
            .prefetch_related(
                Prefetch("crime_types", queryset=CrimeType.objects.order_by("position", "slug"))
            )
            .order_by(
                TruncDate("updated_at").desc(),
                F("adoption_date").desc(nulls_last=True),
                "strategy_id",
            )
        )
        return list(strategies[:FEED_LENGTH])

    def item_title(self, item: Strategy) -> str:
        return item.title

    def item_description(self, item: Strategy) -> str:
        # Already sanitised HTML; the Atom writer escapes it into a type="html" summary.
        return item.summary

    def item_link(self, item: Strategy) -> str:
        return reverse("strategies:detail", args=[item.strategy_id])

    # No item_guid: the entry's id is then its absolute page URL, which never changes.

    def item_author_name(self, item: Strategy) -> str:
        return item.jurisdiction.name

    def item_pubdate(self, item: Strategy):
        return item.created_at

    def item_updateddate(self, item: Strategy):
        return item.updated_at

    def item_categories(self, item: Strategy) -> list[str]:
        return [crime_type.name for crime_type in item.crime_types.all()]
