"""HTTP validators (ETag, Last-Modified) for strategy lists and records, and 304 answers.

A list's validators stand for everything the response depends on: the state of the data, the
query string, the language, whether drafts are visible, the host in its URLs. With the facet
index the state of the data is the catalogue version, which any write moves (from any process,
vocabulary labels included), so a conditional request costs one query; with the SQL engine it
is the matching set's size and latest `updated_at`, one aggregate query (label edits are not
seen there). A record's validators are its own `updated_at`.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.db.models import Count, Max
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language

from ..models import Status, Strategy
from ..search import StrategySearch

API_VERSION = "v1"


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: datetime.datetime | None
    private: bool  # the response shows drafts, so no shared cache may keep it

    def not_modified(self, request):
        """A 304 response when the client's copy is current, else None."""
        response = get_conditional_response(
            request,
            etag=self.etag,
            last_modified=int(self.last_modified.timestamp()) if self.last_modified else None,
        )
        if response is not None:
            self.apply(response)
        return response

    def apply(self, response):
        response.headers["ETag"] = self.etag
        if self.last_modified:
            response.headers["Last-Modified"] = http_date(self.last_modified.timestamp())
        # Revalidate every time (cheap, see above) rather than let a browser guess a lifetime.
        patch_cache_control(response, no_cache=True, **({"private": True} if self.private else {}))
        return response


def _etag(*parts) -> str:
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


@dataclass(frozen=True)
class ListState:
    count: int
    validators: Validators


def list_state(search: StrategySearch, request) -> ListState:
    """The matching set's size and validators.

    With the facet index, from the index itself: the catalogue version (which any write moves,
    vocabulary labels included) stands for the state of the data, at no query cost. With the SQL
    engine, one aggregate query over the matching set.
    """
    if search.engine == "index":
        index = search.index
        count, latest, version = search.results().count(), index.last_modified, index.version
    else:
        state = search.filtered().aggregate(count=Count("pk"), latest=Max("updated_at"))
        count, latest, version = state["count"], state["latest"], None
    parameters = sorted((name, sorted(values)) for name, values in request.query_params.lists())
    etag = _etag(
        API_VERSION, "list", request.get_host(), get_language(), search.include_drafts,
        parameters, count, latest, version,
    )  # fmt: skip
    return ListState(count, Validators(etag, latest, search.include_drafts))


def record_validators(strategy: Strategy, request) -> Validators:
    etag = _etag(
        API_VERSION, "record", request.get_host(), strategy.strategy_id, strategy.updated_at
    )
    return Validators(etag, strategy.updated_at, private=strategy.status != Status.PUBLISHED)
