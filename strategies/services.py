"""Every write to strategies goes through here: the admin, the importers, the API.

One validation for all of them: `save_strategy()` checks a StrategyData against the model's own
rules, the vocabularies and the user's right to publish, and either saves the whole record or
raises StrategyValidationError naming each field that is wrong, having written nothing.

Each write leaves one entry in the strategy's history (who, when, why, and the record with its tags
as the write left them); a write that would leave the record exactly as it is writes nothing at
all (`SaveResult.unchanged`). Deleting only marks a strategy deleted; `restore_strategy()` undoes
it.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from .models import (
    PHRASE_KEYS,
    PUBLISH_PERMISSION,
    SEARCH_VECTOR,
    STRATEGY_ID_RE,
    Attachment,
    Status,
    Strategy,
    strategy_history,
)
from .richtext import sanitise_summary

logger = logging.getLogger(__name__)


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


# The highest number an ID can carry (four digits).
LAST_ID_NUMBER = 9999


def no_free_id_message(jurisdiction_code: str) -> str:
    """What an editor is told when next_strategy_id() finds every ID of a jurisdiction taken."""
    return _("Every ID of %(code)s is taken, from %(code)s0001s to %(code)s9999s.") % {
        "code": jurisdiction_code
    }


def next_strategy_id(jurisdiction_code: str) -> str | None:
    """The next free ID for a jurisdiction: one above the highest number its real records use.

    Synthetic records count down from 9999 and are skipped over, never taken as the highest.
    Deleted records keep their numbers: restoring one must not find its ID taken. When the
    numbers above the highest real one are all taken (a synthetic record at 9999 edited into a
    real one, say), the lowest free number; None when all 9,999 are taken.
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
    candidates = itertools.chain(
        range(highest_real + 1, LAST_ID_NUMBER + 1), range(1, highest_real + 1)
    )
    number = next((n for n in candidates if n not in used), None)
    return None if number is None else f"{jurisdiction_code}{number:04d}s"


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
    # The record was already exactly so: nothing was written and no history entry added.
    unchanged: bool = False


@dataclass
class _CheckedWrite:
    """One StrategyData checked against the vocabularies and the model's rules, ready to write."""

    data: StrategyData
    strategy: Strategy  # with the new values set, not yet saved
    created: bool
    restored: bool
    tags: dict[str, list[int]]  # m2m field name -> ids
    errors: dict[str, list[str]]
    reason: str | None = None
    # The stored record's values of COMPARED_FIELDS before the write (None for a new record).
    stored: dict[str, object] | None = None
    # The write would leave the record, its tags and attachments as they are.
    unchanged: bool = False

    def keeps(self, names) -> bool:
        """Whether the fields `names` (attribute names of COMPARED_FIELDS) stay as stored; the
        summary must be the sanitised one already. False for a new record."""
        return self.stored is not None and all(
            self.stored[name] == getattr(self.strategy, name) for name in names
        )

    def keeps_text(self) -> bool:
        """Whether the title and summary stay as stored (so does the word vector, then)."""
        return self.keeps(("title", "summary"))


TAG_FIELDS = ("crime_types", "articles", "cross_cutting_issues")


def _vocabulary_errors(
    data: StrategyData, vocabulary: Vocabulary
) -> tuple[dict[str, list[str]], dict[str, list[int]]]:
    """What the vocabularies and the media store say of the data's codes and files."""
    errors: dict[str, list[str]] = {}
    if data.jurisdiction not in vocabulary.jurisdictions:
        errors["jurisdiction"] = [
            _("unknown jurisdiction code: %(code)s") % {"code": data.jurisdiction or "(empty)"}
        ]
    tags = {
        "crime_types": _resolve_codes(
            data.crime_types, vocabulary.crime_types, "crime_types", _("crime type"), errors
        ),
        "articles": _resolve_codes(
            data.articles, vocabulary.articles, "articles", _("article code"), errors
        ),
        "cross_cutting_issues": _resolve_issues(data.cross_cutting_issues, vocabulary, errors),
    }
    for index, attachment in enumerate(data.attachments or []):
        if not default_storage.exists(attachment.file):
            errors.setdefault("attachments", []).append(
                _("attachment %(index)d: file “%(file)s” is not in the media store")
                % {"index": index + 1, "file": attachment.file}
            )
    return errors, tags


