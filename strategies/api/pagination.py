"""Page-number pagination for strategy lists: 20 a page by default, `page_size` up to 100.

Unlike DRF's default, a malformed `page` or `page_size` is a 400 naming the parameter (not a
silent default or a 404), and only a page past the end is a 404.
"""

from django.core.paginator import InvalidPage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def _positive_int(params, name: str, *, default: int, maximum: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() else 0
    if value < 1 or (maximum is not None and value > maximum):
        message = (
            _("“%(value)s” is not a whole number from 1 to %(maximum)d.")
            if maximum
            else _("“%(value)s” is not a whole number of 1 or more.")
        )
        raise ValidationError({name: [message % {"value": raw, "maximum": maximum or 0}]})
    return value


class StrategyPagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return _positive_int(
            request.query_params, self.page_size_query_param,
            default=self.page_size, maximum=self.max_page_size,
        )  # fmt: skip

    def paginate_queryset(self, queryset, request, view=None, *, count: int | None = None):
        """One page of `queryset`; pass `count` if it is known already, to save a COUNT query."""
        self.request = request
        page_size = self.get_page_size(request)
        page_number = _positive_int(request.query_params, self.page_query_param, default=1)
        paginator = self.django_paginator_class(queryset, page_size)
        if count is not None:
            paginator.count = count  # a cached_property: this is the value it would compute
        try:
            self.page = paginator.page(page_number)
        except InvalidPage:
            raise NotFound(
                _("Page %(page)d does not exist: the last page is %(last)d.")
                % {"page": page_number, "last": paginator.num_pages}
            ) from None
        return list(self.page)

    def get_paginated_data(self, results) -> dict:
        return {
            "count": self.page.paginator.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": results,
        }

    @classmethod
    def schema_parameters(cls) -> list[OpenApiParameter]:
        return [
            OpenApiParameter(
                cls.page_query_param,
                {"type": "integer", "minimum": 1, "default": 1},
                description=gettext_lazy("Page number, from 1; a page past the last one is a 404."),
            ),
            OpenApiParameter(
                cls.page_size_query_param,
                {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PAGE_SIZE,
                    "default": cls.page_size,
                },
                description=gettext_lazy(
                    "Strategies per page: 20 unless given, at most 100 (more is a 400)."
                ),
            ),
        ]
