"""The OpenAPI schema: how drf-spectacular reads the API's views, and the parameters and error
responses that every operation shares."""

import django_filters
from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.django_filters import DjangoFilterExtension, _NoHint
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import SAFE_METHODS

from ..filters import CodeFilter, YearOrDateFilter
from ..search import FACETS
from .language import LANGUAGE_PARAMETER
from .serializers import ErrorSerializer


class ParsingFiltersExtension(DjangoFilterExtension):
    """Types the filters of FilterSets that only parse, like StrategyFilterSet.

    Their filters hand the queryset back untouched (the query layer does the filtering), so
    drf-spectacular finds neither a type hint nor a model field to type them by, and would warn.
    Their values are strings. The codes a CodeFilter (or callable choices) accepts are listed as
    they stand in the vocabulary when the schema is generated, which drf-spectacular would not do
    by itself, so that a client, the docs page and schemathesis see which values are accepted.
    """

    priority = 1

    def _get_filter_method_hint(self, filter_method):
        hint = super()._get_filter_method_hint(filter_method)
        return str if filter_method is not None and hint is _NoHint else hint

    def _get_explicit_filter_choices(self, filter_field):
        try:
            if isinstance(filter_field, CodeFilter):
                extra = filter_field.extra
                codes = extra["vocabulary"].objects.values_list(extra["code_field"], flat=True)
                return list(codes)
            choices = filter_field.extra.get("choices")
            if callable(choices):
                return [code for code, _label in choices()]
        except DatabaseError:
            # No tables yet (`check --deploy` before the first migrate): list no codes rather
            # than fail.
            return None
        return super()._get_explicit_filter_choices(filter_field)

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            if isinstance(filter_field, YearOrDateFilter):
                parameter["schema"] = YEAR_OR_DATE
            elif isinstance(filter_field, django_filters.CharFilter):
                # Django's form fields refuse NUL characters (PostgreSQL cannot store them).
                parameter["schema"] = {**parameter["schema"], "pattern": NO_NUL}
        return parameters


NO_NUL = "^[^\\u0000]*$"
YEAR_OR_DATE = {
    "anyOf": [
        {"type": "string", "pattern": "^[1-9][0-9]{3}$"},
        {"type": "string", "format": "date"},
    ]
}


class CatalogueAutoSchema(AutoSchema):
    def get_filter_backends(self):
        # drf-spectacular documents filters only on responses it recognises as lists of the view's
        # serializer; a search page (with facets) and an export are filtered all the same.
        return getattr(self.view, "filter_backends", []) if self.method == "GET" else []

    def get_auth(self):
        # Every API read is open to anonymous clients (drafts aside), whatever the write rules.
        auths = super().get_auth()
        if self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths


LANGUAGE_PARAMETERS = [
    OpenApiParameter(
        LANGUAGE_PARAMETER,
        str,
        enum=[code for code, _name in settings.LANGUAGES],
        description=_(
            "Language of labels and messages; overrides Accept-Language. An unknown code is a "
            "400. Missing translations fall back to English."
        ),
    ),
    OpenApiParameter(
        "Accept-Language",
        str,
        OpenApiParameter.HEADER,
        description=_("Used when ?lang= is not given; languages the catalogue lacks are skipped."),
    ),
    OpenApiParameter(
        "Content-Language",
        str,
        OpenApiParameter.HEADER,
        response=True,
        description=_("The language the response speaks."),
    ),
]

# Request headers of a conditional GET.
CONDITIONAL_HEADERS = [
    OpenApiParameter(
        "If-None-Match",
        str,
        OpenApiParameter.HEADER,
        description=_("An ETag from an earlier response: 304 if it still holds."),
    ),
    OpenApiParameter(
        "If-Modified-Since",
        str,
        OpenApiParameter.HEADER,
        description=_("An HTTP date: 304 if nothing matching changed since (no If-None-Match)."),
    ),
]
# Response headers of a list or a record, read or written.
VALIDATOR_HEADERS = [
    OpenApiParameter(
        "ETag", str, OpenApiParameter.HEADER, response=[200, 201, 304],
        description=_("Validator of this response, for If-None-Match."),
    ),
    OpenApiParameter(
        "Last-Modified", str, OpenApiParameter.HEADER, response=[200, 201, 304],
        description=_("Latest change to what the response shows (absent for an empty list)."),
    ),
]  # fmt: skip

FACETS_PARAMETER = OpenApiParameter(
    "facets",
    {"type": "array", "items": {"type": "string", "enum": list(FACETS)}},
    style="form",
    explode=False,
    description=_(
        "Facet counts to add to the response, comma-separated (e.g. crime_type,article): the "
        "filter names, and year. An unknown name is a 400."
    ),
)

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429],
    description=_("Seconds to wait before trying again."),
)

_ERRORS = {
    400: _(
        "A query parameter or body field is wrong: `errors` names each one with what was "
        "wrong (e.g. an unknown code, a malformed date or page number)."
    ),
    401: _("The token (Authorization: Token …) is unknown, or a write was sent without one."),
    403: _("Signed in, but without the permission this needs."),
    404: _("No such strategy (drafts are only shown to editors), or a page past the last one."),
    415: _("The body is not JSON (Content-Type: application/json)."),
    429: _("Too many requests from this address; see Retry-After."),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=_ERRORS[code]) for code in codes}
