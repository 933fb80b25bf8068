"""Import SHERLOC strategy pages saved as text: parse (pure), then save through the service.

The parser is driven by label tables: the page labels of each SHERLOC interface language
(fixtures/sherloc_page_labels.json) and every per-language label of the vocabularies in the
database, so a page saved from any interface language whose labels exist reads the same way.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from ..models import Strategy
from ..services import StrategyData, StrategyValidationError, Vocabulary, save_strategy
from .outcome import DryRunRollback, FileOutcome
from .sherloc import PageLabels, ParsedStrategy, SherlocVocabulary, parse_sherloc_page

LANGUAGE_SUFFIXES = [code.replace("-", "_") for code, _name in settings.LANGUAGES]


def page_labels_file() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "sherloc_page_labels.json"


def _labels(obj, field_name: str) -> list[str]:
    return [
        value
        for suffix in LANGUAGE_SUFFIXES
        if (value := getattr(obj, f"{field_name}_{suffix}", None))
    ]


def sherloc_vocabulary() -> SherlocVocabulary:
    """Everything the parser needs to know, as plain data (a handful of queries)."""
    with page_labels_file().open(encoding="utf-8") as handle:
        tables = json.load(handle)
    crime_types = {
        label: crime_type.slug
        for crime_type in CrimeType.objects.all()
        for label in _labels(crime_type, "name")
    }
    jurisdictions: dict[str, str] = {}
    for jurisdiction in Jurisdiction.objects.all():
        jurisdictions[jurisdiction.code] = jurisdiction.code
        for label in _labels(jurisdiction, "name") + _labels(jurisdiction, "official_name"):
            jurisdictions.setdefault(label, jurisdiction.code)
    issue_children: dict[str, dict[str, str]] = {}
    leaves = set()
    for issue in CrossCuttingIssue.objects.select_related("parent"):
        parent_path = issue.parent.path if issue.parent else ""
        children = issue_children.setdefault(parent_path, {})
        for label in _labels(issue, "name"):
            children[label] = issue.path
        if issue.is_leaf:
            leaves.add(issue.path)
    return SherlocVocabulary(
        page_labels=tuple(
            PageLabels.from_table(language, table) for language, table in tables.items()
        ),
        crime_types=crime_types,
        jurisdictions=jurisdictions,
        untoc_articles=dict(
            Article.objects.filter(instrument__code="UNTOC").values_list("number", "code")
        ),
        issue_children=issue_children,
        issue_leaves=frozenset(leaves),
    )


def strategy_data_from_page(
    parsed: ParsedStrategy, *, status: str, language: str = "en"
) -> StrategyData:
    return StrategyData(
        strategy_id=parsed.strategy_id,
        title=parsed.title,
        jurisdiction=parsed.jurisdiction,
        adoption_date=parsed.adoption_date,
        language=language,
        status=status,
        summary=parsed.summary,
        crime_types=parsed.crime_types,
        articles=parsed.articles,
        cross_cutting_issues=parsed.cross_cutting_issues,
    )


@dataclass
class PagePreview:
    """A parsed page before anything is saved, as the admin shows it."""

    source: str
    data: StrategyData | None
    errors: list[str]
    exists: bool = False


def preview_sherloc_page(
    content: bytes | str,
    *,
    source: str,
    status: str = "published",
    language: str = "en",
    vocabulary: SherlocVocabulary | None = None,
) -> PagePreview:
    result = parse_sherloc_page(content, vocabulary or sherloc_vocabulary())
    if result.errors:
        return PagePreview(source, None, [f"{source}: {error}" for error in result.errors])
    data = strategy_data_from_page(result.strategy, status=status, language=language)
    return PagePreview(
        source, data, [], exists=Strategy.objects.filter(strategy_id=data.strategy_id).exists()
    )


def import_sherloc_page(
    content: bytes | str,
    *,
    source: str,
    status: str = "published",
    language: str = "en",
    dry_run: bool = False,
    vocabulary: SherlocVocabulary | None = None,
    save_vocabulary: Vocabulary | None = None,
    user=None,
    reason: str | None = None,
) -> FileOutcome:
    """Parse one page and create or update its strategy; nothing is written if anything fails.

    `user` is the editor importing (None for a command); `reason` goes into the history entry,
    by default the command and the page's source.
    """
    outcome = FileOutcome(source=source, dry_run=dry_run)
    preview = preview_sherloc_page(
        content, source=source, status=status, language=language, vocabulary=vocabulary
    )
    if preview.errors:
        outcome.errors = preview.errors
        return outcome
    try:
        with transaction.atomic():
            result = save_strategy(
                preview.data,
                vocabulary=save_vocabulary,
                user=user,
                reason=reason or f"import_sherloc {source}",
            )
            bucket = outcome.created if result.created else outcome.updated
            bucket.append(result.strategy.strategy_id)
            if dry_run:
                raise DryRunRollback
    except DryRunRollback:
        pass
    except StrategyValidationError as error:
        outcome.errors = [f"{source}: {message}" for message in error.messages()]
    return outcome