def _check_write(
    data: StrategyData,
    strategy: Strategy | None,
    strategy_id: str,
    errors: dict[str, list[str]],
    tags: dict[str, list[int]],
    user,
    *,
    in_batch: bool = False,
) -> _CheckedWrite:
    """Set the data on the strategy of its ID (`strategy`, locked; None for a new one) and add
    every rule it breaks to `errors`."""
    created = strategy is None
    stored = None if created else {name: getattr(strategy, name) for name in COMPARED_FIELDS}
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
    if not (in_batch and not errors and _passes_model_checks_in_memory(strategy)):
        try:
            # The constraints repeat the ID checks that clean() words better.
            strategy.full_clean(
                exclude=_not_loaded(strategy),
                validate_constraints=not errors and "strategy_id" not in errors,
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name in ("jurisdiction", "strategy_id") and name in errors:
                    continue  # already said, in the vocabulary's or next_strategy_id()'s words
                errors.setdefault(name, []).extend(messages)
    return _CheckedWrite(data, strategy, created, restored, tags, errors, stored=stored)


def _stored_tags(pks: list[int]) -> dict[str, dict[tuple[int, int], int]]:
    """The tags of the strategies `pks`, by m2m field: (strategy pk, tag pk) -> through row pk."""
    stored: dict[str, dict[tuple[int, int], int]] = {name: {} for name in TAG_FIELDS}
    if not pks:
        return stored
    for name in TAG_FIELDS:
        through, source, target = _through(name)
        stored[name] = {
            (strategy_pk, tag): pk
            for pk, strategy_pk, tag in through.objects.filter(
                **{f"{source.attname}__in": pks}
            ).values_list("pk", source.attname, target.attname)
        }
    return stored


def _through(name: str):
    """(through model, its field to the strategy, its field to the tag) of an m2m field."""
    tag_field = Strategy._meta.get_field(name)
    through = tag_field.remote_field.through
    return (
        through,
        through._meta.get_field(tag_field.m2m_field_name()),
        through._meta.get_field(tag_field.m2m_reverse_field_name()),
    )


def _mark_unchanged(
    writes: list[_CheckedWrite], stored_tags: dict[str, dict[tuple[int, int], int]]
) -> None:
    """Set `unchanged` on the writes that would leave their record as it is: the same values
    (the summaries already sanitised), the same tags and, when the data gives attachments, the
    same attachments. Such a write is left out: no row written, no history entry."""
    candidates = [write for write in writes if write.keeps(COMPARED_FIELDS)]
    if not candidates:
        return
    tags: dict[int, dict[str, set[int]]] = {
        write.strategy.pk: {name: set() for name in TAG_FIELDS} for write in candidates
    }
    for name, pairs in stored_tags.items():
        for strategy_pk, tag in pairs:
            if strategy_pk in tags:
                tags[strategy_pk][name].add(tag)
    given = [write.strategy.pk for write in candidates if write.data.attachments is not None]
    attachments: dict[int, list[tuple[str, str, str]]] = {pk: [] for pk in given}
    if given:
        rows = Attachment.objects.filter(strategy_id__in=given).order_by()
        for pk, *row in rows.values_list("strategy_id", "file", "title", "language"):
            attachments[pk].append(tuple(row))
    for write in candidates:
        pk = write.strategy.pk
        if any(set(write.tags[name]) != tags[pk][name] for name in TAG_FIELDS):
            continue
        if write.data.attachments is not None and sorted(attachments[pk]) != sorted(
            (a.file, a.title, a.language) for a in write.data.attachments
        ):
            continue
        write.unchanged = True


def _not_loaded(strategy: Strategy) -> set[str]:
    """The fields a stored strategy was read without (its word vector and phrase keys, which
    the database keeps): a write never sets them, and checking them would read each one
    back, two queries a record (for an import of 2,000 updates, 11 of its 15 seconds)."""
    return strategy.get_deferred_fields()


def _passes_model_checks_in_memory(strategy: Strategy) -> bool:
    """full_clean() without its queries, for a batch: True when the record is certainly valid.

    Left out, and why they cannot fail here: the jurisdiction's existence (the vocabulary has the
    code), uniqueness (the row holding this ID, if any, is the one being written, locked) and the
    constraints (the same checks as clean()'s, repeated below as the database states them). When
    anything fails, the caller runs the full check for its words.
    """
    if not (
        STRATEGY_ID_DB_RE.fullmatch(strategy.strategy_id)
        and strategy.strategy_id.startswith(strategy.jurisdiction_id)
        and len(strategy.strategy_id) == len(strategy.jurisdiction_id) + 5
    ):
        return False
    try:
        strategy.full_clean(
            exclude={"jurisdiction", *_not_loaded(strategy)},
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError:
        return False
    return True


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
    to draft needs PUBLISH_PERMISSION. `reason` goes into the history entry. Data that the
    record already holds exactly writes nothing (`SaveResult.unchanged`).
    """
    vocabulary = vocabulary or Vocabulary()
    errors, tags = _vocabulary_errors(data, vocabulary)

    with transaction.atomic():
        strategy_id = data.strategy_id
        if not strategy_id and "jurisdiction" not in errors:
            strategy_id = next_strategy_id(data.jurisdiction) or ""
            if not strategy_id:
                errors["strategy_id"] = [no_free_id_message(data.jurisdiction)]
        existing = (
            Strategy.all_objects.select_for_update().filter(strategy_id=strategy_id).first()
            if strategy_id
            else None
        )
        checked = _check_write(data, existing, strategy_id, errors, tags, user)
        if errors:
            raise StrategyValidationError(errors)
        strategy = checked.strategy
        if not checked.created and _changes_nothing(checked):
            return SaveResult(strategy=strategy, created=False, unchanged=True)

        # The history entry is written below, once the tags are set.
        strategy.skip_history_when_saving = True
        try:
            if checked.keeps_text():
                # Without the title and summary, the trigger keeps the word vector it computed.
                strategy.save(update_fields=KEPT_TEXT_FIELDS)
            else:
                strategy.save()
            for name, ids in tags.items():
                getattr(strategy, name).set(ids)
        finally:
            del strategy.skip_history_when_saving
        if data.attachments is not None:
            strategy.attachments.all().delete()
            Attachment.objects.bulk_create(
                Attachment(strategy=strategy, file=a.file, title=a.title, language=a.language)
                for a in data.attachments
            )
        if checked.restored and not reason:
            reason = _("Restored by saving its ID again")
        _record_history(strategy, "+" if checked.created else "~", user, reason)
    return SaveResult(strategy=strategy, created=checked.created, restored=checked.restored)


def holds_already(data: StrategyData, *, vocabulary: Vocabulary | None = None) -> bool:
    """Whether the strategy of `data`'s ID already holds exactly `data`, so that saving it
    would write nothing (for a preview: it locks nothing and writes nothing)."""
    stored = Strategy.all_objects.filter(strategy_id=data.strategy_id).first()
    if stored is None:
        return False
    errors, tags = _vocabulary_errors(data, vocabulary or Vocabulary())
    checked = _check_write(data, stored, data.strategy_id, errors, tags, None, in_batch=True)
    return not errors and _changes_nothing(checked)


def _changes_nothing(checked: _CheckedWrite) -> bool:
    """For one valid write of a stored record: sanitise its summary as the save will, and tell
    whether the write would leave the record as it is (see _mark_unchanged)."""
    checked.strategy.summary = sanitise_summary(checked.strategy.summary)
    _mark_unchanged([checked], _stored_tags([checked.strategy.pk]))
    return checked.unchanged


def save_strategies(
    items: Sequence[StrategyData],
    *,
    vocabulary: Vocabulary | None = None,
    user=None,
    reasons: Sequence[str | None] | None = None,
    prepared: PreparedBatch | None = None,
) -> list[SaveResult | StrategyValidationError]:
    """`save_strategy()` for many records at once, in a constant number of queries.

    Each record is checked exactly as `save_strategy()` checks it; the valid ones are written
    (with their tags, attachments and one history entry each, as `reasons[i]` says), but for
    those the catalogue already holds exactly, and the others are left out, having written
    nothing. Returns, in the order given, a SaveResult for each valid record (`unchanged` for
    those left alone) and the StrategyValidationError of each one rejected. The records must
    have distinct, non-empty IDs: callers that meet an ID again start a new batch. All or none
    of the valid records are written (one transaction); a database error leaves none.

    `prepared` is what `WordVectors.prepare(items)` returned, for a caller that has its next
    batch's word vectors computed while it writes this one; without it the batch prepares its
    own, and they are computed as it is checked.
    """
    ids = [data.strategy_id for data in items]
    if not all(ids) or len(set(ids)) != len(ids):
        raise ValueError("save_strategies() needs distinct, non-empty strategy IDs")
    vocabulary = vocabulary or Vocabulary()
    reasons = reasons or [None] * len(items)
    with ExitStack() as stack:
        if prepared is None:
            prepared = stack.enter_context(WordVectors()).prepare(items, share=LONE_BATCH_SHARE)
        stack.enter_context(transaction.atomic())
        existing = {
            strategy.strategy_id: strategy
            for strategy in Strategy.all_objects.select_for_update().filter(strategy_id__in=ids)
        }
        checked_writes: list[_CheckedWrite | StrategyValidationError] = []
        for data, reason in zip(items, reasons, strict=True):
            errors, tags = _vocabulary_errors(data, vocabulary)
            checked = _check_write(
                data, existing.get(data.strategy_id), data.strategy_id, errors, tags, user,
                in_batch=True,
            )  # fmt: skip
            if errors:
                checked_writes.append(StrategyValidationError(errors))
                continue
            checked.reason = reason
            # What Strategy.save() does, which bulk writes bypass (sanitised once, in prepare()).
            checked.strategy.summary = prepared.summaries[data.strategy_id]
            checked_writes.append(checked)
        writes = [write for write in checked_writes if isinstance(write, _CheckedWrite)]
        stored_tags = _stored_tags([write.strategy.pk for write in writes if not write.created])
        _mark_unchanged(writes, stored_tags)
        if changes := [write for write in writes if not write.unchanged]:
            _write_batch(changes, user, prepared, stored_tags)
    return [
        write
        if isinstance(write, StrategyValidationError)
        else SaveResult(
            write.strategy,
            created=write.created,
            restored=write.restored,
            unchanged=write.unchanged,
        )
        for write in checked_writes
    ]


# The ID constraint's pattern as PostgreSQL reads it: "$" is the very end, unlike Python's "$".
STRATEGY_ID_DB_RE = re.compile(r"[A-Z]{2,8}[0-9]{4}s")


def _write_batch(
    writes: list[_CheckedWrite],
    user,
    prepared: PreparedBatch,
    stored_tags: dict[str, dict[tuple[int, int], int]],
) -> None:
    """Write checked records (their summaries sanitised): rows, tags, attachments and history,
    a few statements each. `stored_tags` holds (at least) the tags of the records that exist."""
    now = timezone.now()
    new = [write.strategy for write in writes if write.created]
    changed = [write.strategy for write in writes if not write.created and not write.keeps_text()]
    # Records whose title and summary stay: written without them, so that the trigger leaves
    # their word vectors (and phrase keys) as they are, and none is computed.
    kept_text = [write.strategy for write in writes if not write.created and write.keeps_text()]
    for strategy in changed + kept_text:
        strategy.updated_at = now  # auto_now, which bulk writes do not apply
    _update_rows(kept_text, KEPT_TEXT_FIELDS)
    # The rows whose vectors the trigger computes first, while the other session finishes.
    new_given, new_by_trigger = prepared.split(new)
    changed_given, changed_by_trigger = prepared.split(changed)
    Strategy.all_objects.bulk_create(new_by_trigger)
    _update_rows(changed_by_trigger, UPDATED_FIELDS)
    with prepared.vectors_given(new_given + changed_given) as missing:
        Strategy.all_objects.bulk_create([s for s in new_given if s.strategy_id not in missing])
        _update_rows(
            [s for s in changed_given if s.strategy_id not in missing],
            [*UPDATED_FIELDS, "search_vector", "phrase_keys"],
        )
    # The other session found these stored with this very text when it looked, and left their
    # vectors out; another writer has changed them since. The trigger computes them.
    Strategy.all_objects.bulk_create([s for s in new_given if s.strategy_id in missing])
    _update_rows([s for s in changed_given if s.strategy_id in missing], UPDATED_FIELDS)

    # The tags as m2m set() leaves them: rows no longer wanted go, rows already there stay.
    written = {write.strategy.pk for write in writes if not write.created}
    for name in TAG_FIELDS:
        through, source, target = _through(name)
        wanted = {(write.strategy.pk, tag) for write in writes for tag in write.tags[name]}
        current = {pair: pk for pair, pk in stored_tags[name].items() if pair[0] in written}
        if gone := [pk for pair, pk in current.items() if pair not in wanted]:
            through.objects.filter(pk__in=gone)._raw_delete(connection.alias)
        _insert_pairs(
            through._meta.db_table,
            (source.column, target.column),
            sorted(pair for pair in wanted if pair not in current),
        )

    replaced = [write for write in writes if write.data.attachments is not None]
    if stale := [write.strategy for write in replaced if not write.created]:
        Attachment.objects.filter(strategy__in=stale).delete()
    if replaced:
        Attachment.objects.bulk_create(
            Attachment(strategy=write.strategy, file=a.file, title=a.title, language=a.language)
            for write in replaced
            for a in write.data.attachments
        )
    _record_batch_history(writes, user, now)


# Records from which a batch computes its word vectors on a second database session.
SHARED_VECTORS_FROM = 20
# The share of a lone batch's vectors (one that save_strategies() prepares itself) computed on
# the second session. It starts as the batch is checked, before this session begins computing
# the others with the trigger, so it takes more than half.
LONE_BATCH_SHARE = 0.65


class WordVectors:
    """Word vectors of batches of records, computed on a second database session ahead of the
    batches' writes; `prepare()` each batch as soon as it is read, then save it with what
    prepare() returned (`save_strategies(..., prepared=...)`).

    Stemming a summary for its word vector costs more than the rest of writing the record
    together, and checking and writing a batch keeps this session busy. So another connection
    computes the vectors from the titles and sanitised summaries, with the trigger's own
    expressions (it reads and writes no table, so it needs none of this transaction's rows), and
    the rows are written with them and their phrase keys, the trigger standing aside for those
    statements (strategies.defer_search_vector, migrations 0008 and 0014).
    An importer that prepares batch n + 1 before writing batch n keeps both sessions busy. Not on
    SQLite (no vectors), and batches of fewer than SHARED_VECTORS_FROM records leave their
    vectors to the trigger.
    """

    def __init__(self):
        self._pool = None
        if connection.vendor == "postgresql":
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search_vectors")

    def __enter__(self) -> WordVectors:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._pool is not None:
            # Batches not started are not needed any more (their import failed); a started one
            # is waited for, as it uses a connection of its own.
            self._pool.shutdown(wait=True, cancel_futures=exc_info[0] is not None)
            self._pool = None

    def prepare(self, items: Sequence[StrategyData], *, share: float = 1.0) -> PreparedBatch:
        """Sanitise the summaries of `items` and start computing the word vectors of the last
        `share` of them."""
        summaries = {data.strategy_id: sanitise_summary(data.summary) for data in items}
        if self._pool is None or len(items) < SHARED_VECTORS_FROM:
            return PreparedBatch(summaries)
        given = items[len(items) - round(len(items) * share) :]
        ids = [data.strategy_id for data in given]
        records = [(data.strategy_id, data.title, summaries[data.strategy_id]) for data in given]
        return PreparedBatch(summaries, ids, self._pool.submit(_search_vectors, records))


@dataclass
class PreparedBatch:
    """A batch's sanitised summaries, and the word vectors computed for some of its records."""

    summaries: dict[str, str]  # strategy ID -> sanitised summary
    ids: list[str] = field(default_factory=list)  # the records whose vectors `vectors` computes
    vectors: Future | None = None

    def split(self, strategies: list[Strategy]) -> tuple[list[Strategy], list[Strategy]]:
        """(the strategies whose vectors are computed here, the others)."""
        ids = set(self.ids)
        given = [strategy for strategy in strategies if strategy.strategy_id in ids]
        return given, [strategy for strategy in strategies if strategy.strategy_id not in ids]

    @contextmanager
    def vectors_given(self, strategies: list[Strategy]):
        """Set their computed vectors and phrase keys on `strategies` and keep the trigger
        aside while the block writes them. Yields the IDs of those left without a vector: the
        other session found them stored with the same title and summary (see _search_vectors),
        and the block must not write them."""
        if not strategies:
            yield set()
            return
        by_id = dict(zip(self.ids, self.vectors.result(), strict=True))
        missing = set()
        for strategy in strategies:
            strategy.search_vector, strategy.phrase_keys = by_id[strategy.strategy_id]
            if strategy.search_vector is None:
                missing.add(strategy.strategy_id)
        with connection.cursor() as cursor:
            # For this transaction only: should the block fail, the rollback (of the transaction
            # or the savepoint) puts the setting back too.
            cursor.execute("SELECT set_config('strategies.defer_search_vector', 'on', true)")
            yield missing
            cursor.execute("SELECT set_config('strategies.defer_search_vector', 'off', true)")


def _search_vectors(records: list[tuple[str, str, str]]) -> list[tuple[str | None, str | None]]:
    """The word vectors of (strategy ID, title, summary) records with their phrase keys, in
    order, on this thread's own connection; all as PostgreSQL writes them out, and written back
    as they are. None for a record stored (and committed) with the same title and summary: its
    stored vector stands, and computing it again would be most of the cost of importing a file
    again.

    As lists, the keys (about 330 a strategy then, 650 since migration 0017; parsed on the way
    in and quoted one by one on the way out) cost psycopg more time than the rest of the batch:
    with them as text, an import of 5,000 records took 40% less of the command's own CPU time
    (profiled)."""
    ids, titles, summaries = zip(*records, strict=True)
    table = connection.ops.quote_name(Strategy._meta.db_table)
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                # OFFSET 0 keeps the inner query apart: merged into the outer one, each vector
                # would be computed twice, once for each use.
                f"SELECT vector::text, {PHRASE_KEYS.format(vector='vector')}::text FROM ("
                f"SELECT CASE WHEN stored THEN NULL ELSE {SEARCH_VECTOR} END AS vector, n "
                "FROM (SELECT v.title, v.summary, v.n, s.title = v.title "
                "AND s.summary = v.summary AND s.search_vector IS NOT NULL AS stored "
                "FROM unnest(%s::text[], %s::text[], %s::text[]) "
                "WITH ORDINALITY AS v(strategy_id, title, summary, n) "
                f"LEFT JOIN {table} s ON s.strategy_id = v.strategy_id) AS v "
                "OFFSET 0) AS computed ORDER BY n",
                [list(ids), list(titles), list(summaries)],
            )
            return cursor.fetchall()
    finally:
        connections.close_all()


# The memory a merge of the full-text indexes' pending lists may use (see
# _merge_pending_lists()); only a merge that needs it takes it, for as long as it runs.
MERGE_MEMORY = "256MB"
# How long the second session waits for the indexes before leaving the merge to this one.
MERGE_LOCK_TIMEOUT = "2s"


@contextmanager
def index_merges_deferred():
    """For a command writing thousands of records in one transaction (PostgreSQL): the
    full-text indexes collect the new entries in their pending lists throughout the block and
    merge them into the indexes once, at its end, before the transaction commits.

    By default an index merges its pending list whenever it passes 4 MB, every 1,200 or so
    strategies, and a merge rewrites every key it touches. The phrase keys (one per pair of
    words side by side or two apart, about 650 per strategy) touch most of theirs each time: at
    100,000 strategies an import of 5,000 ran at 260 records a second merging as it went, and at
    420 merging once. The merge still happens before the commit: searches read a pending list
    from start to end (5,000 strategies' keys made a phrase search take 0.3 s instead of 5 ms),
    and would stay slow until autovacuum merged it.

    An index's entries are in it whether or not the transaction that wrote them has committed,
    so a second database session merges them, while this one checks the foreign keys of the
    block's rows, which the commit would otherwise check after the merge with one core idle.
    This session merges them itself when its transaction holds a lock on one of the indexes
    that the other session would wait for (a load that rebuilt them holds one), or when the
    other could not merge (another session's lock, say). Should the block fail, nothing is
    merged and the rollback puts the setting back.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('gin_pending_list_limit'), "
            "set_config('gin_pending_list_limit', '1GB', true)"
        )
        before = cursor.fetchone()[0]
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('gin_pending_list_limit', %s, true)", [before])
        if not _holds_locks_a_merge_waits_for(cursor):
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index_merges") as pool:
                merged = pool.submit(_merge_on_own_session)
                try:
                    _check_foreign_keys_now(cursor)
                finally:
                    # Waited for however the checks went: it uses a connection of its own.
                    error = merged.exception()
            if error is None:
                return
            if not isinstance(error, DatabaseError):
                raise error
            logger.info("full-text indexes merged by the writing session: %s", error)
        cursor.execute(
            "SELECT current_setting('maintenance_work_mem'), "
            "set_config('maintenance_work_mem', %s, true)",
            [MERGE_MEMORY],
        )
        memory_before = cursor.fetchone()[0]
        try:
            with transaction.atomic():
                _merge_pending_lists(cursor)
        except DatabaseError as error:
            # Merging needs the indexes' owner: failing that, autovacuum merges them later.
            logger.warning("full-text indexes left for autovacuum to merge: %s", error)
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [memory_before])


def _merge_pending_lists(cursor) -> None:
    """Merge the pending lists of the strategies' full-text indexes (words, phrase keys, the
    trigrams of titles and IDs) into the indexes.

    A merge collects the entries in memory up to `maintenance_work_mem` (64 MB by default) and
    writes what it has collected into the index each time it is full, touching the same keys
    again each round: with MERGE_MEMORY, the 3.3 million phrase keys of 5,000 strategies go in
    one round, and their merge took 6.9–7.9 s instead of 8.9–9.8 (100,000 strategies,
    alternating runs)."""
    cursor.execute(
        "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
        "WHERE i.indrelid = %s::regclass AND a.amname = 'gin'",
        [Strategy._meta.db_table],
    )


def _merge_on_own_session() -> None:
    """_merge_pending_lists() on this thread's own connection, in a transaction of its own:
    its settings last as long as that, as the connection may go back to the pool (which does
    not reset them) and serve other work afterwards."""
    try:
        with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                "SELECT set_config('maintenance_work_mem', %s, true), "
                "set_config('lock_timeout', %s, true)",
                [MERGE_MEMORY, MERGE_LOCK_TIMEOUT],
            )
            _merge_pending_lists(cursor)
    finally:
        connections.close_all()


def _holds_locks_a_merge_waits_for(cursor) -> bool:
    """Whether this transaction holds a lock on one of the strategies' indexes that another
    session's merge would wait for: one that conflicts with the lock a write takes, as
    rebuilding an index does (a merge locks the index alone, not the table)."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND granted "
        "AND locktype = 'relation' AND mode IN ('ShareLock', 'ShareRowExclusiveLock', "
        "'ExclusiveLock', 'AccessExclusiveLock') "
        "AND relation IN (SELECT indexrelid FROM pg_index WHERE indrelid = %s::regclass))",
        [Strategy._meta.db_table],
    )
    return cursor.fetchone()[0]


