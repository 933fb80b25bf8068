"""Import SHERLOC strategy pages saved as text: parse (pure), then save through the service,
one page at a time (the admin) or a command's files in batches (`import_sherloc_files()`).

The parser is driven by label tables: the page labels of each SHERLOC interface language
(fixtures/sherloc_page_labels.json) and every per-language label of the vocabularies in the
database, so a page saved from any interface language whose labels exist reads the same way.
"""

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from ..models import Strategy
from ..services import (
    StrategyData,
    StrategyValidationError,
    Vocabulary,
    save_strategies,
    save_strategy,
)
from .outcome import DryRunRollback, FileOutcome
from .sherloc import PageLabels, ParsedStrategy, SherlocVocabulary, parse_sherloc_page

T = TypeVar("T")

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
    _save_page(outcome, preview.data, save_vocabulary, user=user, reason=reason)
    return outcome


def _save_page(
    outcome: FileOutcome,
    data: StrategyData,
    vocabulary: Vocabulary | None,
    *,
    user=None,
    reason: str | None = None,
) -> None:
    try:
        with transaction.atomic():
            result = save_strategy(
                data,
                vocabulary=vocabulary,
                user=user,
                reason=reason or f"import_sherloc {outcome.source}",
            )
            outcome.add(result)
            if outcome.dry_run:
                raise DryRunRollback
    except DryRunRollback:
        pass
    except StrategyValidationError as error:
        outcome.errors = [f"{outcome.source}: {message}" for message in error.messages()]


# Pages saved per transaction by import_sherloc_files(): large enough that the fixed cost of a
# batch (a commit, a dozen statements) is spread thin, small enough that little waits on a commit.
BATCH_SIZE = 200


def import_sherloc_files(
    paths: Iterable[Path],
    *,
    status: str = "published",
    language: str = "en",
    dry_run: bool = False,
    vocabulary: SherlocVocabulary | None = None,
    save_vocabulary: Vocabulary | None = None,
    batch_size: int = BATCH_SIZE,
) -> list[FileOutcome]:
    """Import page files as a command does, each whole or not at all, in batched writes.

    Each file is parsed alone; the good ones are saved `batch_size` at a time through
    `save_strategies()`, one transaction per batch, so that a bad file (which the checks reject
    before anything is written) leaves the others of its batch to be saved. Should the database
    still refuse a batch, its files are saved again one by one, each in its own savepoint, and
    only the file at fault is rejected. A page whose ID an earlier page of the batch has starts a
    new batch, so that the later page updates what the earlier one created, as one by one.
    """
    vocabulary = vocabulary or sherloc_vocabulary()
    vocabulary.lookups  # noqa: B018 (built now, before the reading thread needs it)
    save_vocabulary = save_vocabulary or Vocabulary()

    def read(path: Path) -> tuple[FileOutcome, StrategyData | None]:
        outcome = FileOutcome(source=str(path), dry_run=dry_run)
        try:
            content = path.read_bytes()
        except OSError as error:
            outcome.errors = [f"{path}: {error.strerror}"]
            return outcome, None
        result = parse_sherloc_page(content, vocabulary)
        if result.errors:
            outcome.errors = [f"{outcome.source}: {error}" for error in result.errors]
            return outcome, None
        return outcome, strategy_data_from_page(result.strategy, status=status, language=language)

    outcomes: list[FileOutcome] = []
    batch: dict[str, tuple[FileOutcome, StrategyData]] = {}
    for outcome, data in _read_ahead(paths, read, ahead=batch_size):
        outcomes.append(outcome)
        if data is None:
            continue
        if data.strategy_id in batch or len(batch) >= batch_size:
            _save_pages(list(batch.values()), save_vocabulary, dry_run=dry_run)
            batch = {}
        batch[data.strategy_id] = (outcome, data)
    if batch:
        _save_pages(list(batch.values()), save_vocabulary, dry_run=dry_run)
    return outcomes


def _read_ahead(paths: Iterable[Path], read: Callable[[Path], T], *, ahead: int) -> Iterator[T]:
    """`read(path)` for each path, in order, done by a thread up to `ahead` paths in advance.

    Reading and parsing a page is pure Python and touches no database, so it can go on while
    this thread waits for the database to write the previous batch (waiting frees the
    interpreter): the two together take little more than the longer of them.
    """
    language = translation.get_language()  # the messages' language, which is per thread

    def read_in_language(path: Path) -> T:
        with translation.override(language):
            return read(path)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import_sherloc") as pool:
        pending: deque[Future[T]] = deque()
        for path in paths:
            pending.append(pool.submit(read_in_language, path))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _save_pages(
    pages: list[tuple[FileOutcome, StrategyData]], vocabulary: Vocabulary, *, dry_run: bool
) -> None:
    try:
        with transaction.atomic():
            results = save_strategies(
                [data for _outcome, data in pages],
                vocabulary=vocabulary,
                reasons=[f"import_sherloc {outcome.source}" for outcome, _data in pages],
            )
            for (outcome, _data), result in zip(pages, results, strict=True):
                if isinstance(result, StrategyValidationError):
                    outcome.errors = [f"{outcome.source}: {m}" for m in result.messages()]
                else:
                    outcome.add(result)
            if dry_run:
                raise DryRunRollback
    except DryRunRollback:
        pass
    except (IntegrityError, DataError):
        # A rule only the database checks, or another writer that took an ID meanwhile: find
        # the file at fault by saving them one by one.
        for outcome, data in pages:
            outcome.forget_saved()
            outcome.errors = []
            try:
                _save_page(outcome, data, vocabulary)
            except (IntegrityError, DataError) as error:
                outcome.forget_saved()
                outcome.errors = [
                    _("%(source)s: the database refused the record: %(error)s")
                    % {"source": outcome.source, "error": str(error).strip()}
                ]
