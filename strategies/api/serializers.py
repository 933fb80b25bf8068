"""What the API sends and accepts, declared field by field so that the OpenAPI schema says exactly
what a client gets.

A strategy's fields are its canonical form (strategies.canonical), the same JSON as the exports
and the importers; `StrategySerializer` only adds the record's API URL. Writes do not go through
DRF validation: the body is checked by `from_canonical()` and `save_strategy()`, like every other
write, so the request schema here documents that form rather than enforcing a second copy of it.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.helpers import lazy_serializer
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Instrument, Jurisdiction, Region

from ..canonical import to_canonical
from ..models import Status, Strategy

# -- strategies --------------------------------------------------------------------------------


def strategy_api_url(request, strategy_id: str) -> str:
    return request.build_absolute_uri(reverse("api:strategy-detail", args=[strategy_id]))


DOCUMENT_LANGUAGE_HELP = _("Language code of the document, e.g. en.")


class AttachmentSerializer(serializers.Serializer):
    file = serializers.CharField(
        help_text=_("Name of the file in the media store, e.g. attachments/GBR0007s/strategy.pdf.")
    )
    title = serializers.CharField(allow_blank=True)
    language = serializers.CharField(help_text=DOCUMENT_LANGUAGE_HELP)


class StrategySerializer(serializers.Serializer):
    """A strategy in its canonical form, with its URL in the API."""

    strategy_id = serializers.CharField(
        help_text=_("The jurisdiction's code, four digits and “s”, e.g. GBR0007s.")
    )
    title = serializers.CharField()
    jurisdiction = serializers.CharField(
        help_text=_("Jurisdiction code, e.g. GBR (see /api/v1/jurisdictions/).")
    )
    adoption_date = serializers.DateField(allow_null=True)
    language = serializers.CharField(help_text=DOCUMENT_LANGUAGE_HELP)
    status = serializers.ChoiceField(choices=Status.choices)
    summary = serializers.CharField(
        allow_blank=True,
        help_text=_("HTML: paragraphs, lists, emphasis and links; other markup is removed."),
    )
    source_url = serializers.CharField(
        allow_blank=True, help_text=_("Where the document is published; may be empty.")
    )
    crime_types = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Crime type slugs (see /api/v1/crime-types/), sorted."),
    )
    articles = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Article codes (see /api/v1/instruments/), by instrument then number."),
    )
    cross_cutting_issues = serializers.ListField(
        child=serializers.CharField(),
        help_text=_(
            "Slug paths of leaves of the cross-cutting issues tree "
            "(see /api/v1/cross-cutting-issues/), sorted."
        ),
    )
    attachments = AttachmentSerializer(many=True)
    url = serializers.URLField(read_only=True, help_text=_("This strategy in the API."))

    def to_representation(self, strategy: Strategy) -> dict:
        # Call on rows from `Strategy.objects.with_tag_codes()`: no query is made per strategy.
        return {
            **to_canonical(strategy),
            "url": strategy_api_url(self.context["request"], strategy.strategy_id),
        }


@extend_schema_serializer(component_name="Attachment")
class AttachmentWriteSerializer(AttachmentSerializer):
    language = serializers.CharField(required=False, help_text=_("Default: en."))


@extend_schema_serializer(component_name="Strategy")
class StrategyWriteSerializer(StrategySerializer):
    """The canonical form as a request body: `strategy_id` (to create), `title` and `jurisdiction`
    are required, the rest have defaults. It is checked as the admin and the importers check it."""

    strategy_id = serializers.CharField(
        required=False,
        help_text=_(
            "The jurisdiction's code, four digits and “s”, e.g. GBR0007s. Required to create; "
            "PUT and PATCH take it from the URL (if given, it must be the same)."
        ),
    )
    adoption_date = serializers.DateField(required=False, allow_null=True)
    language = serializers.CharField(required=False, help_text=_("Default: en."))
    status = serializers.ChoiceField(
        choices=Status.choices, required=False, help_text=_("Default: draft.")
    )
    summary = serializers.CharField(required=False, allow_blank=True)
    source_url = serializers.CharField(required=False, allow_blank=True)
    crime_types = serializers.ListField(child=serializers.CharField(), required=False)
    articles = serializers.ListField(child=serializers.CharField(), required=False)
    cross_cutting_issues = serializers.ListField(child=serializers.CharField(), required=False)
    attachments = AttachmentWriteSerializer(many=True, required=False)


# -- facets ------------------------------------------------------------------------------------


class FacetValueSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("The value to give the filter of the same name."))
    label = serializers.CharField(help_text=_("In the requested language."))
    count = serializers.IntegerField(
        help_text=_(
            "Strategies that would match with this value ticked: every other facet's selection "
            "applied, this facet's not."
        )
    )
    selected = serializers.BooleanField(help_text=_("Whether the request selects this value."))


class ArticleFacetValueSerializer(FacetValueSerializer):
    instrument = serializers.CharField(
        source="group", help_text=_("Code of the article's instrument, e.g. UNTOC.")
    )


class FacetTreeValueSerializer(FacetValueSerializer):
    children = serializers.SerializerMethodField(
        help_text=_("Values beneath this one; a count covers its whole subtree.")
    )

    @extend_schema_field(
        lazy_serializer("strategies.api.serializers.FacetTreeValueSerializer")(many=True)
    )
    def get_children(self, value) -> list:
        return FacetTreeValueSerializer(value.children, many=True).data


class FacetsSerializer(serializers.Serializer):
    """Only the facets asked for with `?facets=` are present. Values with no strategy are left
    out unless selected."""

    jurisdiction = FacetValueSerializer(many=True, required=False)
    region = FacetTreeValueSerializer(
        many=True,
        required=False,
        help_text=_("UN M49 regions, sub-regions and intermediate regions."),
    )
    crime_type = FacetValueSerializer(many=True, required=False)
    article = ArticleFacetValueSerializer(
        many=True, required=False, help_text=_("By instrument, then article number.")
    )
    issue = FacetTreeValueSerializer(
        many=True, required=False, help_text=_("The cross-cutting issues tree.")
    )
    year = FacetValueSerializer(
        many=True, required=False, help_text=_("Years of adoption, oldest first.")
    )


def facets_data(facets: dict[str, list]) -> dict[str, list[dict]]:
    """What FacetsSerializer gives for these facets, written out directly.

    A response with every facet carries about 600 values; DRF's field machinery spends more on
    them than counting them takes, so the list view builds the same dictionaries here (a test
    compares the two). FacetsSerializer remains the schema's description of this part.
    """

    def values(items, *, tree: bool, article: bool) -> list[dict]:
        out = []
        for value in items:
            item = {
                "code": value.code,
                "label": str(value.label),
                "count": value.count,
                "selected": value.selected,
            }
            if article:
                item["instrument"] = value.group
            if tree:
                item["children"] = values(value.children, tree=True, article=False)
            out.append(item)
        return out

    return {
        name: values(facets[name], tree=name in ("region", "issue"), article=name == "article")
        for name in FacetsSerializer._declared_fields
        if name in facets
    }


class StrategyPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Strategies matching the query, on all pages."))
    next = serializers.URLField(allow_null=True, help_text=_("The next page; null on the last."))
    previous = serializers.URLField(allow_null=True, help_text=_("null on the first page."))
    results = StrategySerializer(many=True)
    facets = FacetsSerializer(required=False, help_text=_("Only with ?facets=."))


# -- errors ------------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("What was wrong, in one sentence."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_(
            "For 400: each query parameter or body field at fault, with its messages "
            "(non_field_errors: about the request as a whole). Empty otherwise."
        ),
    )


# -- vocabularies ------------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text=_("M49 code of the parent; null for a region."),
    )

    class Meta:
        model = Region
        fields = ("code", "name", "level", "parent")
        read_only_fields = fields


class JurisdictionSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text=_("UN M49 code.")
    )
    subregion = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text=_("UN M49 code.")
    )
    intermediate_region = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text=_("UN M49 code.")
    )
    members = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        read_only=True,
        help_text=_("For a regional organisation: the codes of its member states."),
    )

    class Meta:
        model = Jurisdiction
        fields = (
            "code", "kind", "name", "official_name", "alpha_2", "numeric",
            "region", "subregion", "intermediate_region", "members",
        )  # fmt: skip
        read_only_fields = fields


class CrimeTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CrimeType
        fields = ("slug", "name")
        read_only_fields = fields


class ArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = ("code", "number", "title")
        read_only_fields = fields


class InstrumentSerializer(serializers.ModelSerializer):
    articles = ArticleSerializer(many=True, read_only=True, help_text=_("In numeric order."))

    class Meta:
        model = Instrument
        fields = ("code", "name", "articles")
        read_only_fields = fields


class CrossCuttingIssueSerializer(serializers.ModelSerializer):
    children = serializers.SerializerMethodField(help_text=_("The issues beneath this one."))

    class Meta:
        model = CrossCuttingIssue
        fields = ("path", "slug", "name", "provisional", "children")
        read_only_fields = fields

    @extend_schema_field(
        lazy_serializer("strategies.api.serializers.CrossCuttingIssueSerializer")(many=True)
    )
    def get_children(self, issue) -> list:
        # `branches` is set by the view, which builds the tree from one query.
        return CrossCuttingIssueSerializer(issue.branches, many=True, context=self.context).data
