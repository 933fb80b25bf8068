"""Related strategies: the published strategies that share the most tags with one strategy.

The score is the number of shared articles plus the number of shared cross-cutting issue leaves
(only leaves are ever tagged, so shared tagged issues are shared leaves). Ties go to the newest
adoption, then to the strategy ID, so the list is stable from one page view to the next.
"""

from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

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


def related_strategies(strategy: Strategy, limit: int = RELATED_LIMIT) -> models.QuerySet[Strategy]:
    """The `limit` best-matching published strategies, each annotated with `score`; one query.

    Strategies sharing nothing are left out, so a record with no tags has no related strategies.
    """
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
