"""Strategy records and their attachments.

Models hold data and the rules that must always hold (constraints, sanitising on save). Writes that
involve several records or vocabularies go through strategies.services.
"""

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import PurePath

from django.conf import global_settings, settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from .attachments import validate_attachment
from .richtext import sanitise_summary

# A strategy ID is its jurisdiction's code, four digits and "s": GBR0007s, SADC0001s.
STRATEGY_ID_RE = re.compile(r"^([A-Z]{2,8})([0-9]{4})s$")
DOCUMENT_LANGUAGES = sorted(global_settings.LANGUAGES, key=lambda item: item[1])


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


# A strategy's word vector as SQL over its row's columns: what the trigger of migrations 0005 and
# 0008 computes, for bulk writes that compute it themselves (imports, synthetic strategies).
SEARCH_VECTOR = (
    "setweight(to_tsvector('english', COALESCE(title, '')), 'A') || "
    "setweight(to_tsvector('english', regexp_replace(COALESCE(summary, ''), '<[^>]+>', ' ', 'g')), "
    "'B')"
)

# The phrase keys of a word vector as SQL (migrations 0014 and 0017; strategies/phrases.py).
PHRASE_KEYS = "strategies_phrase_keys({vector})"

PUBLISH_PERMISSION = "strategies.publish_strategy"


class PhraseKeysField(models.Field):
    """A strategy's phrase keys: bigint[] on PostgreSQL, kept by the database with the word
    vector; an unused column elsewhere (SQLite searches words without either)."""

    description = "Adjacent-word keys of the word vector"

    def db_type(self, connection):
        return "bigint[]" if connection.vendor == "postgresql" else "text"


class SkipFilterField(models.Field):
    """A strategy's skip filter: a Bloom filter of its word pairs two positions apart, bytea on
    PostgreSQL; an unused column elsewhere. Migration 0016 added it and 0017 removed it, for
    the phrase keys of such pairs; kept for those migrations."""

    description = "Filter of the word pairs two positions apart in the word vector"

    def db_type(self, connection):
        return "bytea" if connection.vendor == "postgresql" else "text"


class StrategyQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)

    def waiting_for_review(self):
        """Drafts that are not deleted: what a reviewer has still to publish or send back."""
        return self.filter(status=Status.DRAFT, deleted_at__isnull=True)

    def with_tag_codes(self):
        """Everything the canonical form needs, as plain values: the rows with their
        jurisdiction, then, per batch of rows fetched, three queries of (strategy, code) pairs
        and one of attachments, which `attach_codes` sets on each row.

        The lighter choice for API responses and exports: a page of 20 strategies carries about
        900 tags, and making a model instance of each costs more than the rest of the response
        (so did prefetching the attachments, which most strategies lack, through Django's
        related managers). Pages that show the tags' names use `with_tags()`.
        """
        clone = self.select_related("jurisdiction")
        clone._tag_codes = True
        return clone

    # Carry the with_tag_codes() flag through chaining (Django clones the queryset at each call).
    _tag_codes = False

    def _clone(self):
        clone = super()._clone()
        clone._tag_codes = self._tag_codes
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._tag_codes:
            attach_codes([row for row in self._result_cache if isinstance(row, Strategy)])

    def iterator(self, chunk_size=None):
        rows = super().iterator(chunk_size)
        if not self._tag_codes:
            yield from rows
            return
        while chunk := list(itertools.islice(rows, chunk_size or 2000)):
            attach_codes([row for row in chunk if isinstance(row, Strategy)])
            yield from chunk

    def with_tags(self):
        """Everything the canonical form needs, in five queries whatever the number of rows."""
        return self.select_related("jurisdiction").prefetch_related(
            models.Prefetch("crime_types", queryset=CrimeType.objects.order_by("slug")),
            models.Prefetch(
                "articles", queryset=Article.objects.select_related("instrument").in_order()
            ),
            models.Prefetch(
                "cross_cutting_issues", queryset=CrossCuttingIssue.objects.order_by("path")
            ),
            "attachments",
        )


# The tag lists of the canonical form, as `attach_codes` names them.
TAG_KINDS = ("crime_types", "articles", "cross_cutting_issues")


