"""Synthetic strategies for demonstrations and benchmarks.

Realistic in shape, not in content: jurisdictions skewed like real catalogues (a few countries
with many strategies, a long tail with one or two), 1–12 crime types, 3–25 articles, 5–40
cross-cutting leaves and summaries of 200–2,000 words drawn from the vocabulary of real strategy
text. Every record is flagged `synthetic` and takes its ID from 9999 downwards, so real records
keep the low numbers and `remove_synthetic()` takes them all away in one go.

Records are drawn in batches with numpy, a whole batch per call, and the same seed gives the same
records. A run is one transaction: if it fails halfway, nothing of it stays.

On PostgreSQL a run is a bulk load, shaped by where the time goes. Stemming the summaries for the
word vectors (to_tsvector) costs more than everything else together, so it runs as a parallel
query; drawing the next batch in Python overlaps with the database's work on the current one; and
a run that adds more rows than the catalogue holds (and is not part of a caller's transaction)
drops the catalogue tables' indexes and the tags' constraints for the load and builds them once
at the end, several times faster than keeping them up to date row by row. Such a run holds an
exclusive lock on the catalogue until it commits, so pages wait for it: fine for the
demonstration and benchmark databases this is for.
"""

from __future__ import annotations

import datetime
import json
import queue
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from .models import (
    PHRASE_KEYS,
    SEARCH_VECTOR,
    TAG_TABLES,
    Attachment,
    Status,
    Strategy,
)
from .services import index_merges_deferred

MAX_NUMBER = 9999
# Share of a jurisdiction's ID space that synthetic records may take (9999 down to 5000).
MAX_PER_JURISDICTION = 5000
# Records drawn and loaded together. Part of the seed's stream: changing it changes the records.
BATCH = 2000
SAMPLE_TEXT = Path(settings.BASE_DIR) / "fixtures" / "samples" / "GBR0007s.txt"
TITLE_PATTERNS = [
    "National Strategy against {topic} {start}–{end}",
    "{topic}: National Action Plan {start}–{end}",
    "Strategy for Preventing and Combating {topic}",
    "National Plan of Action on {topic} ({start})",
    "{adjective} Strategy on {topic}",
]
ADJECTIVES = ["Comprehensive", "Integrated", "National", "Whole-of-Government", "Multi-Year"]
LANGUAGES = [("en", 70), ("fr", 10), ("es", 9), ("ru", 4), ("ar", 4), ("zh-hans", 3)]


@dataclass
class Vocabulary:
    jurisdictions: list[str]
    crime_types: list[tuple[int, str]]  # (pk, English name)
    articles: list[int]
    article_weights: list[float]
    leaves: list[int]
    leaf_weights: list[float]
    words: list[str]
    word_weights: list[int]

    @classmethod
    def from_database(cls) -> Vocabulary:
        articles = list(Article.objects.values_list("pk", "instrument__code"))
        leaves = list(
            CrossCuttingIssue.objects.filter(is_leaf=True).values_list("pk", "provisional")
        )
        text = SAMPLE_TEXT.read_text(encoding="utf-8")
        for label in Article.objects.values_list("title_en", flat=True):
            text += " " + label
        for label in CrossCuttingIssue.objects.values_list("name_en", flat=True):
            text += " " + label
        counts = Counter(word.lower() for word in re.findall(r"[A-Za-z][a-z’'-]+", text))
        return cls(
            jurisdictions=list(
                Jurisdiction.objects.order_by("code").values_list("code", flat=True)
            ),
            crime_types=list(CrimeType.objects.order_by("slug").values_list("pk", "name_en")),
            articles=[pk for pk, _code in articles],
            # Most strategies cite the Convention itself; fewer cite the Protocols.
            article_weights=[4.0 if code == "UNTOC" else 1.0 for _pk, code in articles],
            leaves=[pk for pk, _provisional in leaves],
            leaf_weights=[1.0 if provisional else 3.0 for _pk, provisional in leaves],
            words=list(counts),
            word_weights=list(counts.values()),
        )


def _un_members() -> set[str]:
    with (Path(settings.BASE_DIR) / "fixtures" / "jurisdictions.json").open(encoding="utf-8") as f:
        return {row["code"] for row in json.load(f) if row.get("un_member")}


