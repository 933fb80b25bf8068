"""Phrase searches narrowed by the phrase keys (pairs of words side by side and two positions
apart) find exactly what the word vectors find."""

import random

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from strategies.models import PHRASE_KEYS, Status, Strategy
from strategies.phrases import (
    PAIR_SEPARATORS,
    AllOf,
    AnyOf,
    Followed,
    Not,
    PhraseKeys,
    TsqueryParseError,
    Word,
    parse_tsquery,
    phrase_keys,
    tsquery_literal,
)
from strategies.search import TEXT_SEARCH_CONFIG, StrategyQuery, StrategySearch
from strategies.services import (
    SHARED_VECTORS_FROM,
    StrategyData,
    WordVectors,
    save_strategies,
    save_strategy,
)
from tests.conftest import postgresql_only

from .factories import make_strategy

# -- reading PostgreSQL's tsquery text -----------------------------------------------------------


def test_a_query_is_read_with_postgresqls_precedence():
    node = parse_tsquery("'joint' <-> 'investig' & !'extradit' | 'money' <-> 'launder'")
    joint, investig, extradit, money, launder = (
        Word(text, plain=True) for text in ("joint", "investig", "extradit", "money", "launder")
    )
    assert node == AnyOf(
        (
            AllOf((Followed(joint, 1, investig), Not(extradit))),
            Followed(money, 1, launder),
        )
    )


def test_distances_marks_parentheses_and_quoting_are_read():
    node = parse_tsquery("'o''brien' <2> 'back\\\\slash':* & !( 'a':AB | 'b' )")
    assert node == AllOf(
        (
            Followed(Word("o'brien", True), 2, Word("back\\slash", False)),
            Not(AnyOf((Word("a", False), Word("b", True)))),
        )
    )
    assert parse_tsquery("") is None
    assert parse_tsquery("  ") is None


@pytest.mark.parametrize("text", ["'a' &", "( 'a'", "'a' 'b'", "'unclosed", "& 'a'"])
def test_what_is_not_a_query_is_refused(text):
    with pytest.raises(TsqueryParseError):
        parse_tsquery(text)


def test_words_are_quoted_back_as_tsquery_input():
    assert tsquery_literal(["extradit", "o'brien", "a\\b"]) == "'extradit' & 'o''brien' & 'a\\\\b'"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Two-word phrases and single words: the keys answer them exactly.
        ("'joint' <-> 'investig'", PhraseKeys(("joint investig",), exact=True)),
        (
            "'money' <-> 'launder' & 'extradit' & 'joint' <-> 'investig'",
            PhraseKeys(("money launder", "joint investig"), exact=True, words="'extradit'"),
        ),
        # Longer phrases: every adjacent pair narrows, the vectors decide.
        ("'mutual' <-> 'legal' <-> 'assist'", PhraseKeys(("mutual legal", "legal assist"))),
        (
            "'cross-bord' <-> 'cross' <-> 'border' & 'crime'",
            PhraseKeys(("cross-bord cross", "cross border")),
        ),
        # A stop word between: a pair two positions apart, as exact as one side by side.
        ("'traffick' <2> 'person'", PhraseKeys(("traffick _ person",), exact=True)),
        (
            "'traffick' <2> 'person' & 'extradit'",
            PhraseKeys(("traffick _ person",), exact=True, words="'extradit'"),
        ),
        ("'smuggl' <2> 'migrant' <-> 'land'", PhraseKeys(("smuggl _ migrant", "migrant land"))),
        ("'traffick' <2> 'person' & 'extradit' & !'crime'", PhraseKeys(("traffick _ person",))),
        # Two stop words between, or the phrase one of several: neither narrows.
        ("'proceed' <3> 'crime'", PhraseKeys()),
        ("'traffick' <2> 'person' | 'crime'", PhraseKeys()),
        # What is excluded, or one of several, does not narrow; what is required still does.
        ("'joint' <-> 'investig' & !'extradit'", PhraseKeys(("joint investig",))),
        ("'joint' <-> 'investig' & !( 'money' <-> 'launder' )", PhraseKeys(("joint investig",))),
        ("'joint' <-> 'investig' | 'money' <-> 'launder'", PhraseKeys()),
        ("'extradit' & 'crime'", PhraseKeys()),
        ("'joint':* <-> 'investig'", PhraseKeys()),
        ("", PhraseKeys()),
    ],
)
def test_what_a_query_needs_of_the_keys(query, expected):
    assert phrase_keys(query) == expected


# -- against the database ------------------------------------------------------------------------

# Few words, so that phrases made at random are found often, and stop words among them.
WORDS = [
    "joint", "investigations", "money", "laundering", "witness", "protection", "border",
    "police", "cooperation", "trafficking", "persons", "smuggling", "migrants",
    "in", "of", "the", "and",
]  # fmt: skip
STOP_WORDS = ["in", "of", "the", "and"]


def random_summary(rng: random.Random) -> str:
    return "<p>" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40))) + ".</p>"