def attach_codes(strategies: list, known: dict[str, dict[int, list[str]]] | None = None) -> None:
    """Set on each strategy `tag_codes`, {"crime_types": slugs, "articles": codes in instrument
    then numeric order, "cross_cutting_issues": paths}, and `attachment_values`, its attachments
    as the canonical form lists them: four queries for the whole list.

    `known` gives kinds of tags already read elsewhere (the facet index holds crime types and
    articles), each strategy's codes in that order; a kind given is not queried.
    """
    if not strategies:
        return
    _attach_attachment_values(strategies)
    known = known or {}
    pks = [strategy.pk for strategy in strategies]
    codes: dict[int, dict[str, list]] = {
        pk: {kind: list(known[kind][pk]) if kind in known else [] for kind in TAG_KINDS}
        for pk in pks
    }
    # Crime types and issues sort by their codes (slugs, paths); articles by instrument.
    for kind in ("crime_types", "cross_cutting_issues"):
        if kind not in known:
            through, code = TAG_CODES[kind]
            for pk, tags in tag_codes_by_strategy(through, code, pks).items():
                codes[pk][kind] = sorted(tags)
    if "articles" not in known:
        articles = Strategy.articles.through.objects.filter(strategy_id__in=pks).values_list(
            "strategy_id",
            "article__instrument__position",
            "article__instrument__code",
            "article__number",
            "article__code",
        )
        for pk, *order_and_code in sorted(articles):
            codes[pk]["articles"].append(order_and_code[-1])
    for strategy in strategies:
        strategy.tag_codes = codes[strategy.pk]


def tag_codes_by_strategy(through, code: str, pks) -> dict[int, list[str]]:
    """Each of the strategies `pks`' tags of one kind as codes, in no particular order: one
    query of (strategy, code) pairs on the tag table `through`, `code` naming the tag's code
    from it (e.g. "crimetype__slug")."""
    result: dict[int, list[str]] = {pk: [] for pk in pks}
    for pk, tag in through.objects.filter(strategy_id__in=pks).values_list("strategy_id", code):
        result[pk].append(tag)
    return result


def canonical_attachments(rows) -> list[dict[str, str]]:
    """(file, title, language) rows as the canonical form lists a strategy's attachments: by
    title then file, as Python compares them (not as the database collates)."""
    return sorted(
        ({"file": file, "title": title, "language": language} for file, title, language in rows),
        key=lambda attachment: (attachment["title"], attachment["file"]),
    )


def _attach_attachment_values(strategies: list) -> None:
    rows: dict[int, list[tuple[str, str, str]]] = {strategy.pk: [] for strategy in strategies}
    query = Attachment.objects.filter(strategy_id__in=list(rows)).order_by()
    for pk, *row in query.values_list("strategy_id", "file", "title", "language"):
        rows[pk].append(row)
    for strategy in strategies:
        strategy.attachment_values = canonical_attachments(rows[strategy.pk])


class AllStrategiesManager(models.Manager.from_queryset(StrategyQuerySet)):
    """Every strategy, deleted or not. The word vector and its phrase keys are left unread: the
    database keeps them and queries match against them, but Python never needs them, and they
    are the widest columns (reading them for a page of 20 rows costs more than the rest of the
    rows)."""

    def get_queryset(self):
        return super().get_queryset().defer("search_vector", "phrase_keys")


