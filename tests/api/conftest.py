"""Fixtures for the API tests: a client, a small catalogue with known counts, and editors."""

import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.strategies.factories import make_strategy

D = datetime.date


@pytest.fixture(autouse=True)
def generous_throttling(settings):
    """Generous rates and empty throttle counters, so that only the throttling tests meet a 429;
    and English again after each test (an API request leaves its language active)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "export": "100000/min"},
    }
    cache.clear()
    yield settings
    cache.clear()
    translation.activate("en")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def catalogue(db):
    """Six published strategies and a draft, with counts worked out by hand in the tests."""
    make_strategy(
        "GBR0001s",
        title="Serious and Organised Crime Strategy",
        status="published",
        adoption_date=D(2018, 11, 1),
        crime_types=["drugs", "corruption"],
        articles=["UNTOC-5", "UNTOC-11"],
        cross_cutting_issues=[
            "prevention/risk-factors",
            "investigation/measures/identify-trace-freeze-seize",
        ],
        summary="<p>Disrupt networks and seize criminal finances.</p>",
    )
    make_strategy(
        "GBR0002s",
        title="Economic Crime Plan",
        status="published",
        adoption_date=D(2020, 3, 1),
        crime_types=["drugs", "money-laundering"],
        articles=["UNTOC-11", "UNTOC-7"],
        cross_cutting_issues=[
            "investigation/measures/access-to-financial-records",
            "investigation/measures/identify-trace-freeze-seize",
        ],
        summary="<p>Money laundering and organised fraud.</p>",
    )
    make_strategy(
        "FRA0001s",
        title="Stratégie nationale contre la cybercriminalité",
        status="published",
        adoption_date=D(2020, 6, 1),
        language="fr",
        crime_types=["corruption", "cybercrime"],
        articles=["UNTOC-5", "TIP-9"],
        cross_cutting_issues=["prevention/awareness-raising"],
    )
    make_strategy(
        "ZAF0001s",
        title="National Firearms Strategy",
        status="published",
        adoption_date=D(2019, 1, 1),
        crime_types=["firearms"],
        articles=["FAP-5"],
        cross_cutting_issues=["victims/victims-of-crime/rights/assistance-and-protection"],
    )
    make_strategy(
        "DEU0001s",
        title="Firearms and Organised Crime Action Plan",
        status="published",
        adoption_date=D(2020, 9, 1),
        crime_types=["firearms", "drugs"],
        articles=["FAP-5", "UNTOC-5"],
        cross_cutting_issues=["prevention/risk-factors"],
    )
    make_strategy(
        "SADC0001s", title="Regional Drug Strategy", status="published", crime_types=["drugs"]
    )
    make_strategy(  # a draft: only editors see it
        "GBR0003s",
        title="Draft Organised Crime Strategy",
        status="draft",
        adoption_date=D(2021, 1, 1),
        crime_types=["drugs", "firearms"],
        articles=["UNTOC-5"],
        cross_cutting_issues=["prevention/risk-factors"],
    )


@pytest.fixture
def token_client(db):
    """Makes clients signed in with a token of a new user holding the given permissions."""

    def make(username: str, *permissions: str) -> APIClient:
        user = User.objects.create_user(username, password="not-used-by-tokens")
        user.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="strategies", codename__in=permissions
            )
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return client

    return make


@pytest.fixture
def editor(token_client) -> APIClient:
    """A client whose user may add, change and publish strategies (a reviewer, in the admin's
    groups; tests/strategies/test_publishing.py has editors who may not publish)."""
    return token_client("editor", "add_strategy", "change_strategy", "publish_strategy")


@pytest.fixture
def reader(token_client) -> APIClient:
    """A client with a valid token but no permission on strategies."""
    return token_client("reader")
