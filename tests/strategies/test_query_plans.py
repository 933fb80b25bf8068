"""Word searches read the strategies through the indexes, whatever the planner's statistics say."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from strategies.search import StrategyQuery, StrategySearch, through_indexes
from tests.conftest import postgresql_only

from .factories import make_strategy

pytestmark = [
    pytest.mark.django_db,
    postgresql_only("the planner settings are PostgreSQL's"),
]

MATCH = (
    "SELECT id FROM strategies_strategy "
    "WHERE search_vector @@ websearch_to_tsquery('english', 'laundering')"
)


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def table_scans() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        return cursor.fetchone()[0]


@pytest.fixture
def catalogue(db, settings):
    settings.SEARCH_ENGINE = "index"
    make_strategy("GBR0001s", title="Economic Crime Plan", status="published",
                  summary="<p>Money laundering and organised fraud.</p>")  # fmt: skip
    # The planner is made to find reading through an index dear, as it does when the table looks
    # small: however large the table has grown in earlier tests (rolled-back rows leave its pages
    # behind), left to itself the planner reads the whole table. For the test's transaction only.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL random_page_cost = 10000")


def test_the_block_reads_through_the_full_text_index_where_a_table_scan_looks_cheaper(catalogue):
    # Left to itself the planner reads the table (and so every word vector).
    assert "Seq Scan" in plan(MATCH)
    with through_indexes(connection.alias):
        assert "strategy_search_vector" in plan(MATCH)
    assert "Seq Scan" in plan(MATCH)
    assert table_scans() == "on"


def test_a_word_search_collects_its_matches_in_the_block(catalogue):
    with CaptureQueriesContext(connection) as queries:
        counts = StrategySearch(StrategyQuery(text="laundering")).facet_counts(["jurisdiction"])
    assert counts["jurisdiction"] == {"GBR": 1}
    statements = [query["sql"] for query in queries]
    match = next(n for n, sql in enumerate(statements) if "@@" in sql)
    assert "set_config('enable_seqscan', 'off', true)" in statements[match - 1]
    assert "set_config('enable_seqscan', 'on', true)" in statements[match + 1]
    assert table_scans() == "on"


def test_the_setting_ends_with_the_block_inside_a_longer_transaction(catalogue):
    with transaction.atomic():
        with through_indexes(connection.alias):
            assert table_scans() == "off"
        assert table_scans() == "on"
        assert "Seq Scan" in plan(MATCH)


def test_a_failure_in_the_block_is_raised_and_leaves_the_setting_as_it_was(catalogue):
    with (
        pytest.raises(DatabaseError, match="division by zero"),
        transaction.atomic(),
        through_indexes(connection.alias),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1 / 0")
    assert table_scans() == "on"
