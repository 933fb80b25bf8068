"""Browse pages: the vocabularies as indexes with counts, and one page per value.

A value's page (an article, an issue, a jurisdiction) is the search page with that facet pinned,
built by catalogue.search_page(), so there is one implementation of search. Counts on the indexes
come from the query layer's facets, so they mean what the search page's counts mean: published
strategies only.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.shortcuts import get_object_or_404, render

from taxonomy.models import Article, CrossCuttingIssue, Jurisdiction

from ..search import FacetValue, StrategyQuery, StrategySearch
from .catalogue import Pin, article_label, search_page


def _sort_key(label: str) -> str:
    """Alphabetical order that files "Åland" with "A" rather than after "Z"."""
    decomposed = unicodedata.normalize("NFKD", label)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _counts(values: list[FacetValue]) -> dict[str, int]:
    counts = {}
    for value in values:
        counts[value.code] = value.count
        counts.update(_counts(value.children))
    return counts


def _published_counts(facet: str) -> dict[str, int]:
    """Published strategies per value of one facet, with no filter applied."""
    return _counts(StrategySearch(StrategyQuery()).facets([facet])[facet])


# -- articles -------------------------------------------------------------------------------------


def articles(request):
    counts = _published_counts("article")
    instruments: list[dict] = []
    for article in Article.objects.in_order().select_related("instrument"):
        if not instruments or instruments[-1]["instrument"] != article.instrument:
            instruments.append({"instrument": article.instrument, "articles": []})
        instruments[-1]["articles"].append((article, counts.get(article.code, 0)))
    return render(request, "strategies/browse/articles.html", {"instruments": instruments})


def article_detail(request, code: str):
    article = get_object_or_404(Article.objects.select_related("instrument"), code=code)
    label = article_label(article.number, article.title)
    context = search_page(request, pin=Pin("article", article.code, label))
    context["article"] = article
    return render(request, "strategies/browse/article.html", context)


# -- cross-cutting issues -------------------------------------------------------------------------


@dataclass
class IssueNode:
    issue: CrossCuttingIssue
    count: int
    children: list[IssueNode] = field(default_factory=list)


def issues(request):
    counts = _published_counts("issue")
    nodes: dict[int, IssueNode] = {}
    roots: list[IssueNode] = []
    # Parents come before their children in the tree's own order.
    for issue in CrossCuttingIssue.objects.order_by("position"):
        node = nodes[issue.pk] = IssueNode(issue, counts.get(issue.path, 0))
        (nodes[issue.parent_id].children if issue.parent_id else roots).append(node)
    return render(request, "strategies/browse/issues.html", {"roots": roots})


def issue_detail(request, path: str):
    issue = get_object_or_404(CrossCuttingIssue, path=path)
    ancestors = sorted(
        CrossCuttingIssue.objects.filter(path__in=issue.ancestor_paths()), key=lambda i: i.depth
    )
    trail = " › ".join(node.name for node in [*ancestors, issue])
    context = search_page(request, pin=Pin("issue", issue.path, trail), also_count=("issue",))
    context.update(
        issue=issue,
        ancestors=ancestors,
        narrower=_find(context["facets"]["issue"], issue.path).children,
    )
    return render(request, "strategies/browse/issue.html", context)


def _find(values: list[FacetValue], code: str) -> FacetValue:
    # The pinned node is selected, so the facet keeps it (and its counted branches) however
    # few strategies it has.
    for value in values:
        if value.code == code:
            return value
        if code.startswith(f"{value.code}/"):
            return _find(value.children, code)
    return FacetValue(code, "", 0)


# -- jurisdictions --------------------------------------------------------------------------------


def jurisdictions(request):
    counts = _published_counts("jurisdiction")
    regions: dict[str, dict] = {}
    organisations = []
    elsewhere = []
    for jurisdiction in Jurisdiction.objects.select_related("region", "subregion"):
        entry = (jurisdiction, counts.get(jurisdiction.code, 0))
        if jurisdiction.kind == Jurisdiction.Kind.ORGANISATION:
            organisations.append(entry)
        elif jurisdiction.region is None:
            elsewhere.append(entry)
        else:
            region = regions.setdefault(
                jurisdiction.region.code, {"region": jurisdiction.region, "subregions": {}}
            )
            subregion = jurisdiction.subregion or jurisdiction.region
            region["subregions"].setdefault(
                subregion.code, {"region": subregion, "jurisdictions": []}
            )["jurisdictions"].append(entry)

    def by_name(entries):
        return sorted(entries, key=lambda entry: _sort_key(entry[0].name))

    groups = [
        {
            "region": region["region"],
            "subregions": [
                {"region": sub["region"], "jurisdictions": by_name(sub["jurisdictions"])}
                for sub in sorted(
                    region["subregions"].values(), key=lambda sub: _sort_key(sub["region"].name)
                )
            ],
        }
        for region in sorted(regions.values(), key=lambda region: _sort_key(region["region"].name))
    ]
    context = {
        "groups": groups,
        "elsewhere": by_name(elsewhere),
        "organisations": by_name(organisations),
    }
    return render(request, "strategies/browse/jurisdictions.html", context)


def jurisdiction_detail(request, code: str):
    jurisdiction = get_object_or_404(
        Jurisdiction.objects.select_related("region", "subregion", "intermediate_region"),
        code=code,
    )
    # A jurisdiction lies in one region, so the region facet and chart would say nothing.
    context = search_page(
        request, pin=Pin("jurisdiction", jurisdiction.code, jurisdiction.name), hidden=("region",)
    )
    context.update(
        jurisdiction=jurisdiction,
        regions=[
            region
            for region in (
                jurisdiction.region,
                jurisdiction.subregion,
                jurisdiction.intermediate_region,
            )
            if region
        ],
        members=sorted(jurisdiction.members.all(), key=lambda j: _sort_key(j.name)),
        organisations=sorted(jurisdiction.organisations.all(), key=lambda j: _sort_key(j.name)),
    )
    return render(request, "strategies/browse/jurisdiction.html", context)