def jurisdiction_counts(codes: list[str], total: int, rng: random.Random) -> dict[str, int]:
    """How many strategies each jurisdiction gets: Zipf-like over a shuffled order, capped.

    UN member states come first in the order; territories and organisations form the tail, as
    in real catalogues.
    """
    members = _un_members()
    head = [code for code in codes if code in members]
    tail = [code for code in codes if code not in members]
    rng.shuffle(head)
    rng.shuffle(tail)
    order = head + tail
    weights = [1 / (rank + 1) ** 0.7 for rank in range(len(order))]
    capacity = MAX_PER_JURISDICTION * len(order)
    if total > capacity:
        raise ValueError(f"at most {capacity} synthetic strategies fit in the ID space")
    weight = dict(zip(order, weights, strict=True))
    counts = dict.fromkeys(order, 0)
    remaining = total
    while remaining:
        # Largest-remainder apportionment among the jurisdictions still below the cap.
        open_codes = [code for code in order if counts[code] < MAX_PER_JURISDICTION]
        scale = remaining / sum(weight[code] for code in open_codes)
        quotas = {code: weight[code] * scale for code in open_codes}
        given = {
            code: min(int(q), MAX_PER_JURISDICTION - counts[code]) for code, q in quotas.items()
        }
        leftover = remaining - sum(given.values())
        for code in sorted(open_codes, key=lambda c: quotas[c] - int(quotas[c]), reverse=True):
            if leftover == 0:
                break
            if counts[code] + given[code] < MAX_PER_JURISDICTION:
                given[code] += 1
                leftover -= 1
        for code, n in given.items():
            counts[code] += n
        remaining = leftover
    return {code: n for code, n in counts.items() if n}


def _strategy_ids(counts: dict[str, int], taken: set[str]) -> list[tuple[str, str]]:
    """(strategy ID, jurisdiction) for every record, counting down from 9999 past taken IDs."""
    ids = []
    for code, count in counts.items():
        number = MAX_NUMBER
        for _ in range(count):
            while f"{code}{number:04d}s" in taken:
                number -= 1
            ids.append((f"{code}{number:04d}s", code))
            number -= 1
    return ids


