from pathlib import Path

import pytest

from taxonomy.loading import load_vocabularies

PROJECT = Path(__file__).resolve().parents[1]
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