class CurrentStrategyManager(AllStrategiesManager):
    """Strategies that are not deleted. The default manager, so that every page, count, feed,
    export, the API and the facet index leave deleted strategies out without asking."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


# Held by name so that strategies.services can write the one history entry of a save itself,
# after the tags are set: the signals alone would write one for the row and one per changed tag
# field, the first with the tags as they were before the save.
strategy_history = HistoricalRecords(
    m2m_fields=["crime_types", "articles", "cross_cutting_issues"],
    # Kept by the database (search_vector, phrase_keys) or by every save (updated_at, which
    # history_date repeats): none says anything about what an editor changed.
    excluded_fields=["search_vector", "phrase_keys", "updated_at"],
)


class Strategy(models.Model):
    strategy_id = models.CharField(
        _("strategy ID"),
        max_length=13,
        unique=True,
        help_text=_(
            "The jurisdiction's code, four digits and “s”, e.g. GBR0007s. "
            "Leave empty to take the next free ID for the jurisdiction."
        ),
    )
    title = models.CharField(_("title"), max_length=500)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        to_field="code",
        on_delete=models.PROTECT,
        related_name="strategies",
    )
    adoption_date = models.DateField(_("adoption date"), null=True, blank=True)
    language = models.CharField(
        _("document language"), max_length=10, choices=DOCUMENT_LANGUAGES, default="en"
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
        help_text=_("Paragraphs, lists, emphasis and links are kept; any other markup is removed."),
    )
    source_url = models.URLField(_("source URL"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    crime_types = models.ManyToManyField(
        CrimeType, verbose_name=_("crime types"), blank=True, related_name="strategies"
    )
    articles = models.ManyToManyField(
        Article, verbose_name=_("articles"), blank=True, related_name="strategies"
    )
    cross_cutting_issues = models.ManyToManyField(
        CrossCuttingIssue,
        verbose_name=_("cross-cutting issues"),
        blank=True,
        related_name="strategies",
        help_text=_("Tag the most specific issues; their ancestors follow from the tree."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Records made by `generate_strategies` for demonstrations and benchmarks; they take IDs
    # from 9999 downwards so that real records keep the low numbers, and are removed together.
    synthetic = models.BooleanField(_("synthetic"), default=False, editable=False, db_index=True)
    # The words of title (weight A) and summary (weight B) for full-text search; on PostgreSQL a
    # trigger keeps it in step with title and summary (migration 0005). Empty on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    # Hashes of the word pairs standing side by side in search_vector, and of those standing two
    # positions apart (a stop word between, as in "trafficking in persons"), which phrase
    # searches narrow their candidates by (strategies/phrases.py); kept by the same trigger
    # (migrations 0014 and 0017). Empty on SQLite. Not serialised: the database derives it.
    phrase_keys = PhraseKeysField(null=True, editable=False, serialize=False)
    # Deleting a strategy only marks it (strategies.services.delete_strategy), so that it can be
    # restored with its tags, attachments and history.
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = CurrentStrategyManager()
    all_objects = AllStrategiesManager()
    history = strategy_history

    class Meta:
        ordering = ["strategy_id"]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        permissions = [("publish_strategy", _("Can publish strategies and return them to draft"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(strategy_id__regex=r"^[A-Z]{2,8}[0-9]{4}s$"),
                name="strategy_id_format",
                violation_error_message=_(
                    "A strategy ID is the jurisdiction's code, four digits and “s”, e.g. GBR0007s."
                ),
            ),
            models.CheckConstraint(
                condition=Q(strategy_id__startswith=F("jurisdiction_id"))
                & Q(Exact(Length("strategy_id"), Length("jurisdiction_id") + 5)),
                name="strategy_id_matches_jurisdiction",
                violation_error_message=_(
                    "The strategy ID must begin with its jurisdiction's code."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.strategy_id} {self.title}"

    def save(self, *args, **kwargs):
        self.summary = sanitise_summary(self.summary)
        super().save(*args, **kwargs)

    def validate_unique(self, exclude=None):
        # Django checks uniqueness through the default manager, which cannot see deleted
        # strategies; their IDs stay taken (restoring one gives it back), so check them all.
        exclude = set(exclude or ())
        super().validate_unique(exclude=exclude | {"strategy_id"})
        if "strategy_id" in exclude or not self.strategy_id:
            return
        clash = (
            Strategy.all_objects.filter(strategy_id=self.strategy_id)
            .exclude(pk=self.pk)
            .values_list("deleted_at", flat=True)
        )
        for deleted_at in clash[:1]:
            if deleted_at is None:
                message = self.unique_error_message(Strategy, ["strategy_id"])
            else:
                message = _(
                    "The ID %(value)s belongs to a deleted strategy: restore that one, or leave "
                    "the ID empty to take the next free one."
                ) % {"value": self.strategy_id}
            raise ValidationError({"strategy_id": [message]})

    def clean(self):
        super().clean()
        match = STRATEGY_ID_RE.match(self.strategy_id or "")
        if self.strategy_id and not match:
            raise ValidationError(
                {
                    "strategy_id": _(
                        "“%(value)s” is not a strategy ID: it should be the jurisdiction's code, "
                        "four digits and “s”, e.g. GBR0007s."
                    )
                    % {"value": self.strategy_id}
                }
            )
        if match and self.jurisdiction_id and match.group(1) != self.jurisdiction_id:
            raise ValidationError(
                {
                    "strategy_id": _(
                        "The ID “%(value)s” begins with %(prefix)s but the jurisdiction is "
                        "%(jurisdiction)s: it should begin with %(jurisdiction)s."
                    )
                    % {
                        "value": self.strategy_id,
                        "prefix": match.group(1),
                        "jurisdiction": self.jurisdiction_id,
                    }
                }
            )


def attachment_path(attachment: "Attachment", filename: str) -> str:
    return f"attachments/{attachment.strategy.strategy_id}/{PurePath(filename).name}"


class Attachment(models.Model):
    strategy = models.ForeignKey(
        Strategy, verbose_name=_("strategy"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(
        _("file"), upload_to=attachment_path, max_length=300, validators=[validate_attachment]
    )
    title = models.CharField(_("title"), max_length=300)
    language = models.CharField(
        _("language"), max_length=10, choices=DOCUMENT_LANGUAGES, default="en"
    )

    class Meta:
        ordering = ["strategy", "title", "file"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.title


# Each kind of tag a strategy carries: its through table and the column naming the tag.
TAG_TABLES = {
    "crime_types": (Strategy.crime_types.through, "crimetype_id"),
    "articles": (Strategy.articles.through, "article_id"),
    "issues": (Strategy.cross_cutting_issues.through, "crosscuttingissue_id"),
}
# Each kind of tag (TAG_KINDS): its through table and the lookup of a tag's public code from it.
TAG_CODES = {
    "crime_types": (Strategy.crime_types.through, "crimetype__slug"),
    "articles": (Strategy.articles.through, "article__code"),
    "cross_cutting_issues": (Strategy.cross_cutting_issues.through, "crosscuttingissue__path"),
}


# The version a block of reads is pinned to (CatalogueVersion.pinned()): empty until first read.
_pinned_version: ContextVar[list[int] | None] = ContextVar("pinned_version", default=None)


class CatalogueVersion(models.Model):
    """A number that moves whenever strategies, their tags or the vocabularies change.

    Database triggers move it, so writes from any process count, bulk ones included. Its single
    row is written in the writing transaction: on PostgreSQL once, when it commits (migrations
    0011 and 0013, with the next number of a sequence, which a rollback does not rewind), on
    SQLite with each write (0004, 0009). Either way a reader never sees the new number before the
    new rows.
    """

    value = models.BigIntegerField(default=0)

    SEQUENCE = "strategies_catalogue_version_seq"
    # Versions whose changes the log keeps (KEPT in migration 0012).
    LOGGED = 1000

    class Meta:
        verbose_name = _("catalogue version")

    def __str__(self):
        return str(self.value)

    @classmethod
    def current(cls) -> int:
        """The version now; within `pinned()`, the version first read there."""
        pin = _pinned_version.get()
        if pin is None:
            return cls._read()
        if not pin:
            pin.append(cls._read())
        return pin[0]

    @classmethod
    def _read(cls) -> int:
        # Every public request reads this once, so it is written out rather than built by the
        # ORM (which takes longer to compile the query than the database takes to answer it),
        # on the database the ORM would route the read to. -1 before the first write ever: no
        # index is labelled with it for long.
        connection = connections[router.db_for_read(cls)]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote(cls._meta.get_field('value').column)} "
                f"FROM {quote(cls._meta.db_table)} WHERE {quote(cls._meta.pk.column)} = 1"
            )
            row = cursor.fetchone()
        return (row and row[0]) or -1

    @classmethod
    @contextmanager
    def pinned(cls) -> Iterator[None]:
        """Read the version once for the whole block (a public page): every part of the page
        then comes from the same catalogue, and the version is one query, not one per part."""
        token = _pinned_version.set([])
        try:
            yield
        finally:
            _pinned_version.reset(token)

    @classmethod
    def seen(cls, version: int) -> None:
        """Within `pinned()`, move the pin to a newer `version` that a value was derived at (an
        index patched up to a write committed since the pin was read), so that the rest of the
        block asks for that version rather than derive its values again for the older one."""
        pin = _pinned_version.get()
        if pin and version > pin[0]:
            pin[0] = version

    @classmethod
    def changes_since(cls, version: int) -> tuple[int, set[int] | None]:
        """The current version and the pks of the strategies written since `version`, read in
        one statement (so the two agree), from the log of migration 0012. None instead of the
        pks when something else changed too (a vocabulary, a truncation, a very large write),
        when `version` is older than the log keeps, and on SQLite, which keeps no log."""
        # The database the version and the rows are read from (a replica, for public pages).
        connection = connections[router.db_for_read(cls)]
        if connection.vendor != "postgresql":
            return cls.current(), None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT v.value, c.xid IS NOT NULL, c.strategy_pk "
                "FROM strategies_catalogueversion v "
                "LEFT JOIN strategies_catalogue_version_log l "
                "ON l.version > %s AND l.version <= v.value "
                "LEFT JOIN strategies_catalogue_change c ON c.xid = l.xid "
                "WHERE v.id = 1 GROUP BY 1, 2, 3",
                [version],
            )
            rows = cursor.fetchall()
        if not rows:
            return -1, None
        current = rows[0][0]
        if not version <= current <= version + cls.LOGGED:
            return current, None
        changed = set()
        for _current, logged, pk in rows:
            if logged and pk is None:
                return current, None
            if pk is not None:
                changed.add(pk)
        return current, changed
