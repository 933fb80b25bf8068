"""Related strategies: the published strategies that share the most tags with one strategy.

The score is the number of shared articles plus the number of shared cross-cutting issue leaves
(only leaves are ever tagged, so shared tagged issues are shared leaves). Ties go to the newest
adoption, then to the strategy ID, so the list is stable from one page view to the next.
"""

import numpy as np
from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from .facet_index import current_index
from .models import Strategy

RELATED_LIMIT = 5


def _shared_tags(through: type[models.Model], tag_field: str, strategy: Strategy) -> Subquery:
    """How many of `strategy`'s tags of one kind each outer strategy also carries.

    A GROUP BY over the through table, restricted to the tags of `strategy`: the database counts,
    and only the top few rows ever reach Python.
    """
    tags_of_strategy = through.objects.filter(strategy_id=strategy.pk).values(tag_field)
    return Coalesce(
        Subquery(
            through.objects.filter(
                strategy_id=OuterRef("pk"), **{f"{tag_field}__in": tags_of_strategy}
            )
            .values("strategy_id")
            .annotate(shared=Count("*"))
            .values("shared")[:1],
            output_field=models.IntegerField(),
        ),
        Value(0),
    )


def related_strategies(
    strategy: Strategy,
    limit: int = RELATED_LIMIT,
    *,
    articles: list[str] | None = None,
    issues: list[str] | None = None,
) -> list[Strategy]:
    """The `limit` best-matching published strategies, each with its `score`.

    Strategies sharing nothing are left out, so a record with no tags has no related strategies.
    With the index engine the scores are counted over the facet index's bitmaps (a few
    milliseconds for 100,000 strategies; the SQL below scores every candidate with correlated
    subqueries, which takes minutes at that size) and one query fetches the winners. A caller
    that has read the strategy's article codes and issue paths passes them; else they are read.
    """
    if settings.SEARCH_ENGINE != "index":
        return list(_related_by_sql(strategy, limit))
    if articles is None:
        articles = list(strategy.articles.values_list("code", flat=True))
    if issues is None:
        issues = list(strategy.cross_cutting_issues.values_list("path", flat=True))
    return _related_by_index(strategy, limit, articles, issues)


def _related_by_index(
    strategy: Strategy, limit: int, article_codes: list[str], issue_paths: list[str]
) -> list[Strategy]:
    index = current_index()
    articles, issues = index.facets["article"], index.facets["issue"]
    rows = [
        *(articles.bits[articles.row_of[code]] for code in article_codes
          if code in articles.row_of),
        *(issues.bits[issues.row_of[path]] for path in issue_paths if path in issues.row_of),
    ]  # fmt: skip
    if not rows or not index.size:
        return []
    tagged = np.unpackbits(np.stack(rows).view(np.uint8), axis=1, bitorder="little")
    scores = tagged[:, : index.size].sum(axis=0, dtype=np.int64)
    scores[~(index.published_flags & index.present)] = 0
    scores[index.pks == strategy.pk] = 0
    found = int(np.count_nonzero(scores))
    if not found:
        return []
    # Ties: newest adoption first, then strategy ID, as the "newest" order of the index has it.
    # One number per strategy orders by both; only the best few are sorted.
    rank = index.remember(("newest rank",), lambda: _inverse(index.order("newest")))
    key = scores * (index.size + 1) + (index.size - rank)
    count = min(limit, found)
    best = np.argpartition(-key, count - 1)[:count]
    best = best[np.argsort(-key[best])]
    by_pk = Strategy.objects.select_related("jurisdiction").in_bulk(index.pks[best].tolist())
    related = []
    for position in best.tolist():
        found = by_pk.get(int(index.pks[position]))
        if found is not None:  # deleted since the index was built
            found.score = int(scores[position])
            related.append(found)
    return related


def _inverse(order: np.ndarray) -> np.ndarray:
    """Each position's rank in an order (a permutation of positions)."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _related_by_sql(strategy: Strategy, limit: int) -> models.QuerySet[Strategy]:
    articles = Strategy.articles.through
    issues = Strategy.cross_cutting_issues.through
    # Only strategies sharing at least one tag are scored, not the whole catalogue.
    candidates = Q(
        pk__in=articles.objects.filter(
            article_id__in=articles.objects.filter(strategy_id=strategy.pk).values("article_id")
        ).values("strategy_id")
    ) | Q(
        pk__in=issues.objects.filter(
            crosscuttingissue_id__in=issues.objects.filter(strategy_id=strategy.pk).values(
                "crosscuttingissue_id"
            )
        ).values("strategy_id")
    )
    return (
        Strategy.objects.published()
        .filter(candidates)
        .exclude(pk=strategy.pk)
        .select_related("jurisdiction")
        .annotate(
            score=_shared_tags(articles, "article_id", strategy)
            + _shared_tags(issues, "crosscuttingissue_id", strategy)
        )
        .filter(score__gt=0)
        .order_by("-score", F("adoption_date").desc(nulls_last=True), "strategy_id")[:limit]
    )
