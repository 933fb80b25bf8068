"""The API's views: each turns HTTP into a question for the query layer (or a call to the save
service) and the answer back into HTTP. What a filter means, how facets count and how a strategy
is validated are decided elsewhere, once for every face of the catalogue.
"""

from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from ..canonical import CanonicalFormError, from_canonical, to_canonical
from ..exporters import canonical_json_lines, csv_lines, in_language
from ..filters import StrategyFilterSet
from ..models import Strategy
from ..search import FACETS, StrategySearch
from ..services import StrategyData, StrategyValidationError, save_strategy
from .caching import list_state, record_validators
from .language import LanguageMixin
from .pagination import StrategyPagination
from .permissions import EditorsWrite, can_read_drafts
from .schema import (
    CONDITIONAL_HEADERS,
    FACETS_PARAMETER,
    LANGUAGE_PARAMETERS,
    RETRY_AFTER,
    VALIDATOR_HEADERS,
    error_responses,
)
from .serializers import (
    StrategyPageSerializer,
    StrategySerializer,
    StrategyWriteSerializer,
    facets_data,
    strategy_api_url,
)
from .throttling import AnonymousThrottle, ExportThrottle

STRATEGY_ID_PARAMETER = OpenApiParameter(
    "strategy_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[A-Z]{2,8}[0-9]{4}s$",
    description=gettext_lazy("e.g. GBR0007s"),
)

# -- reading a search from the query string ----------------------------------------------------


def _requested_facets(params) -> tuple[list[str], list[str]]:
    """Facet names from `?facets=a,b` (or repeated), in order, and the unknown ones."""
    names = [
        name.strip() for value in params.getlist("facets") for name in value.split(",")
    ]  # fmt: skip
    names = list(dict.fromkeys(name for name in names if name))
    return names, [name for name in names if name not in FACETS]


def _refuse_nul_characters(params) -> None:
    # No code, word or date contains one, and PostgreSQL refuses them in a query: without this a
    # NUL in a vocabulary code reaches the database when StrategyFilterSet looks the code up.
    wrong = [name for name, values in params.lists() if any("\x00" in v for v in values)]
    if wrong:
        message = ProhibitNullCharactersValidator.message
        raise ValidationError({name: [str(message)] for name in wrong})


def read_search(request, *, with_facets: bool = False) -> tuple[StrategySearch, list[str]]:
    """The search the query string asks for, and the facets to count; every error is one 400."""
    _refuse_nul_characters(request.query_params)
    filterset = StrategyFilterSet(request.query_params)
    errors = {} if filterset.is_valid() else {k: list(v) for k, v in filterset.errors.items()}
    facet_names: list[str] = []
    if with_facets:
        facet_names, unknown = _requested_facets(request.query_params)
        if unknown:
            errors["facets"] = [
                _("Unknown facet “%(name)s”; facets are %(facets)s.")
                % {"name": name, "facets": ", ".join(FACETS)}
                for name in unknown
            ]
    if errors:
        raise ValidationError(errors)
    search = StrategySearch(filterset.to_query(), include_drafts=can_read_drafts(request.user))
    return search, facet_names


# -- strategies --------------------------------------------------------------------------------


class _StrategyView(LanguageMixin, GenericAPIView):
    # The model, for the permissions and the schema; rows come from StrategySearch or
    # with_tag_codes().
    queryset = Strategy.objects.all()
    serializer_class = StrategySerializer
    permission_classes = [EditorsWrite]


class _SearchView(_StrategyView):
    # Here for the schema only: drf-spectacular documents StrategyFilterSet's parameters from the
    # backend. The view never filters through it; read_search() hands the parsed query to the
    # query layer.
    filter_backends = [DjangoFilterBackend]
    filterset_class = StrategyFilterSet


class _StrategyExists(Exception):
    pass


def _canonical_data(record) -> StrategyData:
    try:
        return from_canonical(record)
    except CanonicalFormError as error:
        raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [str(error)]}) from None


def _save(data: StrategyData, *, create: bool, user) -> Strategy:
    """Save through the one write service, as `user`; its field errors become a 400."""
    try:
        with transaction.atomic():
            result = save_strategy(data, user=user)
            # A deleted strategy's ID is free to POST to, as clients cannot see it: that
            # restores it with the body's data.
            if create and not (result.created or result.restored):
                raise _StrategyExists  # rolls the update back: POST only creates
    except _StrategyExists:
        raise ValidationError(
            {
                "strategy_id": [
                    _("A strategy %(id)s already exists; change it with PUT or PATCH.")
                    % {"id": data.strategy_id}
                ]
            }
        ) from None
    except StrategyValidationError as error:
        raise ValidationError(
            {
                (api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name): messages
                for name, messages in error.errors.items()
            }
        ) from None
    return Strategy.objects.with_tag_codes().get(pk=result.strategy.pk)