def random_records(rng: random.Random, jurisdiction: str, numbers: range) -> list[StrategyData]:
    return [
        StrategyData(
            strategy_id=f"{jurisdiction}{number:04d}s",
            title="Plan",
            jurisdiction=jurisdiction,
            status="published",
            summary=random_summary(rng),
        )
        for number in numbers
    ]


def random_queries(rng: random.Random, summaries: list[str], count: int) -> list[str]:
    def phrase(length):
        if rng.random() < 0.6:  # taken from a summary: it matches something
            words = rng.choice(summaries)[3:-5].split()
            start = rng.randrange(max(1, len(words) - length + 1))
            return '"' + " ".join(words[start : start + length]) + '"'
        return '"' + " ".join(rng.choice(WORDS) for _ in range(length)) + '"'

    def with_stop_word():
        content = [word for word in WORDS if word not in STOP_WORDS]
        return f'"{rng.choice(content)} {rng.choice(STOP_WORDS)} {rng.choice(content)}"'

    forms = [
        lambda: phrase(2),
        lambda: phrase(3),
        with_stop_word,
        lambda: f"{with_stop_word()} {rng.choice(WORDS)}",
        lambda: f"{with_stop_word()} {phrase(2)}",
        lambda: f"{phrase(2)} {rng.choice(WORDS)}",
        lambda: f"{phrase(2)} {phrase(2)}",
        lambda: f"{phrase(2)} -{rng.choice(WORDS)}",
        lambda: f"{phrase(2)} or {rng.choice(WORDS)}",
        lambda: f"{rng.choice(WORDS)}-{rng.choice(WORDS)}",
    ]
    return [rng.choice(forms)() for _ in range(count)]


def by_vectors(text: str, include_drafts: bool) -> set[str]:
    """The strategies matching `text` by their word vectors alone, without the keys."""
    strategies = Strategy.objects.filter(
        search_vector=SearchQuery(text, search_type="websearch", config=TEXT_SEARCH_CONFIG)
    )
    if not include_drafts:
        strategies = strategies.filter(status=Status.PUBLISHED)
    return set(strategies.values_list("strategy_id", flat=True))


def assert_keys_find_what_vectors_find(rng: random.Random, count: int) -> int:
    """Random phrase searches through both engines against the vectors alone; returns how many
    of them matched something."""
    summaries = list(Strategy.objects.values_list("summary", flat=True))
    matched = 0
    for text in random_queries(rng, summaries, count):
        for include_drafts in (False, True):
            matched += bool(assert_search_finds_what_vectors_find(text, include_drafts))
    return matched


def assert_search_finds_what_vectors_find(text: str, include_drafts: bool) -> set[str]:
    """A search for `text` through both engines finds what the word vectors alone find (or, when
    they find nothing, offers similar title words instead); returns what they find."""
    expected = by_vectors(text, include_drafts)
    for engine in ("index", "sql"):
        search = StrategySearch(
            StrategyQuery(text=text), include_drafts=include_drafts, engine=engine
        )
        assert search.fuzzy == (not expected), (text, include_drafts, engine)
        if search.fuzzy:
            continue
        found = {strategy.strategy_id for strategy in search.results()[:1000]}
        assert found == expected, (text, include_drafts, engine)
        assert search.results().count() == len(expected)
    return expected


