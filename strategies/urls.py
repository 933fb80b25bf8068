from django.urls import path

from .views import browse, catalogue, detail, exports, feeds, home

app_name = "strategies"

urlpatterns = [
    path("", home.home, name="home"),
    path("strategies/", catalogue.search, name="search"),
    path("strategies/export.csv", exports.export_csv, name="export-csv"),
    path("strategies/export.jsonl", exports.export_jsonl, name="export-jsonl"),
    path("strategies/feed/", feeds.StrategyFeed(), name="feed"),
    path("strategies/<str:strategy_id>.json", detail.strategy_json, name="detail-json"),
    path("strategies/<str:strategy_id>/", detail.strategy_detail, name="detail"),
    path("articles/", browse.articles, name="articles"),
    path("articles/<str:code>/", browse.article_detail, name="article"),
    path("issues/", browse.issues, name="issues"),
    path("issues/<path:path>/", browse.issue_detail, name="issue"),
    path("jurisdictions/", browse.jurisdictions, name="jurisdictions"),
    path("jurisdictions/<str:code>/", browse.jurisdiction_detail, name="jurisdiction"),
]