def _check_foreign_keys_now(cursor) -> None:
    """Check now the foreign keys that the commit would check (Django defers them) of the
    strategies, their tags, attachments and history; PostgreSQL checks each row written on its
    own, about 3 s for the 175,000 tag rows of 5,000 strategies. They are deferred again for
    the rest of the transaction. Not the catalogue version's triggers, deferred too, which must
    run at the commit itself (migration 0011)."""
    models = [Strategy, Attachment, Strategy.history.model]
    models += [getattr(Strategy, name).through for name in TAG_FIELDS]
    quote = connection.ops.quote_name
    cursor.execute(
        "SELECT DISTINCT conname FROM pg_constraint "
        "WHERE contype = 'f' AND condeferred AND conrelid = ANY(%s::regclass[])",
        [[quote(model._meta.db_table) for model in models]],
    )
    if names := ", ".join(quote(name) for (name,) in cursor.fetchall()):
        cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
        cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")


# What a save changes on a record that exists (updated_at is set by hand: see _write_batch).
UPDATED_FIELDS = [
    "title",
    "jurisdiction",
    "adoption_date",
    "language",
    "status",
    "summary",
    "source_url",
    "synthetic",
    "deleted_at",
    "deleted_by",
    "updated_at",
]
# The same, for a record whose title and summary stay: the word vector's trigger fires only on
# a write of either (migration 0005).
KEPT_TEXT_FIELDS = [name for name in UPDATED_FIELDS if name not in ("title", "summary")]
# What a write sets and is compared with the stored record, to leave an unchanged one alone
# (attribute names; whoever deleted a record goes with when it was deleted).
COMPARED_FIELDS = tuple(
    Strategy._meta.get_field(name).attname
    for name in UPDATED_FIELDS
    if name not in ("deleted_by", "updated_at")
)


