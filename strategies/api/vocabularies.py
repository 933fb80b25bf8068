"""The vocabularies, whole: what a client needs to build a search and to read its results."""

from django.db import models
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Instrument, Jurisdiction, Region

from .filters import JurisdictionFilterSet
from .language import LanguageMixin
from .schema import LANGUAGE_PARAMETERS, RETRY_AFTER, error_responses
from .serializers import (
    CrimeTypeSerializer,
    CrossCuttingIssueSerializer,
    InstrumentSerializer,
    JurisdictionSerializer,
    RegionSerializer,
)


def _vocabulary_schema(serializer, summary: str):
    return extend_schema_view(
        get=extend_schema(
            summary=summary,
            description=gettext_lazy(
                "The whole vocabulary, not paginated; labels in the requested language."
            ),
            parameters=[*LANGUAGE_PARAMETERS, RETRY_AFTER],
            responses={200: serializer(many=True), **error_responses(400, 401, 429)},
        )
    )


class _VocabularyView(LanguageMixin, ListModelMixin, GenericAPIView):
    def get(self, request):
        return self.list(request)


@_vocabulary_schema(JurisdictionSerializer, gettext_lazy("Jurisdictions"))
class JurisdictionListView(_VocabularyView):
    queryset = Jurisdiction.objects.select_related(
        "region", "subregion", "intermediate_region"
    ).prefetch_related("members")
    serializer_class = JurisdictionSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = JurisdictionFilterSet


@_vocabulary_schema(RegionSerializer, gettext_lazy("UN M49 regions, flat, each with its parent"))
class RegionListView(_VocabularyView):
    queryset = Region.objects.select_related("parent")
    serializer_class = RegionSerializer


@_vocabulary_schema(CrimeTypeSerializer, gettext_lazy("Crime types"))
class CrimeTypeListView(_VocabularyView):
    queryset = CrimeType.objects.all()
    serializer_class = CrimeTypeSerializer


@_vocabulary_schema(
    InstrumentSerializer, gettext_lazy("The Convention and its Protocols, with their articles")
)
class InstrumentListView(_VocabularyView):
    queryset = Instrument.objects.prefetch_related(
        models.Prefetch("articles", queryset=Article.objects.order_by("number"))
    )
    serializer_class = InstrumentSerializer


@_vocabulary_schema(
    CrossCuttingIssueSerializer, gettext_lazy("The cross-cutting issues tree (its roots)")
)
class CrossCuttingIssueListView(_VocabularyView):
    queryset = CrossCuttingIssue.objects.order_by("position")
    serializer_class = CrossCuttingIssueSerializer

    def list(self, request):
        issues = list(self.get_queryset())
        by_id = {issue.pk: issue for issue in issues}
        roots = []
        for issue in issues:
            issue.branches = []
        for issue in issues:
            (by_id[issue.parent_id].branches if issue.parent_id else roots).append(issue)
        return Response(self.get_serializer(roots, many=True).data)