@extend_schema_view(
    get=extend_schema(
        operation_id="strategies_list",
        summary=gettext_lazy("Search strategies"),
        description=gettext_lazy(
            "The strategies matching the filters, a page at a time, with facet counts on request. "
            "Values of one filter are OR-ed (repeat the parameter), filters are AND-ed. Order: "
            "relevance when searching words, otherwise newest first; ties by strategy ID. "
            "Anonymous clients see published strategies; editors (change permission) drafts too."
        ),
        parameters=[
            *StrategyPagination.schema_parameters(),
            FACETS_PARAMETER,
            *LANGUAGE_PARAMETERS,
            *CONDITIONAL_HEADERS,
            *VALIDATOR_HEADERS,
            RETRY_AFTER,
        ],
        responses={
            200: StrategyPageSerializer,
            304: OpenApiResponse(description=gettext_lazy("Not modified since the ETag given.")),
            **error_responses(400, 401, 404, 429),
        },
    ),
    post=extend_schema(
        summary=gettext_lazy("Create a strategy"),
        description=gettext_lazy(
            "Editors with the add permission. The body is the canonical form; it is validated "
            "as the admin and the importers validate it. An existing strategy ID is a 400."
        ),
        request=StrategyWriteSerializer,
        parameters=[*LANGUAGE_PARAMETERS, *VALIDATOR_HEADERS],
        responses={201: StrategySerializer, **error_responses(400, 401, 403, 415)},
    ),
)
class StrategyListView(_SearchView):
    pagination_class = StrategyPagination

    def get(self, request):
        search, facet_names = read_search(request, with_facets=True)
        state = list_state(search, request)
        if not_modified := state.validators.not_modified(request):
            return not_modified
        strategies = self.paginator.paginate_queryset(
            search.results().with_tag_codes(), request, self, count=state.count
        )
        body = self.paginator.get_paginated_data(
            StrategySerializer(strategies, many=True, context={"request": request}).data
        )
        if facet_names:
            body["facets"] = facets_data(search.facets(facet_names))
        return state.validators.apply(Response(body))

    def post(self, request):
        strategy = _save(_canonical_data(request.data), create=True, user=request.user)
        url = strategy_api_url(request, strategy.strategy_id)
        response = Response(
            StrategySerializer(strategy, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": url},
        )
        return record_validators(strategy, request).apply(response)


@extend_schema_view(
    get=extend_schema(
        summary=gettext_lazy("A strategy in its canonical form"),
        description=gettext_lazy("Drafts are a 404 except for editors with the change permission."),
        parameters=[
            STRATEGY_ID_PARAMETER,
            *LANGUAGE_PARAMETERS,
            *CONDITIONAL_HEADERS,
            *VALIDATOR_HEADERS,
            RETRY_AFTER,
        ],
        responses={
            200: StrategySerializer,
            304: OpenApiResponse(description=gettext_lazy("Not modified since the ETag given.")),
            **error_responses(400, 401, 404, 429),
        },
    ),
    put=extend_schema(
        summary=gettext_lazy("Replace a strategy"),
        description=gettext_lazy(
            "Editors with the change permission. The body is the whole canonical form: fields "
            "left out take their defaults. The strategy ID cannot change."
        ),
        parameters=[STRATEGY_ID_PARAMETER, *LANGUAGE_PARAMETERS, *VALIDATOR_HEADERS],
        request=StrategyWriteSerializer,
        responses={200: StrategySerializer, **error_responses(400, 401, 403, 404, 415)},
    ),
    patch=extend_schema(
        summary=gettext_lazy("Change some fields of a strategy"),
        description=gettext_lazy(
            "Editors with the change permission. The fields given replace the current ones; "
            "the result is validated as a whole."
        ),
        parameters=[STRATEGY_ID_PARAMETER, *LANGUAGE_PARAMETERS, *VALIDATOR_HEADERS],
        request=StrategyWriteSerializer,
        responses={200: StrategySerializer, **error_responses(400, 401, 403, 404, 415)},
    ),
)
class StrategyDetailView(_StrategyView):
    lookup_field = "strategy_id"

    def get_strategy(self, strategy_id: str) -> Strategy:
        strategies = Strategy.objects.with_tag_codes()
        if not can_read_drafts(self.request.user):
            strategies = strategies.published()
        strategy = strategies.filter(strategy_id=strategy_id).first()
        if strategy is None:
            raise NotFound(_("There is no strategy %(id)s.") % {"id": strategy_id})
        return strategy

    def get(self, request, strategy_id):
        strategy = self.get_strategy(strategy_id)
        validators = record_validators(strategy, request)
        if not_modified := validators.not_modified(request):
            return not_modified
        body = StrategySerializer(strategy, context={"request": request}).data
        return validators.apply(Response(body))

    def put(self, request, strategy_id):
        if not Strategy.objects.filter(strategy_id=strategy_id).exists():
            raise NotFound(_("There is no strategy %(id)s.") % {"id": strategy_id})
        return self._update(request, strategy_id, current={})

    def patch(self, request, strategy_id):
        current = to_canonical(self.get_strategy(strategy_id))
        return self._update(request, strategy_id, current=current)

    def _update(self, request, strategy_id: str, *, current: dict):
        record = request.data
        if isinstance(record, dict):
            if record.get("strategy_id") not in (None, "", strategy_id):
                raise ValidationError(
                    {
                        "strategy_id": [
                            _("A strategy's ID cannot change: the URL says %(url)s.")
                            % {"url": strategy_id}
                        ]
                    }
                )
            record = {**current, **record, "strategy_id": strategy_id}
        strategy = _save(_canonical_data(record), create=False, user=request.user)
        body = StrategySerializer(strategy, context={"request": request}).data
        return record_validators(strategy, request).apply(Response(body))


# -- exports -----------------------------------------------------------------------------------


class _ErrorsInJSON(BaseContentNegotiation):
    """An export answers in its own format whatever `Accept` says, and its errors in JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _ExportView(_SearchView):
    throttle_classes = [AnonymousThrottle, ExportThrottle]
    content_negotiation_class = _ErrorsInJSON
    content_type = ""
    extension = ""

    def lines(self, strategies, request):
        """The body, line by line, for the search's results (a QuerySet or IndexedResults)."""
        raise NotImplementedError

    def get(self, request):
        search, _facets = read_search(request)
        lines = self.lines(search.results(), request)
        response = StreamingHttpResponse(
            in_language(lines, translation.get_language()), content_type=self.content_type
        )
        filename = f"strategies-{timezone.localdate().isoformat()}.{self.extension}"
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def _export_schema(media_type: str, description: str):
    return extend_schema_view(
        get=extend_schema(
            summary=gettext_lazy("Export the matching strategies"),
            description=description,
            parameters=[*LANGUAGE_PARAMETERS, RETRY_AFTER],
            responses={
                (200, media_type): OpenApiResponse(OpenApiTypes.STR),
                **error_responses(400, 401, 429),
            },
        )
    )


@_export_schema(
    "text/csv",
    gettext_lazy(
        "CSV (UTF-8 with a byte order mark) of every strategy matching the filters, in the "
        "search's order, streamed: codes and the jurisdiction's and region's names in the "
        "requested language; `url` is the strategy's public page. Anonymous clients have a "
        "stricter rate for exports."
    ),
)
class StrategyCSVExportView(_ExportView):
    content_type = "text/csv; charset=utf-8"
    extension = "csv"

    def lines(self, strategies, request):
        def page_url(strategy_id: str) -> str:
            return request.build_absolute_uri(reverse("strategies:detail", args=[strategy_id]))

        return csv_lines(strategies, page_url)


@_export_schema(
    "application/jsonl",
    gettext_lazy(
        "JSON Lines: the canonical form of every strategy matching the filters, one per line, "
        "in the search's order, streamed. Anonymous clients have a stricter rate for exports."
    ),
)
class StrategyJSONLinesExportView(_ExportView):
    content_type = "application/jsonl; charset=utf-8"
    extension = "jsonl"

    def lines(self, strategies, request):
        return canonical_json_lines(strategies)


# -- the rest ------------------------------------------------------------------------------------


# What the index lists: a name for each of the API's URLs.
INDEX = {
    "strategies": "api:strategy-list",
    "export_csv": "api:strategy-export-csv",
    "export_jsonl": "api:strategy-export-jsonl",
    "jurisdictions": "api:jurisdiction-list",
    "regions": "api:region-list",
    "crime_types": "api:crime-type-list",
    "instruments": "api:instrument-list",
    "cross_cutting_issues": "api:cross-cutting-issue-list",
    "schema": "api:schema",
    "docs": "api:docs",
}


@extend_schema(
    summary=gettext_lazy("What the API offers"),
    description=gettext_lazy("The URLs of the API's resources, its schema and its docs page."),
    tags=["index"],
    parameters=[*LANGUAGE_PARAMETERS, RETRY_AFTER],
    responses={
        200: inline_serializer("APIIndex", {name: serializers.URLField() for name in INDEX}),
        **error_responses(400, 401, 429),
    },
)
class IndexView(LanguageMixin, APIView):
    def get(self, request):
        return Response(
            {key: request.build_absolute_uri(reverse(name)) for key, name in INDEX.items()}
        )


class UnknownPathView(LanguageMixin, APIView):
    """Any other URL under /api/: a JSON 404 (not the site's HTML page), whatever the method."""

    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound(
            _("There is nothing at %(path)s; the API's URLs are listed at %(docs)s.")
            % {"path": request.path, "docs": reverse("api:docs")}
        )