def _update_rows(strategies: list[Strategy], fields: list[str]) -> None:
    """`Strategy.all_objects.bulk_update(strategies, fields)`, as one statement on PostgreSQL.

    Django's bulk_update writes a CASE over every row for each field, and building it took
    longer than the database took to run it: 9.5 of the 25 seconds of an import of 2,000
    changed records (profiled). Here every value goes as text, in one array per field, and
    PostgreSQL reads each back as its column's type (character columns by assignment, which
    refuses a value too long rather than cutting it).
    """
    if not strategies:
        return
    if connection.vendor != "postgresql":
        Strategy.all_objects.bulk_update(strategies, fields)
        return
    quote = connection.ops.quote_name
    written = [Strategy._meta.get_field(name) for name in fields]
    assignments = []
    for number, model_field in enumerate(written):
        db_type = model_field.db_type(connection)
        cast = "" if db_type.startswith(("varchar", "text")) else f"::{db_type}"
        assignments.append(f"{quote(model_field.column)} = v.c{number}{cast}")
    arrays = ", ".join(["%s::text[]"] * (len(written) + 1))
    names = ", ".join(f"c{number}" for number in range(len(written)))
    values = [[str(strategy.pk) for strategy in strategies]]
    for model_field in written:
        values.append(
            [
                _as_text(
                    model_field.get_db_prep_save(getattr(strategy, model_field.attname), connection)
                )
                for strategy in strategies
            ]
        )
    table = quote(Strategy._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(assignments)} "
            f"FROM unnest({arrays}) AS v(pk, {names}) "
            f"WHERE {table}.{quote(Strategy._meta.pk.column)} = v.pk::bigint",
            values,
        )


