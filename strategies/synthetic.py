"""Synthetic strategies for demonstrations and benchmarks.

Realistic in shape, not in content: jurisdictions skewed like real catalogues (a few countries
with many strategies, a long tail with one or two), 1–12 crime types, 3–25 articles, 5–40
cross-cutting leaves and summaries of 200–2,000 words drawn from the vocabulary of real strategy
text. Every record is flagged `synthetic` and takes its ID from 9999 downwards, so real records
keep the low numbers and `remove_synthetic()` takes them all away in one go.

Writes are bulk operations: rows are built in memory in batches and inserted with COPY on
PostgreSQL (bulk_create elsewhere), never one save per row.
"""

from __future__ import annotations

import datetime
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from .models import Attachment, Status, Strategy

MAX_NUMBER = 9999
# Share of a jurisdiction's ID space that synthetic records may take (9999 down to 5000).
MAX_PER_JURISDICTION = 5000
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


def _sample(rng: random.Random, population: list, weights: list[float], k: int) -> list:
    """k distinct items, drawn with weights."""
    chosen: dict = {}
    while len(chosen) < k:
        for item in rng.choices(population, weights, k=k - len(chosen)):
            chosen[item] = None
    return list(chosen)[:k]


def _summary(rng: random.Random, vocabulary: Vocabulary) -> str:
    target = int(200 + (2000 - 200) * rng.random() ** 2)  # most summaries are short
    words = rng.choices(vocabulary.words, vocabulary.word_weights, k=target)
    paragraphs, sentence, paragraph = [], [], []
    sentence_length = rng.randint(8, 28)
    for word in words:
        sentence.append(word)
        if len(sentence) >= sentence_length:
            paragraph.append(" ".join(sentence).capitalize() + ".")
            sentence, sentence_length = [], rng.randint(8, 28)
            if len(paragraph) >= rng.randint(3, 7):
                paragraphs.append("<p>" + " ".join(paragraph) + "</p>")
                paragraph = []
    if sentence:
        paragraph.append(" ".join(sentence).capitalize() + ".")
    if paragraph:
        paragraphs.append("<p>" + " ".join(paragraph) + "</p>")
    return "\n".join(paragraphs)


@dataclass
class SyntheticStrategy:
    strategy: Strategy
    crime_types: list[int]
    articles: list[int]
    issues: list[int]


def synthetic_strategies(
    total: int, seed: int, vocabulary: Vocabulary, taken: set[str]
) -> Iterator[SyntheticStrategy]:
    rng = random.Random(seed)
    counts = jurisdiction_counts(vocabulary.jurisdictions, total, rng)
    today = timezone.now()
    languages, language_weights = zip(*LANGUAGES, strict=True)
    for code, count in counts.items():
        number = MAX_NUMBER
        for _ in range(count):
            while f"{code}{number:04d}s" in taken:
                number -= 1
            strategy_id = f"{code}{number:04d}s"
            number -= 1
            crime_types = _sample(
                rng, vocabulary.crime_types, [1.0] * len(vocabulary.crime_types),
                min(len(vocabulary.crime_types), max(1, int(rng.triangular(1, 12, 3)))),
            )  # fmt: skip
            year = int(rng.triangular(1995, 2026, 2021))
            start = datetime.date(year, 1, 1)
            adoption_date = start + datetime.timedelta(days=rng.randrange(365))
            title = rng.choice(TITLE_PATTERNS).format(
                topic=crime_types[0][1],
                start=year,
                end=year + rng.randint(2, 5),
                adjective=rng.choice(ADJECTIVES),
            )
            yield SyntheticStrategy(
                strategy=Strategy(
                    strategy_id=strategy_id,
                    title=title,
                    jurisdiction_id=code,
                    adoption_date=adoption_date,
                    language=rng.choices(languages, language_weights)[0],
                    summary=_summary(rng, vocabulary),
                    status=Status.PUBLISHED if rng.random() < 0.97 else Status.DRAFT,
                    synthetic=True,
                    created_at=today,
                    updated_at=today,
                ),
                crime_types=[pk for pk, _name in crime_types],
                articles=_sample(
                    rng,
                    vocabulary.articles,
                    vocabulary.article_weights,
                    int(rng.triangular(3, 25, 8)),
                ),  # fmt: skip
                issues=_sample(
                    rng,
                    vocabulary.leaves,
                    vocabulary.leaf_weights,
                    min(len(vocabulary.leaves), int(rng.triangular(5, 40, 12))),
                ),  # fmt: skip
            )


