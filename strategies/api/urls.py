from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views, vocabularies

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI, its start-up script a file of its own: the site's CSP forbids inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("v1/", views.IndexView.as_view(), name="index"),
    path("v1/strategies/", views.StrategyListView.as_view(), name="strategy-list"),
    path(
        "v1/strategies/export.csv",
        views.StrategyCSVExportView.as_view(),
        name="strategy-export-csv",
    ),
    path(
        "v1/strategies/export.jsonl",
        views.StrategyJSONLinesExportView.as_view(),
        name="strategy-export-jsonl",
    ),
    path(
        "v1/strategies/<str:strategy_id>/",
        views.StrategyDetailView.as_view(),
        name="strategy-detail",
    ),
    path(
        "v1/jurisdictions/", vocabularies.JurisdictionListView.as_view(), name="jurisdiction-list"
    ),
    path("v1/regions/", vocabularies.RegionListView.as_view(), name="region-list"),
    path("v1/crime-types/", vocabularies.CrimeTypeListView.as_view(), name="crime-type-list"),
    path("v1/instruments/", vocabularies.InstrumentListView.as_view(), name="instrument-list"),
    path(
        "v1/cross-cutting-issues/",
        vocabularies.CrossCuttingIssueListView.as_view(),
        name="cross-cutting-issue-list",
    ),
    # Last: anything else under /api/ is a JSON 404.
    re_path(r"", views.UnknownPathView.as_view()),
]
