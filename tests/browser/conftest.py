"""Fixtures for the browser tests: Debian's Chromium, driven by Playwright, against the live server.

The live server is pytest-django's: a thread of this process serving the test database. Its tests
are transactional (the database is flushed after each), so each test puts back the vocabularies
(copied once) and builds the small catalogue of catalogue.py itself. The autouse
`fresh_facet_index` (tests/conftest.py) makes the server thread's search index start from that
catalogue too, since the index lives in this process.

Chromium is never downloaded: the tests drive /usr/bin/chromium from Debian's `chromium` package
and fail, never skip, when it is missing, so that CI cannot pass without having run them.
"""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .catalogue import VocabularyCopy, build_catalogue

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium phones home at start, and this machine's closed network refuses it.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="package", autouse=True)
def _database_calls_beside_playwright():
    """Let this thread use the database while Playwright runs.

    Playwright's sync API leaves its asyncio loop marked as running in this thread between calls,
    so Django takes the tests' synchronous database work (building the catalogue, the flush after
    each test) for calls from async code and refuses it. Only these tests need the exemption: the
    live server's thread never sees the loop, and the browser is closed before the rest of the
    suite runs (package scope, here and for `browser`).
    """
    with mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}):
        yield


@pytest.fixture(scope="package")
def browser() -> Browser:
    """Chromium, launched once for all the browser tests."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing, so the browser tests cannot run. Install Debian's Chromium "
            "(apt-get update && apt-get install -y chromium); `playwright install` does not work "
            "here.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def vocabularies(django_db_setup, django_db_blocker) -> VocabularyCopy:
    with django_db_blocker.unblock():
        return VocabularyCopy.take()


@pytest.fixture
def catalogue(live_server, vocabularies) -> str:
    """The live server's URL, serving the catalogue of catalogue.py."""
    build_catalogue(vocabularies)
    return live_server.url


def _new_tab(browser: Browser, base_url: str, viewport: dict) -> Page:
    context = browser.new_context(base_url=base_url, viewport=viewport, locale="en-GB")
    # The local server answers in milliseconds: fail fast rather than after Playwright's 30 s.
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def page(browser, catalogue) -> Page:
    """A fresh tab (its own cookies and downloads) at a desktop width."""
    page = _new_tab(browser, catalogue, WIDE)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser, catalogue) -> Page:
    """A fresh tab at a small phone's width."""
    page = _new_tab(browser, catalogue, PHONE)
    yield page
    page.context.close()
