"""Every write to strategies goes through here: the admin, the importers, the API.

One validation for all of them: `save_strategy()` checks a StrategyData against the model's own
rules, the vocabularies and the user's right to publish, and either saves the whole record or
raises StrategyValidationError naming each field that is wrong, having written nothing.

Each write leaves one entry in the strategy's history (who, when, why, and the record with its tags
as the write left them). Deleting only marks a strategy deleted; `restore_strategy()` undoes it.
"""

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from .models import (
    PUBLISH_PERMISSION,
    STRATEGY_ID_RE,
    Attachment,
    Status,
    Strategy,
    strategy_history,
)


@dataclass
class AttachmentData:
    file: str  # a name in the media storage, e.g. "attachments/GBR0007s/strategy.pdf"
    title: str
    language: str = "en"


@dataclass
class StrategyData:
    """A strategy as plain values, addressed by codes; what every write path produces."""

    strategy_id: str  # empty: take the next free ID for the jurisdiction
    title: str
    jurisdiction: str
    adoption_date: date | None = None
    language: str = "en"
    status: str = "draft"
    summary: str = ""
    source_url: str = ""
    crime_types: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    cross_cutting_issues: list[str] = field(default_factory=list)
    # None leaves a record's attachments as they are (a SHERLOC page carries none).
    attachments: list[AttachmentData] | None = None


