"""The catalogue's filter parameters: names, what values they accept, and how they are parsed.

The search page, the browse pages, the exports, the feeds and the API all read their query string
through `StrategyFilterSet`, so a parameter means the same thing everywhere and an unknown value is
reported (never silently ignored) in the same words. What a parsed filter *does* is decided by the
query layer (strategies.search); this module only turns HTTP parameters into a StrategyQuery.
"""

import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction, Region

from .models import Strategy
from .search import ORDERINGS, StrategyQuery

PARAMETERS = (
    "q",
    "jurisdiction",
    "region",
    "crime_type",
    "article",
    "issue",
    "adopted_from",
    "adopted_to",
    "ordering",
)
FACET_PARAMETERS = ("jurisdiction", "region", "crime_type", "article", "issue")
ORDERING_LABELS = {
    "relevance": _("Relevance"),
    "newest": _("Newest first"),
    "oldest": _("Oldest first"),
    "title": _("Title"),
}


def _codes(queryset, field: str):
    def choices():
        return [(code, code) for code in queryset().values_list(field, flat=True)]

    return choices


class YearOrDateField(forms.Field):
    """Accepts a year (`2018`) or a date (`2018-11-01`); a year is its first or last day."""

    default_error_messages = {
        "invalid": _("“%(value)s” is not a year (2018) or a date (2018-11-01)."),
    }

    def __init__(self, *, end_of_year: bool = False, **kwargs):
        self.end_of_year = end_of_year
        super().__init__(**kwargs)

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        if re.fullmatch(r"\d{4}", value):
            year = int(value)
            if year >= 1:
                return (
                    datetime.date(year, 12, 31) if self.end_of_year else datetime.date(year, 1, 1)
                )
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                pass
        raise ValidationError(
            self.error_messages["invalid"], code="invalid", params={"value": value}
        )


class YearOrDateFilter(django_filters.Filter):
    field_class = YearOrDateField


class CodeFilter(django_filters.MultipleChoiceFilter):
    """One or more stable codes; repeat the parameter for several values (OR)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("method", "_keep")
        super().__init__(*args, **kwargs)


class StrategyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search words"),
        method="_keep",
        help_text=_(
            'Words to find in titles and summaries. On PostgreSQL: "exact phrase", -exclude, or.'
        ),
    )
    jurisdiction = CodeFilter(
        label=_("Jurisdiction"),
        choices=_codes(Jurisdiction.objects.all, "code"),
        help_text=_("ISO 3166-1 alpha-3 code of a country, or a regional organisation's code."),
    )
    region = CodeFilter(
        label=_("Region"),
        choices=_codes(Region.objects.all, "code"),
        help_text=_("UN M49 code of a region, sub-region or intermediate region (e.g. 150)."),
    )
    crime_type = CodeFilter(
        label=_("Crime type"),
        choices=_codes(CrimeType.objects.all, "slug"),
        help_text=_("Crime type slug, e.g. trafficking-in-persons."),
    )
    article = CodeFilter(
        label=_("Article"),
        choices=_codes(Article.objects.all, "code"),
        help_text=_("Article code, e.g. UNTOC-11 or TIP-9."),
    )
    issue = CodeFilter(
        label=_("Cross-cutting issue"),
        choices=_codes(CrossCuttingIssue.objects.all, "path"),
        help_text=_("Slug path of a node of the tree; a node matches its whole subtree."),
    )
    adopted_from = YearOrDateFilter(
        label=_("Adopted from"),
        method="_keep",
        help_text=_("Earliest adoption: a year (2018) or a date (2018-11-01)."),
    )
    adopted_to = YearOrDateFilter(
        label=_("Adopted to"),
        method="_keep",
        end_of_year=True,
        help_text=_("Latest adoption: a year (2020, up to its last day) or a date."),
    )
    ordering = django_filters.ChoiceFilter(
        label=_("Sort"),
        method="_keep",
        choices=[(ordering, ORDERING_LABELS[ordering]) for ordering in ORDERINGS],
        empty_label=None,
        help_text=_("Default: relevance when searching words, otherwise newest first."),
    )

    class Meta:
        model = Strategy
        fields = []

    def _keep(self, queryset, name, value):
        # Filtering is the query layer's job (see filter_queryset); each filter only parses.
        return queryset

    def to_query(self) -> StrategyQuery:
        """The parsed query; call after is_valid(). Invalid parameters are left out."""
        data = self.form.cleaned_data if hasattr(self.form, "cleaned_data") else {}
        return StrategyQuery(
            text=(data.get("q") or "").strip(),
            **{name: frozenset(data.get(name) or ()) for name in FACET_PARAMETERS},
            adopted_from=data.get("adopted_from"),
            adopted_to=data.get("adopted_to"),
            ordering=data.get("ordering") or "",
        )

    def error_messages(self) -> list[str]:
        """Each invalid parameter with what was wrong, e.g. "article: Select a valid choice…"."""
        return [
            f"{name}: {message}" for name, messages in self.errors.items() for message in messages
        ]