# The same weighted vector as the trigger of migration 0008 computes.
SEARCH_VECTOR = (
    "setweight(to_tsvector('english', COALESCE(title, '')), 'A') || "
    "setweight(to_tsvector('english', regexp_replace(COALESCE(summary, ''), '<[^>]+>', ' ', 'g')), "
    "'B')"
)

THROUGH_TABLES = {
    "crime_types": (Strategy.crime_types.through, "crimetype_id"),
    "articles": (Strategy.articles.through, "article_id"),
    "issues": (Strategy.cross_cutting_issues.through, "crosscuttingissue_id"),
}


def _insert_tags(rows: dict[str, list[tuple[int, int]]]) -> None:
    for name, (through, column) in THROUGH_TABLES.items():
        if connection.vendor == "postgresql":
            table = through._meta.db_table
            sql = f'COPY "{table}" ("strategy_id", "{column}") FROM STDIN'
            with connection.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows[name]:
                    copy.write_row(row)
        else:
            through.objects.bulk_create(
                [through(strategy_id=s, **{column: v}) for s, v in rows[name]], batch_size=5000
            )


def generate(total: int, seed: int, progress: Callable[[int], None] = lambda n: None) -> int:
    """Create `total` synthetic strategies; returns how many were created."""
    vocabulary = Vocabulary.from_database()
    # Deleted strategies keep their IDs (a restore gives them back).
    taken = set(Strategy.all_objects.values_list("strategy_id", flat=True))
    batch: list[SyntheticStrategy] = []
    created = 0

    def flush() -> None:
        nonlocal created
        with transaction.atomic():
            Strategy.objects.bulk_create([item.strategy for item in batch], batch_size=BATCH)
            rows: dict[str, list[tuple[int, int]]] = {name: [] for name in THROUGH_TABLES}
            for item in batch:
                pk = item.strategy.pk
                rows["crime_types"].extend((pk, value) for value in item.crime_types)
                rows["articles"].extend((pk, value) for value in item.articles)
                rows["issues"].extend((pk, value) for value in item.issues)
            _insert_tags(rows)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE strategies_strategy SET search_vector = {SEARCH_VECTOR} "
                        "WHERE id = ANY(%s)",
                        [[item.strategy.pk for item in batch]],
                    )
        created += len(batch)
        progress(len(batch))
        batch.clear()

    postgresql = connection.vendor == "postgresql"
    if postgresql:
        # Word vectors are filled per batch with one UPDATE rather than row by row (0008).
        with connection.cursor() as cursor:
            cursor.execute("SET strategies.defer_search_vector = 'on'")
    try:
        for item in synthetic_strategies(total, seed, vocabulary, taken):
            batch.append(item)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    finally:
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("RESET strategies.defer_search_vector")
    if postgresql:
        # Fresh statistics, or the planner keeps planning for the empty tables it last saw.
        with connection.cursor() as cursor:
            for table in [
                "strategies_strategy",
                *(t._meta.db_table for t, _c in THROUGH_TABLES.values()),
            ]:
                cursor.execute(f'ANALYZE "{table}"')
    return created


def remove_synthetic() -> int:
    """Delete every synthetic strategy and its tags; real records are untouched."""
    synthetic = Strategy.all_objects.filter(synthetic=True)
    with transaction.atomic():
        Attachment.objects.filter(strategy__synthetic=True).delete()
        for through, _column in THROUGH_TABLES.values():
            through.objects.filter(strategy__synthetic=True)._raw_delete(connection.alias)
        count = synthetic.count()
        synthetic._raw_delete(connection.alias)
    return count
