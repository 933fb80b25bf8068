"""Admin sign-in: repeated failures lock out one username from one address, and sessions end."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parents[1]
LOGIN = reverse("admin:login")
OFFICE = "81.2.69.160"  # an address a whole office may share
ELSEWHERE = "177.139.233.139"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def editors():
    for name in ("edith", "ed"):
        User.objects.create_user(name, password=PASSWORD, is_staff=True)


def sign_in(client, username, password, address=OFFICE):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def fail(client, times, username="edith", address=OFFICE):
    return [sign_in(client, username, "wrong", address).status_code for _ in range(times)]


def test_the_settings_lock_out_username_and_address_together():
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_five_failures_lock_the_username_out_from_that_address(client, editors):
    # Four failures show the sign-in form again; the fifth locks.
    assert fail(client, 5) == [200, 200, 200, 200, 429]
    locked = sign_in(client, "edith", PASSWORD)  # even the right password, now
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    page = locked.content.decode()
    assert "Sign-in locked" in page
    assert "“edith”" in page
    assert "Try again in 30 minutes" in page


def test_a_lockout_keeps_other_editors_and_other_places_signing_in(client, editors):
    fail(client, 5)
    # Another editor behind the same office address is not locked out...
    assert sign_in(client, "ed", PASSWORD).status_code == 302
    client.logout()
    # ...nor is the same editor from elsewhere.
    assert sign_in(client, "edith", PASSWORD, address=ELSEWHERE).status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, editors):
    fail(client, 5)
    assert sign_in(client, "edith", PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(minutes=1)
    )
    assert sign_in(client, "edith", PASSWORD).status_code == 302


def test_a_success_forgets_earlier_failures(client, editors):
    fail(client, 4)
    assert sign_in(client, "edith", PASSWORD).status_code == 302
    client.logout()
    assert fail(client, 4) == [200, 200, 200, 200]  # counting starts again


def test_a_session_ends_with_the_browser_and_after_eight_hours(client, editors):
    response = sign_in(client, "edith", PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    session = Session.objects.get(session_key=cookie.value)
    left = session.expire_date - timezone.now()
    assert datetime.timedelta(hours=7, minutes=59) < left <= datetime.timedelta(hours=8)


PROBE = """
import json
import django
django.setup()
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

cases = json.loads(CASES)
seen = []
for meta in cases:
    request = RequestFactory().post("/admin/login/", **meta)
    seen.append([get_client_ip_address(request), BaseThrottle().get_ident(Request(request))])
print(json.dumps({
    "seen": seen,
    "limit": settings.AXES_FAILURE_LIMIT,
    "cooloff": settings.AXES_COOLOFF_TIME.total_seconds(),
    "session": settings.SESSION_COOKIE_AGE,
}))
"""


def probe(cases: list[dict], **env) -> dict:
    script = PROBE.replace("CASES", repr(json.dumps(cases)))
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "sherlock.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("proxies", "cases"),
    [
        (
            0,
            [
                ({"REMOTE_ADDR": OFFICE}, OFFICE),
                ({"REMOTE_ADDR": OFFICE, "HTTP_X_FORWARDED_FOR": ELSEWHERE}, OFFICE),
            ],
        ),
        (
            1,
            [
                ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": OFFICE}, OFFICE),
                # A client that writes its own X-Forwarded-For does not choose its address.
                (
                    {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": f"{ELSEWHERE}, {OFFICE}"},
                    OFFICE,
                ),
                (
                    {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": f"not-an-ip, {OFFICE}"},
                    OFFICE,
                ),
                (
                    {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "192.168.1.20"},
                    "192.168.1.20",
                ),
            ],
        ),
        (
            2,
            [
                (
                    {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": f"{OFFICE}, 10.0.0.1"},
                    OFFICE,
                ),
                (
                    {
                        "REMOTE_ADDR": "10.0.0.2",
                        "HTTP_X_FORWARDED_FOR": f"{ELSEWHERE}, {OFFICE}, 10.0.0.1",
                    },
                    OFFICE,
                ),
            ],
        ),
    ],
)
def test_lockouts_key_on_the_address_the_api_throttles_by(proxies, cases):
    seen = probe([meta for meta, _expected in cases], TRUSTED_PROXY_COUNT=str(proxies))["seen"]
    for (axes_address, api_address), (meta, expected) in zip(seen, cases, strict=True):
        assert axes_address == api_address == expected, meta


def test_limits_come_from_the_environment():
    found = probe([], LOGIN_FAILURE_LIMIT="3", LOGIN_COOLOFF_MINUTES="10", SESSION_COOKIE_AGE="60")
    assert (found["limit"], found["cooloff"], found["session"]) == (3, 600, 60)
