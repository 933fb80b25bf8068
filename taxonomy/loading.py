"""Load the vocabularies from the JSON files in fixtures/ into the database.

Idempotent: records are matched by their stable code and updated in place, so running it again
after a fixture changes updates labels without touching the strategies that use them. A label the
fixture has for a language overwrites the stored one; a language the fixture lacks keeps whatever
an editor entered in the admin.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import Article, CrimeType, CrossCuttingIssue, Instrument, Jurisdiction, Region

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def default_fixtures_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures"


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        bucket = self.created if created else self.updated
        bucket[kind] = bucket.get(kind, 0) + 1

    def lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated))
        return [
            f"{kind}: {self.created.get(kind, 0)} created, {self.updated.get(kind, 0)} updated"
            for kind in kinds
        ]


def translated(field_name: str, labels: dict[str, str]) -> dict[str, str]:
    """{"en": "Corruption", "zh-hans": "腐败"} -> {"name_en": ..., "name_zh_hans": ...}."""
    values = {}
    for language in LANGUAGE_CODES:
        if labels.get(language):
            values[f"{field_name}_{language.replace('-', '_')}"] = labels[language]
    if "en" not in labels:
        raise ValueError(f"{field_name} has no English label: {labels!r}")
    return values


def read_fixture(directory: Path, name: str):
    with (directory / name).open(encoding="utf-8") as handle:
        return json.load(handle)


@transaction.atomic
def load_vocabularies(directory: Path | None = None) -> LoadReport:
    directory = directory or default_fixtures_dir()
    report = LoadReport()
    load_regions(read_fixture(directory, "regions.json"), report)
    load_jurisdictions(
        read_fixture(directory, "jurisdictions.json")
        + read_fixture(directory, "regional_organisations.json"),
        report,
    )
    load_crime_types(read_fixture(directory, "crime_types.json"), report)
    load_instruments(read_fixture(directory, "instruments.json"), report)
    load_cross_cutting_issues(read_fixture(directory, "cross_cutting_issues.json"), report)
    return report


def load_regions(rows: list[dict], report: LoadReport) -> None:
    # Parents come before their children in the fixture; sort by level to be sure.
    for row in sorted(rows, key=lambda r: r["level"]):
        parent = Region.objects.get(code=row["parent"]) if row["parent"] else None
        _region, created = Region.objects.update_or_create(
            code=row["code"],
            defaults={"level": row["level"], "parent": parent, **translated("name", row["name"])},
        )
        report.count("regions", created)


def load_jurisdictions(rows: list[dict], report: LoadReport) -> None:
    regions = {region.code: region for region in Region.objects.all()}
    for row in rows:
        _jurisdiction, created = Jurisdiction.objects.update_or_create(
            code=row["code"],
            defaults={
                "kind": row["kind"],
                "alpha_2": row.get("alpha_2", ""),
                "numeric": row.get("numeric", ""),
                "region": regions.get(row["region"]) if row["region"] else None,
                "subregion": regions.get(row["subregion"]) if row["subregion"] else None,
                "intermediate_region": (
                    regions.get(row["intermediate_region"]) if row["intermediate_region"] else None
                ),
                **translated("name", row["name"]),
                **translated("official_name", row["official_name"]),
            },
        )
        report.count("jurisdictions", created)
    by_code = {j.code: j for j in Jurisdiction.objects.all()}
    for row in rows:
        if "members" in row:
            by_code[row["code"]].members.set([by_code[code] for code in row["members"]])


def load_crime_types(rows: list[dict], report: LoadReport) -> None:
    for position, row in enumerate(rows):
        _crime_type, created = CrimeType.objects.update_or_create(
            slug=row["slug"], defaults={"position": position, **translated("name", row["name"])}
        )
        report.count("crime types", created)


def load_instruments(rows: list[dict], report: LoadReport) -> None:
    for position, row in enumerate(rows):
        instrument, created = Instrument.objects.update_or_create(
            code=row["code"], defaults={"position": position, **translated("name", row["name"])}
        )
        report.count("instruments", created)
        for article_row in row["articles"]:
            article = Article.objects.filter(
                instrument=instrument, number=article_row["number"]
            ).first() or Article(instrument=instrument, number=article_row["number"])
            created = article.pk is None
            for name, value in translated("title", article_row["title"]).items():
                setattr(article, name, value)
            article.save()
            report.count("articles", created)


def load_cross_cutting_issues(rows: list[dict], report: LoadReport) -> None:
    position = 0

    def load(node: dict, parent: CrossCuttingIssue | None) -> None:
        nonlocal position
        position += 1
        path = f"{parent.path}/{node['slug']}" if parent else node["slug"]
        children = node.get("children", [])
        issue, created = CrossCuttingIssue.objects.update_or_create(
            path=path,
            defaults={
                "slug": node["slug"],
                "parent": parent,
                "position": position,
                "provisional": not node.get("verified", False),
                **translated("name", node["name"]),
            },
        )
        report.count("cross-cutting issues", created)
        for child in children:
            load(child, issue)

    for root in rows:
        load(root, None)
    # A node that lost its children in the fixture becomes a leaf again.
    CrossCuttingIssue.objects.filter(is_leaf=False).exclude(
        pk__in=CrossCuttingIssue.objects.filter(parent__isnull=False).values("parent_id")
    ).update(is_leaf=True)
