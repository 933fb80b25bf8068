"""The catalogue's filter parameters: names, what values they accept, and how they are parsed.

The search page, the browse pages, the exports, the feeds and the API all read their query string
through `StrategyFilterSet`, so a parameter means the same thing everywhere and an unknown value is
reported (never silently ignored) in the same words. What a parsed filter *does* is decided by the
query layer (strategies.search); this module only turns HTTP parameters into a StrategyQuery.
"""

import copy
import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction, Region

from .models import Strategy
from .search import ORDERINGS, StrategyQuery
from .vocabularies import current_vocabularies

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


class CodesField(forms.MultipleChoiceField):
    """Several stable codes of one vocabulary, checked against the vocabularies this process
    keeps per catalogue version (strategies.vocabularies), or else in a single query.

    The choices (every code) are only listed when asked for, e.g. by the API schema; validating
    a request does not read them.
    """

    def __init__(self, *, vocabulary, code_field: str, **kwargs):
        self.vocabulary = vocabulary
        self.code_field = code_field
        kwargs["choices"] = self._all_codes
        super().__init__(**kwargs)

    def _all_codes(self):
        codes = self.vocabulary.objects.order_by(self.code_field).values_list(
            self.code_field, flat=True
        )
        return [(code, code) for code in codes]

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        if not value:
            return
        for code in value:
            # A NUL can be in no code, and PostgreSQL refuses it in a query.
            if "\x00" in code:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": code.replace("\x00", "\\x00")},
                )
        known = current_vocabularies().codes(self.vocabulary, self.code_field)
        if known is None:
            lookup = {f"{self.code_field}__in": value}
            known = set(
                self.vocabulary.objects.filter(**lookup).values_list(self.code_field, flat=True)
            )
        for code in value:
            if code not in known:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": code},
                )


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

    field_class = CodesField

    def __init__(self, *args, vocabulary, code_field: str, **kwargs):
        kwargs.setdefault("method", "_keep")
        super().__init__(*args, vocabulary=vocabulary, code_field=code_field, **kwargs)


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
        vocabulary=Jurisdiction,
        code_field="code",
        help_text=_("ISO 3166-1 alpha-3 code of a country, or a regional organisation's code."),
    )
    region = CodeFilter(
        label=_("Region"),
        vocabulary=Region,
        code_field="code",
        help_text=_("UN M49 code of a region, sub-region or intermediate region (e.g. 150)."),
    )
    crime_type = CodeFilter(
        label=_("Crime type"),
        vocabulary=CrimeType,
        code_field="slug",
        help_text=_("Crime type slug, e.g. trafficking-in-persons."),
    )
    article = CodeFilter(
        label=_("Article"),
        vocabulary=Article,
        code_field="code",
        help_text=_("Article code, e.g. UNTOC-11 or TIP-9."),
    )
    issue = CodeFilter(
        label=_("Cross-cutting issue"),
        vocabulary=CrossCuttingIssue,
        code_field="path",
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

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # What FilterSet.__init__ does, with a shallow copy of each filter where it makes a deep
        # one (of the labels, help texts and choices too), and with the form class made once
        # (get_form_class below) rather than with new fields for every request: together most
        # of the time it took to read a query string. These filters only parse and keep no state
        # but the filterset they belong to; the form still copies its fields, as forms do.
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = self._meta.model._default_manager.all() if queryset is None else queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base_filter in self.base_filters.items():
            filter_ = copy.copy(base_filter)
            filter_.method = base_filter.method  # its filter method, bound to the copy
            filter_.model = self.queryset.model
            filter_.parent = self
            self.filters[name] = filter_

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._form_class = form_class
        return form_class

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
