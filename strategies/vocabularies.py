"""The vocabularies as model instances, read once per catalogue version and shared by every
request of a process.

A strategy's page shows its jurisdiction with its regions, its crime types, its articles with
their instruments, and its issues under their ancestors: read through the ORM, that is six
queries and a model instance per tag and ancestor on every view. Here a page maps its tags' ids
to instances read once instead. Every write to a vocabulary moves the catalogue version
(migrations 0004 and 0011), which replaces the snapshot. Names stay translated: modeltranslation
resolves `name` in the language active when it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db import connections, models, router

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction, Region

from .models import TAG_TABLES, CatalogueVersion, Strategy
from .versioned import KeptPerVersion

_JURISDICTION = Strategy._meta.get_field("jurisdiction")


@dataclass(frozen=True)
class Vocabularies:
    version: int
    jurisdictions: dict[str, Jurisdiction]  # by code, with region and sub-region
    crime_types: dict[int, CrimeType]
    articles: dict[int, Article]  # in instrument then numeric order, with their instrument
    issues: dict[int, CrossCuttingIssue]
    issues_by_path: dict[str, CrossCuttingIssue]
    region_codes: frozenset[str]

    @classmethod
    def read(cls, version: int) -> Vocabularies:
        issues = {issue.pk: issue for issue in CrossCuttingIssue.objects.all()}
        return cls(
            version=version,
            jurisdictions={
                j.code: j for j in Jurisdiction.objects.select_related("region", "subregion")
            },
            crime_types={c.pk: c for c in CrimeType.objects.order_by("position", "slug")},
            articles={a.pk: a for a in Article.objects.select_related("instrument").in_order()},
            issues=issues,
            issues_by_path={issue.path: issue for issue in issues.values()},
            region_codes=frozenset(Region.objects.values_list("code", flat=True)),
        )

    @cached_property
    def _codes(self) -> dict[tuple[type[models.Model], str], frozenset[str]]:
        return {
            (Jurisdiction, "code"): frozenset(self.jurisdictions),
            (Region, "code"): self.region_codes,
            (CrimeType, "slug"): frozenset(c.slug for c in self.crime_types.values()),
            (Article, "code"): frozenset(a.code for a in self.articles.values()),
            (CrossCuttingIssue, "path"): frozenset(self.issues_by_path),
        }

    @cached_property
    def article_order(self) -> dict[str, int]:
        """Each article's code to its place: instrument, then number (the canonical order)."""
        return {article.code: place for place, article in enumerate(self.articles.values())}

    def give_jurisdictions(self, strategies) -> None:
        """Set each strategy's jurisdiction from this snapshot, rather than read it with a query
        per row when shown; unless it was read with the row (a select_related() asking for its
        region, say) or is unknown here (a jurisdiction written since: read when shown)."""
        for strategy in strategies:
            if (
                not _JURISDICTION.is_cached(strategy)
                and strategy.jurisdiction_id in self.jurisdictions
            ):
                strategy.jurisdiction = self.jurisdictions[strategy.jurisdiction_id]

    def codes(self, vocabulary: type[models.Model], field: str) -> frozenset[str] | None:
        """Every `field` of a vocabulary (its stable codes), or None if the snapshot lacks it."""
        return self._codes.get((vocabulary, field))

    def lineage(self, issue: CrossCuttingIssue) -> list[CrossCuttingIssue]:
        """The issue's ancestors from the root down, then the issue itself."""
        parts = issue.path.split("/")
        return [self.issues_by_path["/".join(parts[:depth])] for depth in range(1, len(parts) + 1)]


@dataclass
class StrategyTags:
    """One strategy's tags as vocabulary instances, each list in the vocabulary's order."""

    crime_types: list[CrimeType]
    articles: list[Article]
    issues: list[CrossCuttingIssue]


def strategy_tags(strategy: Strategy, vocabularies: Vocabularies) -> StrategyTags:
    """The strategy's tags, read in one statement of ids.

    Every view of a strategy's page reads them, so the statement is written out rather than
    built by the ORM, which took longer to compile the union of three tables than the database
    took to answer it; on the database the ORM would route the read to."""
    kinds = list(TAG_TABLES)
    database = connections[router.db_for_read(Strategy)]
    quote = database.ops.quote_name
    statement = " UNION ALL ".join(
        f"SELECT {number}, {quote(column)} FROM {quote(through._meta.db_table)} "
        f"WHERE {quote(through._meta.get_field('strategy').column)} = %s"
        for number, (through, column) in enumerate(TAG_TABLES.values())
    )
    ids: dict[str, set[int]] = {kind: set() for kind in kinds}
    with database.cursor() as cursor:
        cursor.execute(statement, [strategy.pk] * len(kinds))
        for number, pk in cursor.fetchall():
            ids[kinds[number]].add(pk)
    return StrategyTags(
        crime_types=[c for pk, c in vocabularies.crime_types.items() if pk in ids["crime_types"]],
        articles=[a for pk, a in vocabularies.articles.items() if pk in ids["articles"]],
        # An id the snapshot lacks (a vocabulary written during this request) is left out.
        issues=sorted(
            (vocabularies.issues[pk] for pk in ids["issues"] if pk in vocabularies.issues),
            key=lambda issue: issue.path,
        ),
    )


_kept = KeptPerVersion(lambda _previous: Vocabularies.read(CatalogueVersion.current()))


def current_vocabularies() -> Vocabularies:
    return _kept.get()


def forget_vocabularies() -> None:
    """Drop this process's snapshot (tests that rebuild the database use this)."""
    _kept.forget()
