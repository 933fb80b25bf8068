from pathlib import Path

import pytest

from taxonomy.loading import load_vocabularies

PROJECT = Path(__file__).resolve().parents[1]


def postgresql_only(reason: str):
    """Mark a test of something only PostgreSQL has; CI's PostgreSQL pass runs it."""
    from django.db import connection

    return pytest.mark.skipif(connection.vendor != "postgresql", reason=reason)


SAMPLE_PAGE = PROJECT / "fixtures" / "samples" / "GBR0007s.txt"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the vocabularies once into the test database; each test's rollback keeps them.

    Tests that flush the database (transaction=True) must reload them themselves.
    """
    with django_db_blocker.unblock():
        load_vocabularies()


@pytest.fixture
def sample_page_bytes() -> bytes:
    return SAMPLE_PAGE.read_bytes()


@pytest.fixture(autouse=True)
def fresh_facet_index():
    """Each test starts without a cached facet index: a test's rollback can leave the database
    as it was while the catalogue version has moved on (PostgreSQL sequences are not rolled
    back), so an index cached by an earlier test could otherwise look current."""
    from strategies.facet_index import forget_index
    from strategies.vocabularies import forget_vocabularies

    forget_index()
    forget_vocabularies()
    yield
    forget_index()
    forget_vocabularies()


@pytest.fixture(autouse=True)
def word_searches_not_shared(settings):
    """Word searches are not shared through the cache unless a test says so, whatever REDIS_URL
    the environment sets (it turns sharing on): the matches another test stored there belong
    to rows its rollback took away, under catalogue versions the sequence does not give back."""
    settings.SHARE_WORD_SEARCHES = False


@pytest.fixture(autouse=True)
def english():
    """Each test starts in English: a request to /ar/… leaves Arabic active in its thread."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def catalogue_version_moves_in_tests(request):
    """On PostgreSQL the catalogue version moves when a transaction commits (migration 0011),
    and a test in a transaction never commits: its writes move the version at the end of each
    statement instead, as they would have at commit. Tests that commit (transactional ones) keep
    the real behaviour."""
    marker = request.node.get_closest_marker("django_db")
    if "db" in request.fixturenames:
        request.getfixturevalue("db")
    elif marker is None:
        return
    from django.db import connection

    # Tests that commit run outside a transaction here; the others are inside their own.
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS catalogue_version_at_commit IMMEDIATE")
