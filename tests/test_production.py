"""The production profile: safe settings, security headers, cache and read-replica routing."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from sherlock import routers

PROJECT = Path(__file__).resolve().parents[1]


def manage(*args, **env):
    # Not the test-run settings pytest-env put in the environment.
    test_only = {"DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "STATICFILES_MANIFEST"}
    clean = {k: v for k, v in os.environ.items() if k not in test_only}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**extra):
    return {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "catalogue.example.org", **extra}  # fmt: skip


def test_production_refuses_to_start_without_a_real_secret_key():
    missing = manage("check", DEBUG="0")
    assert missing.returncode != 0 and "SECRET_KEY is not set" in missing.stderr
    weak = manage("check", DEBUG="0", SECRET_KEY="django-insecure-abc")
    assert weak.returncode != 0 and "too weak" in weak.stderr


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    # On a database not yet migrated, as in a deployment pipeline before `migrate`.
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **production_env(DATABASE_URL=empty)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_an_empty_database_url_means_the_default_sqlite_file():
    script = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    result = manage("shell", "-c", script, **production_env(DATABASE_URL=""))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == str(PROJECT / "db.sqlite3")


def test_cache_goes_to_redis_when_redis_url_is_set():
    script = (
        "from django.core.cache import cache; from django.conf import settings;"
        "cache.set('sherlock-test', 42, 5);"
        "print(settings.CACHES['default']['BACKEND'], cache.get('sherlock-test'))"
    )
    result = manage("shell", "-c", script, **production_env(REDIS_URL="redis://127.0.0.1:6379/15"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["django.core.cache.backends.redis.RedisCache", "42"]


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get("/strategies/")
    csp = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_public_reads_go_to_the_replica_and_everything_else_to_the_primary(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}
    router = routers.PrimaryReplicaRouter()
    seen = {}

    def view(request):
        seen[request.path, request.method] = router.db_for_read(None)
        return None

    middleware = routers.ReplicaReadsMiddleware(view)
    factory = RequestFactory()
    middleware(factory.get("/strategies/"))
    middleware(factory.get("/admin/strategies/strategy/"))
    middleware(factory.post("/api/v1/strategies/"))
    assert seen == {
        ("/strategies/", "GET"): "replica",
        ("/admin/strategies/strategy/", "GET"): "default",
        ("/api/v1/strategies/", "POST"): "default",
    }
    # Outside a request (commands, imports) reads stay on the primary; writes always do.
    assert router.db_for_read(None) == "default"
    assert router.db_for_write(None) == "default"