def _as_text(value) -> str | None:
    """A value ready for the database, as PostgreSQL reads it from text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _insert_pairs(table: str, columns: tuple[str, str], rows: list[tuple[int, int]]) -> None:
    """Insert rows of two integers (a through table's)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement whatever the number of rows; the ids go as two comma-separated
            # strings, which psycopg passes on as they are, rather than arrays that it would
            # quote element by element.
            first, second = zip(*rows, strict=True)
            cursor.execute(
                f"INSERT INTO {quote(table)} ({names}) SELECT * FROM unnest("
                "string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::bigint[])",
                [",".join(map(str, first)), ",".join(map(str, second))],
            )
        else:
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES (%s, %s)", rows)


def _record_batch_history(writes: list[_CheckedWrite], user, now) -> None:
    """One history entry per written record, as _record_history() writes it, in bulk.

    Each entry is copied from the row just written (its tracked fields, as simple-history takes
    them from the instance) and its tags from the through tables, one statement for the entries
    and one per tag field: the summaries are not sent to the database a second time, and it
    keeps them compressed as they are.
    """
    if user is None:
        # The signed-in user of the request, if any (simple-history's middleware).
        user = strategy_history.get_history_user(writes[0].strategy)
    history_model = Strategy.history.model
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in strategy_history.fields_included(Strategy))
    copied = ", ".join(f"s.{quote(f.column)}" for f in strategy_history.fields_included(Strategy))
    history_columns = ", ".join(
        quote(history_model._meta.get_field(name).column)
        for name in ("history_date", "history_type", "history_change_reason", "history_user")
    )
    history_pk = quote(history_model._meta.pk.column)
    # Ids and the history type are written into the statement (integers, and "+" or "~"):
    # psycopg's binding reads a statement once per placeholder, which adds up at this size.
    rows, reasons = [], []
    for write in writes:
        reason = write.reason
        if write.restored and not reason:
            reason = _("Restored by saving its ID again")
        rows.append(f"({int(write.strategy.pk)}, '{'+' if write.created else '~'}', %s)")
        reasons.append(reason)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH written (pk, history_type, reason) AS (VALUES {', '.join(rows)}) "
            f"INSERT INTO {quote(history_model._meta.db_table)} ({columns}, {history_columns}) "
            f"SELECT {copied}, %s, written.history_type, written.reason, %s "
            f"FROM {quote(Strategy._meta.db_table)} s "
            f"JOIN written ON s.{quote(Strategy._meta.pk.column)} = written.pk "
            f"RETURNING {history_pk}",
            [*reasons, connection.ops.adapt_datetimefield_value(now), user and user.pk],
        )
        history_ids = ", ".join(str(int(history_id)) for (history_id,) in cursor.fetchall())
        for tag_field, m2m_history_model in strategy_history.m2m_models.items():
            through, source, _target = _through(tag_field.name)
            through_columns = [f.column for f in through._meta.fields]
            history_column = m2m_history_model._meta.get_field("history").column
            strategy_column = source.column
            cursor.execute(
                f"INSERT INTO {quote(m2m_history_model._meta.db_table)} "
                f"({', '.join(quote(c) for c in through_columns)}, {quote(history_column)}) "
                f"SELECT {', '.join(f't.{quote(c)}' for c in through_columns)}, h.{history_pk} "
                f"FROM {quote(through._meta.db_table)} t "
                f"JOIN {quote(history_model._meta.db_table)} h "
                f"ON h.{quote(Strategy._meta.pk.column)} = t.{quote(strategy_column)} "
                f"WHERE h.{history_pk} IN ({history_ids})"
            )


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