def keys_out_of_step() -> list[str]:
    """The strategies whose phrase keys are not those of their word vector."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT strategy_id FROM strategies_strategy WHERE phrase_keys IS DISTINCT FROM "
            f"{PHRASE_KEYS.format(vector='search_vector')}"
        )
        return [strategy_id for (strategy_id,) in cursor.fetchall()]


@pytest.fixture
def random_catalogue(db):
    rng = random.Random(20261129)
    for number in range(1, 41):
        make_strategy(
            f"GBR{number:04d}s",
            title=" ".join(rng.choice(WORDS) for _ in range(4)),
            summary=random_summary(rng),
            status=rng.choice([Status.PUBLISHED, Status.PUBLISHED, Status.DRAFT]),
        )
    return rng


@postgresql_only("the phrase keys are PostgreSQL's")
def test_phrase_searches_find_exactly_what_the_word_vectors_find(random_catalogue):
    assert not keys_out_of_step()
    assert assert_keys_find_what_vectors_find(random_catalogue, 60) > 30


@postgresql_only("the phrase keys are PostgreSQL's")
def test_keys_follow_every_kind_of_write(random_catalogue, settings):
    rng = random_catalogue
    settings.SEARCH_ENGINE = "index"

    def found(text):
        return {s.strategy_id for s in StrategySearch(StrategyQuery(text=text)).results()}

    # One record saved (the trigger keeps its keys), then saved again with other words.
    make_strategy("GBR0001s", summary="<p>Plans of the lighthouse keepers.</p>", status="published")
    assert found('"lighthouse keepers"') == {"GBR0001s"}
    make_strategy("GBR0001s", summary="<p>Keepers of the lighthouse.</p>", status="published")
    assert not StrategySearch(StrategyQuery(text='"lighthouse keepers"')).results().count()
    assert found('"keepers of the lighthouse"') == {"GBR0001s"}
    # A batch large enough for a second database session to compute vectors and keys.
    batch = random_records(rng, "FRA", range(1, SHARED_VECTORS_FROM + 11))
    with WordVectors() as vectors:
        prepared = vectors.prepare(batch)
        assert prepared.ids  # the second session computes these
        save_strategies(batch, prepared=prepared)
    # Existing records rewritten by a batch, and a save that leaves the words alone.
    rewritten = random_records(rng, "GBR", range(2, SHARED_VECTORS_FROM + 12))
    with WordVectors() as vectors:
        save_strategies(rewritten, prepared=vectors.prepare(rewritten))
    strategy = Strategy.objects.get(strategy_id="GBR0030s")
    save_strategy(
        StrategyData(
            strategy_id=strategy.strategy_id,
            title=strategy.title,
            jurisdiction="GBR",
            status=Status.PUBLISHED,
            summary=strategy.summary,
        )
    )
    assert not keys_out_of_step()
    assert assert_keys_find_what_vectors_find(rng, 40) > 20


def matching_sql(text: str) -> str:
    """The statement that collects the strategies matching `text` through the phrase keys."""
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    search = StrategySearch(StrategyQuery(text=text), engine="sql")
    with connection.execute_wrapper(wrapper):
        list(search._text_matches(fuzzy=False).values_list("pk", flat=True))
    (matching,) = [sql for sql in seen if "@>" in sql]
    return matching


@postgresql_only("the phrase keys are PostgreSQL's")
def test_a_two_word_phrase_is_answered_without_reading_a_word_vector(random_catalogue):
    assert "@@" not in matching_sql('"money laundering"')  # the keys alone: no vector is tested
    assert phrase_keys("'money' <-> 'launder'").exact


@postgresql_only("the phrase keys are PostgreSQL's")
def test_the_keys_are_the_pairs_side_by_side_and_two_apart(random_catalogue):
    # The pairs read off each vector here, as PostgreSQL's phrase operators see them: words at
    # positions p and p + 1, and at p and p + 2 (whatever stands between).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.strategy_id, w.lexeme, w.positions "
            "FROM strategies_strategy s, unnest(s.search_vector) w"
        )
        at: dict[str, dict[int, list[str]]] = {}
        for strategy_id, lexeme, positions in cursor.fetchall():
            for position in positions:
                at.setdefault(strategy_id, {}).setdefault(position, []).append(lexeme)
    expected: dict[str, set[str]] = {}
    for strategy_id, words in at.items():
        expected[strategy_id] = {
            f"{first}{separator}{second}"
            for position, firsts in words.items()
            for apart, separator in PAIR_SEPARATORS.items()
            for first in firsts
            for second in words.get(position + apart, [])
        }
    assert sum(" _ " in pair for pairs in expected.values() for pair in pairs) > 100
    pairs = [(strategy_id, pair) for strategy_id, held in expected.items() for pair in held]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.strategy_id, "
            "array_agg(DISTINCT hashtextextended(e.pair, 0)) = ("
            "SELECT array_agg(DISTINCT k) FROM unnest(s.phrase_keys) AS k) "
            "FROM unnest(%s::text[], %s::text[]) AS e(strategy_id, pair) "
            "JOIN strategies_strategy s USING (strategy_id) GROUP BY s.strategy_id, s.phrase_keys",
            [[p[0] for p in pairs], [p[1] for p in pairs]],
        )
        same = dict(cursor.fetchall())
    assert same.keys() == expected.keys()
    assert all(same.values())  # every key is a pair's, and every pair has its key


@postgresql_only("the phrase keys are PostgreSQL's")
def test_a_phrase_with_a_stop_word_is_answered_without_reading_a_word_vector(random_catalogue):
    text = '"trafficking in persons"'
    assert "@@" not in matching_sql(text)  # the keys alone: no vector is tested
    assert assert_search_finds_what_vectors_find(text, include_drafts=True)


@postgresql_only("PostgreSQL writes the queries")
@pytest.mark.parametrize(
    "text",
    [
        "\"o'brien's back\\\\slash plan\"",
        '"joint investigations" or -"money laundering" (extradition)',
        '"""" - or or "',
        "UNTOC-11 cross-border e-mail@example.org http://example.org/a-b",
        '"trafficking in persons" "smuggling of migrants by land"',
        "«traite des êtres humains» «наркотики» 人口贩运",
    ],
)
def test_every_query_postgresql_writes_out_is_read(random_catalogue, text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery('english', %s)::text", [text])
        query = cursor.fetchone()[0]
    phrase_keys(query)  # raises TsqueryParseError on anything it cannot read
    assert StrategySearch(StrategyQuery(text=text))._phrase_keys == phrase_keys(query)
    assert_search_finds_what_vectors_find(text, include_drafts=True)
