"""Related strategies: the published strategies that share the most tags with one strategy.

The score is the number of shared articles plus the number of shared cross-cutting issue leaves
(only leaves are ever tagged, so shared tagged issues are shared leaves). Ties go to the newest
adoption, then to the strategy ID, so the list is stable from one page view to the next.
"""

import numpy as np
from django.conf import settings
from django.db import connections, models, router
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from .facet_index import current_index
from .models import Status, Strategy
from .vocabularies import Vocabularies, current_vocabularies

RELATED_LIMIT = 5
# What the list of related strategies shows of each, all that is fetched.
RELATED_FIELDS = ("strategy_id", "title", "language", "jurisdiction_id", "adoption_date")


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
    vocabularies: Vocabularies | None = None,
) -> list[Strategy]:
    """The `limit` best-matching published strategies, each with its `score`.

    Strategies sharing nothing are left out, so a record with no tags has no related strategies.
    With the index engine the scores are counted over the facet index's bitmaps (a few
    milliseconds for 100,000 strategies; the SQL below scores every candidate with correlated
    subqueries, which takes minutes at that size) and one query fetches the winners. A caller
    that has read the strategy's article codes and issue paths, or the vocabularies, passes them;
    else they are read.
    """
    if settings.SEARCH_ENGINE != "index":
        return list(_related_by_sql(strategy, limit))
    if articles is None:
        articles = list(strategy.articles.values_list("code", flat=True))
    if issues is None:
        issues = list(strategy.cross_cutting_issues.values_list("path", flat=True))
    return _related_by_index(
        strategy, limit, articles, issues, vocabularies or current_vocabularies()
    )


def _related_by_index(
    strategy: Strategy,
    limit: int,
    article_codes: list[str],
    issue_paths: list[str],
    vocabularies: Vocabularies,
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
    scores = _scores(rows, index.published, index.size)
    scores[index.pks == strategy.pk] = 0
    best = _best(scores, limit, lambda: index.remember(
        ("newest rank",), lambda: _inverse(index.order("newest"), index.size)
    ))  # fmt: skip
    if not len(best):
        return []
    # Only what the list shows; the jurisdiction's name comes from the vocabularies.
    by_pk = _listed(index.pks[best].tolist())
    related = []
    for position in best.tolist():
        found = by_pk.get(int(index.pks[position]))
        if found is not None:  # deleted since the index was built
            found.score = int(scores[position])
            related.append(found)
    vocabularies.give_jurisdictions(related)
    return related


def _listed(pks: list[int]) -> dict[int, Strategy]:
    """The published strategies among `pks` with RELATED_FIELDS, by primary key.

    Every view of a strategy's page reads them, so the statement is written out: the ORM took
    longer to build it with only() than the database took to answer (1.5 ms against 0.5 in
    all at 100,000 strategies)."""
    database = router.db_for_read(Strategy)
    connection = connections[database]
    quote = connection.ops.quote_name
    meta = Strategy._meta
    # In the model's order, as from_db() takes them.
    wanted = {meta.pk.attname, *(meta.get_field(name).attname for name in RELATED_FIELDS)}
    fields = [field for field in meta.concrete_fields if field.attname in wanted]
    status, deleted = meta.get_field("status"), meta.get_field("deleted_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(quote(field.column) for field in fields)} "
            f"FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} IN "
            f"({', '.join(['%s'] * len(pks))}) "
            f"AND {quote(status.column)} = %s AND {quote(deleted.column)} IS NULL",
            [*pks, Status.PUBLISHED.value],
        )
        rows = cursor.fetchall()
    names = [field.attname for field in fields]
    return {row[0]: Strategy.from_db(database, names, row) for row in rows}


def _scores(rows: list[np.ndarray], mask: np.ndarray, size: int) -> np.ndarray:
    """For each position, how many of the packed bit `rows` have its bit set, counted only where
    `mask` is set.

    The rows are added as binary numbers one bit plane at a time (plane i holds bit i of every
    position's count), on the packed words: a few dozen rows cost a few hundred operations on
    size/64 words, and only the handful of planes is unpacked at the end.
    """
    planes: list[np.ndarray] = []
    for row in rows:
        carry = row.copy()
        for i, plane in enumerate(planes):
            planes[i] = plane ^ carry
            carry &= plane
            if not carry.any():
                break
        else:
            planes.append(carry)
    # Bytes while the counts fit in 8 bits (fewer than 256 tags), as they always do in practice.
    dtype = np.uint8 if len(planes) <= 8 else np.int64
    scores = np.zeros(size, dtype=dtype)
    for i, plane in enumerate(planes):
        bits = np.unpackbits((plane & mask).view(np.uint8), bitorder="little")[:size]
        scores |= bits.astype(dtype, copy=False) << dtype(i)
    return scores.astype(np.int64, copy=False)


def _best(scores: np.ndarray, limit: int, ranks) -> np.ndarray:
    """The positions of the `limit` highest non-zero scores, best first; ties go to the lower
    rank in `ranks()` (newest adoption, then strategy ID, as the index's "newest" order)."""
    counts = np.bincount(scores)
    counts[0] = 0  # sharing nothing is not related
    # The lowest score that still belongs among the best: every position at or above it.
    at_least = np.cumsum(counts[::-1])
    reached = np.flatnonzero(at_least >= limit)
    threshold = len(counts) - 1 - int(reached[0]) if len(reached) else 1
    candidates = np.flatnonzero(scores >= max(threshold, 1))
    if not len(candidates):
        return candidates
    rank = ranks()
    order = np.lexsort((rank[candidates], -scores[candidates]))
    return candidates[order[:limit]]


def _inverse(order: np.ndarray, size: int) -> np.ndarray:
    """Each of `size` positions' rank in an order; positions the order leaves out (those of
    deleted strategies, once the index was patched) rank after all others."""
    rank = np.full(size, len(order), dtype=np.int64)
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
