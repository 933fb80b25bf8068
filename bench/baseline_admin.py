"""Baseline (b) of the benchmark: what users of a plain Django admin would get.

A change list of strategies with list filters on jurisdiction, crime types, articles and
cross-cutting issues and their facet counts shown, on an admin site of its own so that the
catalogue's real admin is not changed by the benchmark.
"""

from django.contrib import admin
from django.urls import path

from sherlock import urls as catalogue_urls
from strategies.models import Strategy

site = admin.AdminSite(name="baseline_admin")


@admin.register(Strategy, site=site)
class BaselineStrategyAdmin(admin.ModelAdmin):
    list_display = ["strategy_id", "title", "jurisdiction", "adoption_date", "status"]
    list_filter = ["jurisdiction", "crime_types", "articles", "cross_cutting_issues"]
    search_fields = ["title", "summary"]
    show_facets = admin.ShowFacets.ALWAYS
    list_per_page = 20


urlpatterns = [path("baseline-admin/", site.urls), *catalogue_urls.urlpatterns]