def _distinct(
    rng: np.random.Generator, weights: np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each row, sizes[row] distinct indices into weights, drawn with those weights.

    Efraimidis–Spirakis: every item gets the key Exp(1) / weight and each row keeps its smallest
    keys, which is weighted sampling without replacement. Returns (row, index) pairs, each row's
    first pair holding its first draw.
    """
    keys = rng.exponential(size=(len(sizes), len(weights))) / weights
    order = np.argsort(keys, axis=1)
    rows, ranks = np.nonzero(np.arange(len(weights)) < sizes[:, None])
    return rows, order[rows, ranks]


# What follows a word: inside a sentence, at the end of a sentence, of a paragraph, of a summary.
_WORD_ENDS = (" ", ". ", ".</p>\n<p>", ".</p>")


class _SummaryWriter:
    """Summaries of 200–2,000 words from the vocabulary, a whole batch at a time.

    Each word of a batch becomes one piece of a table: the word, capitalised when it starts a
    sentence, and what follows it. A summary is then one join over its pieces.
    """

    def __init__(self, vocabulary: Vocabulary):
        # Each word as often as its weight (a count of occurrences): drawing a word is then
        # drawing an index, several times faster than sampling by probabilities.
        self.draws = np.repeat(np.arange(len(vocabulary.words)), vocabulary.word_weights)
        self.pieces = np.array(
            [
                (word.capitalize() if capital else word) + end
                for word in vocabulary.words
                for capital in (False, True)
                for end in _WORD_ENDS
            ],
            dtype=object,
        )

    def write(self, rng: np.random.Generator, count: int) -> list[str]:
        lengths = (200 + (2000 - 200) * rng.random(count) ** 2).astype(np.int64)  # mostly short
        ends = np.cumsum(lengths)
        starts = ends - lengths
        total = int(ends[-1])
        words = self.draws[rng.integers(0, len(self.draws), size=total)]
        # Sentences of 8–28 words and paragraphs of 3–7 sentences run through the batch; a
        # summary's end also ends its sentence and paragraph.
        sentence_ends = np.cumsum(rng.integers(8, 29, size=total // 8 + 1)) - 1
        sentence_ends = sentence_ends[sentence_ends < total]
        paragraph_ends = np.cumsum(rng.integers(3, 8, size=len(sentence_ends) // 3 + 1)) - 1
        paragraph_ends = sentence_ends[paragraph_ends[paragraph_ends < len(sentence_ends)]]
        word_end = np.zeros(total, dtype=np.int64)
        word_end[sentence_ends] = 1
        word_end[paragraph_ends] = 2
        word_end[ends - 1] = 3
        capital = np.ones(total, dtype=np.int64)
        capital[1:] = word_end[:-1] > 0
        pieces = self.pieces[(words * 2 + capital) * len(_WORD_ENDS) + word_end]
        return [
            "<p>" + "".join(pieces[start:end].tolist())
            for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
        ]


@dataclass
class SyntheticBatch:
    """Records column by column; tags as parallel arrays of (row in the batch, value's pk)."""

    strategy_ids: list[str]
    jurisdictions: list[str]
    titles: list[str]
    adoption_dates: list[datetime.date]
    languages: list[str]
    summaries: list[str]
    statuses: list[str]
    tags: dict[str, tuple[np.ndarray, np.ndarray]]

    def __len__(self) -> int:
        return len(self.strategy_ids)


def synthetic_batches(
    total: int, seed: int, vocabulary: Vocabulary, taken: set[str], size: int = BATCH
) -> Iterator[SyntheticBatch]:
    """The records of a run, `size` at a time; the same seed gives the same records.

    Raises ValueError at once, before any is drawn, when they do not fit in the ID space.
    """
    ids = _strategy_ids(
        jurisdiction_counts(vocabulary.jurisdictions, total, random.Random(seed)), taken
    )
    return _draw_batches(ids, np.random.default_rng(seed), vocabulary, size)


def _draw_batches(
    ids: list[tuple[str, str]], rng: np.random.Generator, vocabulary: Vocabulary, size: int
) -> Iterator[SyntheticBatch]:
    summaries = _SummaryWriter(vocabulary)
    crime_type_pks = np.array([pk for pk, _name in vocabulary.crime_types])
    crime_type_names = [name for _pk, name in vocabulary.crime_types]
    article_pks = np.array(vocabulary.articles)
    article_weights = np.array(vocabulary.article_weights)
    leaf_pks = np.array(vocabulary.leaves)
    leaf_weights = np.array(vocabulary.leaf_weights)
    language_codes = [code for code, _weight in LANGUAGES]
    language_weights = np.array([weight for _code, weight in LANGUAGES], dtype=float)
    for offset in range(0, len(ids), size):
        chunk = ids[offset : offset + size]
        n = len(chunk)
        crime_type_counts = np.minimum(
            len(crime_type_pks), np.maximum(1, rng.triangular(1, 3, 12, n).astype(np.int64))
        )
        crime_type_rows, crime_types = _distinct(
            rng, np.ones(len(crime_type_pks)), crime_type_counts
        )
        topics = crime_types[np.searchsorted(crime_type_rows, np.arange(n))]
        article_rows, articles = _distinct(
            rng, article_weights, rng.triangular(3, 8, 25, n).astype(np.int64)
        )
        leaf_counts = np.minimum(len(leaf_pks), rng.triangular(5, 12, 40, n).astype(np.int64))
        leaf_rows, leaves = _distinct(rng, leaf_weights, leaf_counts)
        years = rng.triangular(1995, 2021, 2026, n).astype(np.int64)
        days = rng.integers(0, 365, n)
        dates = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]") + days
        patterns = rng.integers(0, len(TITLE_PATTERNS), n)
        terms = rng.integers(2, 6, n)
        adjectives = rng.integers(0, len(ADJECTIVES), n)
        languages = rng.choice(len(language_codes), n, p=language_weights / language_weights.sum())
        drafts = rng.random(n) >= 0.97
        yield SyntheticBatch(
            strategy_ids=[strategy_id for strategy_id, _code in chunk],
            jurisdictions=[code for _strategy_id, code in chunk],
            titles=[
                TITLE_PATTERNS[pattern].format(
                    topic=crime_type_names[topic],
                    start=year,
                    end=year + term,
                    adjective=ADJECTIVES[adjective],
                )
                for pattern, topic, year, term, adjective in zip(
                    patterns.tolist(),
                    topics.tolist(),
                    years.tolist(),
                    terms.tolist(),
                    adjectives.tolist(),
                    strict=True,
                )
            ],
            adoption_dates=dates.tolist(),
            languages=[language_codes[i] for i in languages.tolist()],
            summaries=summaries.write(rng, n),
            statuses=[Status.DRAFT if draft else Status.PUBLISHED for draft in drafts.tolist()],
            tags={
                "crime_types": (crime_type_rows, crime_type_pks[crime_types]),
                "articles": (article_rows, article_pks[articles]),
                "issues": (leaf_rows, leaf_pks[leaves]),
            },
        )


CATALOGUE_TABLES = [
    Strategy._meta.db_table,
    *(through._meta.db_table for through, _column in TAG_TABLES.values()),
]


def _in_background(items: Iterator, ahead: int = 2) -> Iterator:
    """Yield what `items` yields, computed in a thread up to `ahead` items in advance.

    Drawing a batch is Python work and loading one is database work (psycopg lets go of the GIL
    while it waits), so the two overlap. The thread must not touch the database.
    """
    done = object()
    handoff: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as error:  # handed to the consumer, which raises it
            put((done, error))

    thread = threading.Thread(target=produce, name="synthetic-strategies", daemon=True)
    thread.start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _copy_text(value: str) -> str:
    """A value for COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


STAGED_COLUMNS = (
    "id",
    "strategy_id",
    "jurisdiction_id",
    "title",
    "adoption_date",
    "language",
    "summary",
    "status",
)


@dataclass
class _CopyData:
    """A batch as COPY text, made in the background thread: the strategies and their tags."""

    count: int
    strategies: str
    tags: dict[str, str]

    @classmethod
    def of(cls, batch: SyntheticBatch, ids: np.ndarray) -> _CopyData:
        strategies = "".join(
            "\t".join(fields) + "\n"
            for fields in zip(
                map(str, ids.tolist()),
                batch.strategy_ids,
                batch.jurisdictions,
                map(_copy_text, batch.titles),
                map(str, batch.adoption_dates),
                batch.languages,
                map(_copy_text, batch.summaries),
                batch.statuses,
                strict=True,
            )
        )
        # Millions of lines in all: each is joined from an id's and a value's text, made once.
        prefixes = np.array([f"{pk}\t" for pk in ids.tolist()], dtype=object)
        tags = {}
        for name, (rows, values) in batch.tags.items():
            suffixes = np.array(
                [f"{value}\n" for value in range(values.max(initial=0) + 1)], dtype=object
            )
            lines = np.empty(2 * len(rows), dtype=object)
            lines[0::2] = prefixes[rows]
            lines[1::2] = suffixes[values]
            tags[name] = "".join(lines.tolist())
        return cls(len(batch), strategies, tags)


class _PostgresLoad:
    """One run's writes on PostgreSQL, inside a transaction.

    Rows are COPYed into an unlogged staging table; a parallel CREATE TABLE AS computes their
    word vectors with SEARCH_VECTOR, the trigger's own expression (PostgreSQL runs no INSERT in
    parallel, but it does CREATE TABLE AS), and another their phrase keys; one INSERT … SELECT
    then writes each row once, vector and keys included, while the trigger stands aside
    (strategies.defer_search_vector, migrations 0008 and 0014). The tags are COPYed straight
    into their tables.

    Rebuild mode, for a run that adds more rows than there are and owns its transaction: the
    indexes and the tags' constraints are dropped for the load and built once at the end, which
    is several times faster than keeping them up to date row by row.
    """

    def __init__(self, cursor, total: int, own_transaction: bool):
        self.cursor = cursor
        # Named by session, so that concurrent runs do not wait on each other's tables.
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
        self.staging = f"strategies_synthetic_staging_{pid}"
        self.vectors = f"strategies_synthetic_vectors_{pid}"
        self.keys = f"strategies_synthetic_keys_{pid}"
        self.settings: dict[str, str | None] = {}
        # What rebuild mode dropped, in the order to put it back.
        self.constraints: list[tuple[str, str, str]] = []  # (table, name, definition)
        self.indexes: list[str] = []  # definitions
        self.foreign_keys: list[tuple[str, str, str]] = []
        cursor.execute("SELECT count(*) FROM strategies_strategy")
        # Inside a caller's transaction, the deferred checks and triggers of the caller's own
        # writes may be waiting on these tables, and PostgreSQL alters none of them then.
        self.rebuild = own_transaction and total > cursor.fetchone()[0]

    def set(self, name: str, value: str) -> None:
        """SET LOCAL, remembering the value before so that finish() can put it back."""
        self.cursor.execute("SELECT current_setting(%s, true)", [name])
        self.settings.setdefault(name, self.cursor.fetchone()[0])
        self.cursor.execute("SELECT set_config(%s, %s, true)", [name, value])

    def start(self) -> None:
        cursor = self.cursor
        self.set("strategies.defer_search_vector", "on")
        # The vectors are computed by a parallel query, whatever its cost estimate.
        self.set("parallel_setup_cost", "0")
        self.set("parallel_tuple_cost", "0")
        # Compressing the summaries with pglz took a quarter of the load; lz4 (PostgreSQL 14 and
        # later, when built with it) is several times faster. They are compressed once, in the
        # staging table, and copied as they are.
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        if (cursor.fetchone() or [False])[0]:
            self.set("default_toast_compression", "lz4")
        if self.rebuild:
            self._drop_indexes_and_constraints()
        cursor.execute(
            f'CREATE UNLOGGED TABLE "{self.staging}" (id bigint, strategy_id text, '
            "jurisdiction_id text, title text, adoption_date date, language text, summary text, "
            "status text) WITH (parallel_workers = 2)"
        )

    def _drop_indexes_and_constraints(self) -> None:
        """Dropped: every index of the four tables but the strategies' primary key (attachments
        point at it) and unique strategy ID (cheap to keep), and every key and foreign key of
        the tag tables. The strategies' own foreign keys stay: they check few rows, and one
        points at auth_user, which is better not locked for a whole run.
        """
        cursor = self.cursor
        tags = CATALOGUE_TABLES[1:]
        # Foreign keys first, then the keys they might lean on; put back the other way round.
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
            "FROM pg_constraint c WHERE conrelid = ANY(%s::regclass[]) AND (contype = 'f' OR "
            "contype IN ('p', 'u') AND NOT EXISTS (SELECT 1 FROM pg_constraint f "
            "WHERE f.contype = 'f' AND f.conindid = c.conindid)) ORDER BY contype = 'f' DESC",
            [tags],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint "
            "WHERE conindid = indexrelid AND contype IN ('p', 'u', 'x'))",
            [CATALOGUE_TABLES],
        )
        indexes = cursor.fetchall()
        for table, name, definition, kind in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            (self.foreign_keys if kind == "f" else self.constraints).append(
                (table, name, definition)
            )
        for name, definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
            self.indexes.append(definition)
        # PostgreSQL builds no index on a table with deferred checks or triggers still waiting,
        # so those left on these tables (the strategies' foreign keys, say) run statement by
        # statement in this transaction instead, which ends with the load.
        cursor.execute(
            "SELECT DISTINCT conname FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) AND condeferred",
            [CATALOGUE_TABLES],
        )
        names = [name for (name,) in cursor.fetchall()]
        if names:
            quoted = ", ".join(f'"{name}"' for name in names)
            cursor.execute(f"SET CONSTRAINTS {quoted} IMMEDIATE")

    def reserve_ids(self, count: int) -> np.ndarray:
        """Ids for the strategies to come, so that their tags can be written beside them."""
        self.cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('strategies_strategy', 'id')) "
            "FROM generate_series(1, %s)",
            [count],
        )
        return np.array([pk for (pk,) in self.cursor.fetchall()], dtype=np.int64)

    def write(self, data: _CopyData) -> None:
        cursor = self.cursor
        columns = ", ".join(STAGED_COLUMNS)
        with cursor.copy(f'COPY "{self.staging}" ({columns}) FROM STDIN') as copy:
            copy.write(data.strategies)
        for name, (through, column) in TAG_TABLES.items():
            table = through._meta.db_table
            with cursor.copy(f'COPY "{table}" (strategy_id, "{column}") FROM STDIN') as copy:
                copy.write(data.tags[name])
        cursor.execute(
            f'CREATE UNLOGGED TABLE "{self.vectors}" WITH (parallel_workers = 2) AS '
            f'SELECT id, {SEARCH_VECTOR} AS search_vector FROM "{self.staging}"'
        )
        # The phrase keys from the vectors, in parallel too: computed beside the vectors in one
        # statement, they would be computed above the parallel part, in this process alone.
        cursor.execute(
            f'CREATE UNLOGGED TABLE "{self.keys}" AS SELECT id, '
            f"{PHRASE_KEYS.format(vector='search_vector')} AS phrase_keys "
            f'FROM "{self.vectors}"'
        )
        now = timezone.now()
        cursor.execute(
            f"INSERT INTO strategies_strategy ({columns}, search_vector, phrase_keys, "
            "source_url, synthetic, created_at, updated_at) "
            # A fresh copy of the vector, stored as its column says (out of line and not
            # compressed, migration 0010) rather than as the scratch table compressed it.
            f"SELECT {', '.join(f'staged.{c}' for c in STAGED_COLUMNS)}, "
            "vectors.search_vector || ''::tsvector, keys.phrase_keys, '', "
            "true, %s, %s "
            f'FROM "{self.staging}" staged JOIN "{self.vectors}" vectors USING (id) '
            f'JOIN "{self.keys}" keys USING (id)',
            [now, now],
        )
        cursor.execute(f'DROP TABLE "{self.vectors}", "{self.keys}"')
        cursor.execute(f'TRUNCATE "{self.staging}"')

    def finish(self) -> None:
        cursor = self.cursor
        cursor.execute(f'DROP TABLE "{self.staging}"')
        if self.rebuild:
            self.set("maintenance_work_mem", "256MB")
        for table, name, definition in self.constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for definition in self.indexes:
            cursor.execute(definition)
        for table, name, definition in self.foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, value in self.settings.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value or ""])


def _write_sqlite(batch: SyntheticBatch, today: datetime.datetime) -> None:
    strategies = Strategy.objects.bulk_create(
        [
            Strategy(
                strategy_id=strategy_id,
                title=title,
                jurisdiction_id=code,
                adoption_date=adoption_date,
                language=language,
                summary=summary,
                status=status,
                synthetic=True,
                created_at=today,
                updated_at=today,
            )
            for strategy_id, code, title, adoption_date, language, summary, status in zip(
                batch.strategy_ids,
                batch.jurisdictions,
                batch.titles,
                batch.adoption_dates,
                batch.languages,
                batch.summaries,
                batch.statuses,
                strict=True,
            )
        ]
    )
    pks = np.array([strategy.pk for strategy in strategies], dtype=np.int64)
    for name, (through, column) in TAG_TABLES.items():
        rows, values = batch.tags[name]
        through.objects.bulk_create(
            [
                through(strategy_id=pk, **{column: value})
                for pk, value in zip(pks[rows].tolist(), values.tolist(), strict=True)
            ],
            batch_size=5000,
        )


def generate(
    total: int,
    seed: int,
    progress: Callable[[int], None] = lambda n: None,
    stage: Callable[[str], None] = lambda text: None,
) -> int:
    """Create `total` synthetic strategies; returns how many were created.

    All or nothing: the records are written in one transaction. `progress` is told how many
    records each batch wrote; `stage` what the run does once all are written.
    """
    vocabulary = Vocabulary.from_database()
    # Deleted strategies keep their IDs (a restore gives them back).
    taken = set(Strategy.all_objects.values_list("strategy_id", flat=True))
    batches = synthetic_batches(total, seed, vocabulary, taken, size=BATCH)
    created = 0
    if connection.vendor == "postgresql":
        own_transaction = not connection.in_atomic_block
        # Into indexes kept up to date, the full-text ones merge their new entries once.
        with transaction.atomic(), index_merges_deferred(), connection.cursor() as cursor:
            load = _PostgresLoad(cursor, total, own_transaction)
            load.start()
            ids = load.reserve_ids(total)
            chunks = (ids[offset : offset + BATCH] for offset in range(0, total, BATCH))
            drawn = _in_background(map(_CopyData.of, batches, chunks))
            with closing(drawn):  # on failure too: stops the thread now, not when collected
                for data in drawn:
                    load.write(data)
                    created += data.count
                    progress(data.count)
            if load.rebuild:
                stage("rebuilding indexes")
            load.finish()
            # The catalogue version moves as the run commits (migration 0011).
        # Fresh statistics, or the planner keeps planning for the empty tables it last saw.
        stage("analysing")
        with connection.cursor() as cursor:
            for table in CATALOGUE_TABLES:
                cursor.execute(f'ANALYZE "{table}"')
    else:
        today = timezone.now()
        drawn = _in_background(batches)
        with transaction.atomic(), closing(drawn):
            for batch in drawn:
                _write_sqlite(batch, today)
                created += len(batch)
                progress(len(batch))
    return created


def remove_synthetic() -> int:
    """Delete every synthetic strategy and its tags; real records are untouched."""
    synthetic = Strategy.all_objects.filter(synthetic=True)
    with transaction.atomic():
        Attachment.objects.filter(strategy__synthetic=True).delete()
        for through, _column in TAG_TABLES.values():
            through.objects.filter(strategy__synthetic=True)._raw_delete(connection.alias)
        count = synthetic.count()
        synthetic._raw_delete(connection.alias)
    return count
