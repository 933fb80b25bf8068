"""Filters of the jurisdictions vocabulary (strategy filters are `strategies.filters`, shared)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from taxonomy.models import Jurisdiction, Region


def _region_codes():
    return [(code, code) for code in Region.objects.values_list("code", flat=True)]


class JurisdictionFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        choices=Jurisdiction.Kind.choices, help_text=_("country or organisation.")
    )
    region = django_filters.MultipleChoiceFilter(
        choices=_region_codes,
        method="in_regions",
        help_text=_(
            "UN M49 code of a region, sub-region or intermediate region; repeat for several."
        ),
    )

    class Meta:
        model = Jurisdiction
        fields = ["kind", "region"]

    def in_regions(self, queryset, name, value: list[str]):
        # At any level, as the strategy filter of the same name matches.
        return queryset.filter(
            Q(region__code__in=value)
            | Q(subregion__code__in=value)
            | Q(intermediate_region__code__in=value)
        )