class StrategyValidationError(Exception):
    """What is wrong with a StrategyData, by field; nothing was written."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(self.messages()))

    def messages(self) -> list[str]:
        return [
            f"{name}: {message}" if name != "__all__" else message
            for name, messages in self.errors.items()
            for message in messages
        ]


class Vocabulary:
    """The vocabularies by code, read once per batch so that a large import stays fast."""

    @cached_property
    def jurisdictions(self) -> set[str]:
        return set(Jurisdiction.objects.values_list("code", flat=True))

    @cached_property
    def crime_types(self) -> dict[str, int]:
        return dict(CrimeType.objects.values_list("slug", "pk"))

    @cached_property
    def articles(self) -> dict[str, int]:
        return dict(Article.objects.values_list("code", "pk"))

    @cached_property
    def issues(self) -> dict[str, tuple[int, bool]]:
        return {
            path: (pk, is_leaf)
            for path, pk, is_leaf in CrossCuttingIssue.objects.values_list("path", "pk", "is_leaf")
        }


def next_strategy_id(jurisdiction_code: str) -> str:
    """The next free ID for a jurisdiction: one above the highest number its real records use.

    Synthetic records count down from 9999 and are skipped over, never taken as the highest.
    Deleted records keep their numbers: restoring one must not find its ID taken.
    """
    used: set[int] = set()
    highest_real = 0
    for strategy_id, synthetic in Strategy.all_objects.filter(
        jurisdiction_id=jurisdiction_code
    ).values_list("strategy_id", "synthetic"):
        if match := STRATEGY_ID_RE.match(strategy_id):
            used.add(int(match.group(2)))
            if not synthetic:
                highest_real = max(highest_real, int(match.group(2)))
    number = highest_real + 1
    while number in used:
        number += 1
    return f"{jurisdiction_code}{number:04d}s"


def _resolve_codes(
    codes: list[str], known: dict, field_name: str, label: str, errors: dict
) -> list[int]:
    unknown = [code for code in codes if code not in known]
    if unknown:
        errors.setdefault(field_name, []).append(
            _("unknown %(label)s: %(codes)s") % {"label": label, "codes": ", ".join(unknown)}
        )
    return list(dict.fromkeys(known[code] for code in codes if code in known))


def _resolve_issues(paths: list[str], vocabulary: Vocabulary, errors: dict) -> list[int]:
    ids = []
    for path in paths:
        found = vocabulary.issues.get(path)
        if found is None:
            errors.setdefault("cross_cutting_issues", []).append(
                _("unknown cross-cutting issue: %(path)s") % {"path": path}
            )
        elif not found[1]:
            errors.setdefault("cross_cutting_issues", []).append(
                _("%(path)s is not a leaf of the tree: tag its most specific issues instead")
                % {"path": path}
            )
        else:
            ids.append(found[0])
    return list(dict.fromkeys(ids))


def can_publish(user) -> bool:
    """Whether a user may move strategies between draft and published (Reviewers may)."""
    return bool(user and user.is_authenticated and user.has_perm(PUBLISH_PERMISSION))


def _record_history(strategy: Strategy, history_type: str, user, reason: str | None) -> None:
    """Write the strategy's history entry for a write that has just finished, tags included.

    Without a user the entry names the signed-in user of the request, if there is one (through
    simple-history's middleware); a command leaves it empty and says why in `reason`.
    """
    if user is not None:
        strategy._history_user = user
    strategy._change_reason = reason
    try:
        strategy_history.create_historical_record(strategy, history_type)
    finally:
        # Not left on the instance for a later save to pick up.
        for attribute in ("_history_user", "_change_reason"):
            vars(strategy).pop(attribute, None)


@dataclass
class SaveResult:
    strategy: Strategy
    created: bool
    restored: bool = False  # the ID was a deleted strategy's, which the save brought back


def save_strategy(
    data: StrategyData,
    *,
    vocabulary: Vocabulary | None = None,
    user=None,
    reason: str | None = None,
) -> SaveResult:
    """Create or update (by strategy ID) one strategy with its tags, atomically.

    An ID that belongs to a deleted strategy restores that strategy with the new data. `user` is
    whoever asked for the write (None for a trusted operator's command); publishing or returning
    to draft needs PUBLISH_PERMISSION. `reason` goes into the history entry.
    """
    vocabulary = vocabulary or Vocabulary()
    errors: dict[str, list[str]] = {}

    if data.jurisdiction not in vocabulary.jurisdictions:
        errors["jurisdiction"] = [
            _("unknown jurisdiction code: %(code)s") % {"code": data.jurisdiction or "(empty)"}
        ]
    crime_type_ids = _resolve_codes(
        data.crime_types, vocabulary.crime_types, "crime_types", _("crime type"), errors
    )
    article_ids = _resolve_codes(
        data.articles, vocabulary.articles, "articles", _("article code"), errors
    )
    issue_ids = _resolve_issues(data.cross_cutting_issues, vocabulary, errors)
    for index, attachment in enumerate(data.attachments or []):
        if not default_storage.exists(attachment.file):
            errors.setdefault("attachments", []).append(
                _("attachment %(index)d: file “%(file)s” is not in the media store")
                % {"index": index + 1, "file": attachment.file}
            )

    with transaction.atomic():
        strategy_id = data.strategy_id
        if not strategy_id and "jurisdiction" not in errors:
            strategy_id = next_strategy_id(data.jurisdiction)
        strategy = (
            Strategy.all_objects.select_for_update().filter(strategy_id=strategy_id).first()
            if strategy_id
            else None
        )
        created = strategy is None
        strategy = strategy or Strategy(strategy_id=strategy_id)
        restored = strategy.deleted_at is not None
        if (
            user is not None
            and Status.PUBLISHED in {strategy.status, data.status}
            and (created or strategy.status != data.status)
            and not can_publish(user)
        ):
            errors.setdefault("status", []).append(
                _(
                    "Only a reviewer may publish a strategy or take a published one back to "
                    "draft. Save it as a draft and a reviewer will publish it."
                )
                if data.status == Status.PUBLISHED
                else _("This strategy is published, and only a reviewer may take it back to draft.")
            )
        strategy.title = data.title
        strategy.jurisdiction_id = data.jurisdiction
        strategy.adoption_date = data.adoption_date
        strategy.language = data.language
        strategy.status = data.status
        strategy.summary = data.summary
        strategy.source_url = data.source_url
        strategy.synthetic = False  # real data written over a synthetic record makes it real
        strategy.deleted_at = strategy.deleted_by = None
        try:
            # The constraints repeat the ID checks that clean() words better.
            strategy.full_clean(validate_constraints=not errors and "strategy_id" not in errors)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name == "jurisdiction" and "jurisdiction" in errors:
                    continue  # already said, in the vocabulary's words
                errors.setdefault(name, []).extend(messages)
        if errors:
            raise StrategyValidationError(errors)

        # The history entry is written below, once the tags are set.
        strategy.skip_history_when_saving = True
        try:
            strategy.save()
            strategy.crime_types.set(crime_type_ids)
            strategy.articles.set(article_ids)
            strategy.cross_cutting_issues.set(issue_ids)
        finally:
            del strategy.skip_history_when_saving
        if data.attachments is not None:
            strategy.attachments.all().delete()
            Attachment.objects.bulk_create(
                Attachment(strategy=strategy, file=a.file, title=a.title, language=a.language)
                for a in data.attachments
            )
        if restored and not reason:
            reason = _("Restored by saving its ID again")
        _record_history(strategy, "+" if created else "~", user, reason)
    return SaveResult(strategy=strategy, created=created, restored=restored)


def delete_strategy(strategy: Strategy, user=None, *, reason: str | None = None) -> bool:
    """Mark a strategy deleted: it leaves every public page, count, feed, export, the API and the
    facet index, and keeps its tags, attachments and history for `restore_strategy()`.

    Returns False when it was deleted already.
    """
    with transaction.atomic():
        strategy = Strategy.all_objects.select_for_update().get(pk=strategy.pk)
        if strategy.deleted_at is not None:
            return False
        strategy.deleted_at = timezone.now()
        strategy.deleted_by = user
        _save_marker(strategy, user, reason or _("Deleted"))
    return True


def restore_strategy(strategy: Strategy, user=None, *, reason: str | None = None) -> bool:
    """Bring a deleted strategy back as it was. Returns False when it was not deleted."""
    with transaction.atomic():
        strategy = Strategy.all_objects.select_for_update().get(pk=strategy.pk)
        if strategy.deleted_at is None:
            return False
        strategy.deleted_at = strategy.deleted_by = None
        _save_marker(strategy, user, reason or _("Restored"))
    return True


def _save_marker(strategy: Strategy, user, reason: str) -> None:
    strategy.skip_history_when_saving = True
    try:
        # `updated_at` too: caches of the record and of the lists it leaves or rejoins go stale.
        strategy.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    finally:
        del strategy.skip_history_when_saving
    _record_history(strategy, "~", user, reason)
