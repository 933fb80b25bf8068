#!/usr/bin/env python
"""Benchmark the catalogue's search against plain SQL and the Django admin, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sherlock_bench \\
        .venv/bin/python bench/run.py --strategies 100000

It fills the database with synthetic strategies up to --strategies (generate_strategies), then
times, server-side and in-process (Django's test client: no network, no browser), a fixed mix
of search-page and API requests, the strategy page, the API detail and a 10,000-row export. Each
listing request is also answered (a) with plain SQL GROUP BY facet queries and (b) by a Django
admin change list with its facet counts shown, for the same filters, in the same run; the table
gives medians, 95th percentiles and the ratios. Then: facet index build time and size, peak
memory, export memory growth, and import rates. --verbose prints EXPLAIN ANALYZE of the main
queries. With REDIS_URL (a Redis database for the benchmark alone: it is emptied), word searches
are also timed as a worker meets words another worker searched (strategies/word_matches.py).
This is not a test: it prints figures, run it on purpose.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sherlock.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# In-process requests over plain HTTP, static files served from the source folders.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STATICFILES_MANIFEST", "0")
# The benchmark measures the server, not the throttle that protects it.
os.environ.setdefault("API_ANON_RATE", "1000000/min")
os.environ.setdefault("API_EXPORT_RATE", "1000000/min")

import warnings  # noqa: E402

import django  # noqa: E402

# whitenoise notes that STATIC_ROOT has not been collected; irrelevant here.
warnings.filterwarnings("ignore", message="No directory at")
django.setup()
# As a production worker does (sherlock/wsgi.py): once warm, its long-lived objects are frozen.
from sherlock.warmup import WARM_AFTER, freeze_when_warm  # noqa: E402

freeze_when_warm()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench.imports import measure_import_rates  # noqa: E402
from strategies.facet_index import current_index, forget_index  # noqa: E402
from strategies.filters import StrategyFilterSet  # noqa: E402
from strategies.models import Strategy  # noqa: E402
from strategies.search import (  # noqa: E402
    FACETS,
    StrategyQuery,
    StrategySearch,
    needs_positions,
    through_indexes,
)
from taxonomy.models import Article, CrimeType, CrossCuttingIssue  # noqa: E402

ALL_FACETS = ",".join(FACETS)
PAGE_SIZE = 20


def rss_peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    # Writing 5 resets the peak resident set size (VmHWM) on Linux.
    Path("/proc/self/clear_refs").write_text("5")


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def get(client: Client, url: str, status: int = 200) -> None:
    response = client.get(url)
    if response.status_code != status:
        raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    if response.streaming:
        for _chunk in response.streaming_content:
            pass


def listing_queries(top_jurisdictions: list[str]) -> list[tuple[str, str]]:
    first, second = top_jurisdictions[:2]
    return [
        ("no filter", ""),
        ("jurisdiction", f"jurisdiction={first}"),
        ("region", "region=150"),
        ("crime type", "crime_type=drugs"),
        ("article", "article=UNTOC-11"),
        ("issue subtree", "issue=investigation"),
        ("year range", "adopted_from=2015&adopted_to=2020"),
        ("2 facets", "crime_type=drugs&article=UNTOC-5"),
        ("3 facets", "region=002&crime_type=corruption&issue=prevention"),
        (
            "4 facets",
            f"jurisdiction={first}&jurisdiction={second}&crime_type=firearms"
            "&article=UNTOC-11&adopted_from=2010",
        ),
        ("2 subtrees", "issue=victims/victims-of-crime&issue=witnesses"),
        ("text, common", "q=extradition"),
        ("text, rarer (6% match)", "q=counterfeit"),
        ("text + 2 facets", "q=extradition&crime_type=drugs&region=142"),
        ("text, phrase", 'q="joint investigations"'),
        ("text, common phrase", 'q="money laundering"'),
        ("text, phrase with a stop word", 'q="trafficking in persons"'),
        ("text, misspelt", "q=firarms"),
        ("deep page", "page=200"),
    ]


def admin_params(query_string: str) -> str:
    """The same filters as Django admin list-filter parameters (one value per filter: the admin
    has no OR within a filter; regions and subtrees have no admin filter, leaves stand in)."""
    params = QueryDict(query_string)
    out = QueryDict(mutable=True)
    if "jurisdiction" in params:
        out["jurisdiction__code__exact"] = params["jurisdiction"]
    if "crime_type" in params:
        out["crime_types__id__exact"] = CrimeType.objects.get(slug=params["crime_type"]).pk
    if "article" in params:
        out["articles__id__exact"] = Article.objects.get(code=params["article"]).pk
    if "issue" in params:
        leaf = CrossCuttingIssue.objects.leaves().subtree(params["issue"]).first()
        out["cross_cutting_issues__id__exact"] = leaf.pk
    if "adopted_from" in params:
        out["adoption_date__gte"] = f"{params['adopted_from']}-01-01"
    if "adopted_to" in params:
        out["adoption_date__lte"] = f"{params['adopted_to']}-12-31"
    if "q" in params:
        out["q"] = params["q"].strip('"')
    if "page" in params:
        out["p"] = params["page"]
    return out.urlencode()


def parsed(query_string: str) -> StrategyQuery:
    """The query a request with this query string asks, parsed as the views parse it."""
    filterset = StrategyFilterSet(QueryDict(query_string))
    filterset.is_valid()
    return filterset.to_query()


def sql_baseline(query_string: str) -> None:
    """Baseline (a): the same answer from plain SQL GROUP BY facet queries and a SQL page."""
    params = QueryDict(query_string)
    search = StrategySearch(parsed(query_string), engine="sql")
    search.facet_counts(FACETS)
    results = search.results(snippets=True)  # the search page's rows, as the page has them
    results.count()
    page = int(params.get("page", 1))
    list(results[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])


def admin_baseline(admin_client: Client, url: str, options) -> list[float]:
    """Baseline (b), with each SQL statement cut off at --admin-timeout seconds: a request cut
    off counts as taking that long (so its ratio is a lower bound, marked with ">")."""
    limit_ms = options.admin_timeout * 1000
    times = []
    # Django logs a request whose query is cut off as a server error, with its traceback; here
    # that is the expected outcome, counted below, not something to print three times a row.
    request_log = logging.getLogger("django.request")
    with override_settings(ROOT_URLCONF="bench.baseline_admin"), _silenced(request_log):
        for _ in range(options.baseline_repeat):
            with connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {limit_ms}")
            started = time.perf_counter()
            try:
                get(admin_client, url)
                times.append((time.perf_counter() - started) * 1000)
            except OperationalError:
                times.append(float(limit_ms))
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("SET statement_timeout = 0")
    return times


@contextlib.contextmanager
def _silenced(logger: logging.Logger):
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def forget_words(shared_too: bool = True) -> None:
    """Empty the index's memory of recent word searches and, with SHARE_WORD_SEARCHES, the shared
    cache's (this benchmark's cache, or a Redis database of its own: the whole cache goes)."""
    current_index().forget_remembered()
    if shared_too and settings.SHARE_WORD_SEARCHES:
        cache.clear()


def print_row(label, ours, sql, admin, text: bool, options, warm=(), shared=()) -> None:
    budget = 150 if text else 50
    ok = "ok" if p95(ours) <= budget else "OVER"
    admin_p50 = statistics.median(admin) if admin else float("nan")
    cut = ">" if admin and admin_p50 >= options.admin_timeout * 1000 else " "
    ours_p50 = statistics.median(ours)
    sql_p50 = statistics.median(sql) if sql else float("nan")  # --baseline-repeat 0: none
    print(
        f"{label:<34}{ours_p50:>9.1f}{p95(ours):>8.1f}"
        f"{sql_p50:>10.1f}{sql_p50 / ours_p50:>7.1f}"
        f"{cut}{admin_p50:>10.0f}{cut}{admin_p50 / ours_p50:>7.0f}  ≤{budget} {ok}"
        + (f"  (same words again: p50 {statistics.median(warm):.1f})" if warm else "")
        + (f"  (another worker's words: p50 {statistics.median(shared):.1f})" if shared else ""),
        flush=True,
    )


def explain(label: str, queryset) -> None:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n    ".join(row[0] for row in cursor.fetchall())
    print(f"\n-- {label}\n    {plan}")


def measure_patch() -> str:
    """How long the next search waits for the index after an edit of one strategy elsewhere (the
    write rewrites a strategy's title as it is, so the catalogue is left as it was)."""
    current_index()
    strategy = Strategy.objects.order_by("pk").first()
    Strategy.objects.filter(pk=strategy.pk).update(title=strategy.title)
    started = time.perf_counter()
    index = current_index()
    for ordering in ("newest", "title"):
        index.order(ordering)
    taken = (time.perf_counter() - started) * 1000
    return f"{index.how} in {taken:.0f} ms (newest and title orders included)"


def measure_words_after_edits(client: Client, repeat: int) -> str:
    """A phrase search made before an edit of one strategy elsewhere, asked for again after it:
    by the worker that made it (its index mends what it remembered: strategies/facet_index.py)
    and, with SHARE_WORD_SEARCHES, by a worker that did not (it mends what the shared cache has
    of the earlier version: strategies/word_matches.py), against the same search made afresh;
    p50 in ms over `repeat` edits."""
    url = "/strategies/?q=%22joint+investigations%22"
    strategy = Strategy.objects.order_by("pk").first()

    def after_an_edit(forget_after_the_search) -> list[float]:
        forget_words()
        get(client, url)
        forget_after_the_search()
        Strategy.objects.filter(pk=strategy.pk).update(title=strategy.title)
        return timed(lambda: get(client, url), 1)

    figures = {"same worker": [], "another worker": [], "afresh": []}
    for _ in range(repeat):
        figures["same worker"] += after_an_edit(lambda: None)
        if settings.SHARE_WORD_SEARCHES:
            figures["another worker"] += after_an_edit(lambda: forget_words(shared_too=False))
        figures["afresh"] += after_an_edit(forget_words)
    return "a phrase searched before an edit elsewhere, searched again after it: " + ", ".join(
        f"{name} {statistics.median(times):.0f} ms" for name, times in figures.items() if times
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategies", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20, help="runs per request (ours)")
    parser.add_argument(
        "--baseline-repeat",
        type=int,
        default=3,
        help="runs per baseline, SQL and admin (0: none; SQL takes minutes at a million)",
    )
    parser.add_argument("--skip-admin", action="store_true", help="no admin baseline")
    parser.add_argument(
        "--admin-timeout", type=int, default=60, help="seconds before an admin query is cut off"
    )
    parser.add_argument(
        "--admin-queries", type=int, default=99, help="time the admin for the first N requests"
    )
    parser.add_argument(
        "--records-only",
        action="store_true",
        help="time the strategy page and the API detail only (no listings, exports or imports)",
    )
    parser.add_argument("--verbose", action="store_true", help="EXPLAIN ANALYZE the queries")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    # No setup_test_environment(): its template instrumentation would be timed as ours.

    call_command("migrate", verbosity=0)
    call_command("load_vocabularies", verbosity=0)
    missing = options.strategies - Strategy.objects.count()
    if missing > 0:
        print(f"Generating {missing} synthetic strategies…")
        started = time.perf_counter()
        call_command("generate_strategies", missing, seed=1, no_progress=True)
        print(f"  generated in {time.perf_counter() - started:.1f} s")
    total = Strategy.objects.count()

    forget_index()
    reset_peak()
    before_index = rss_now_mb()
    started = time.perf_counter()
    index = current_index()
    for ordering in ("newest", "oldest", "title"):
        index.order(ordering)
    build_seconds = time.perf_counter() - started
    index_bytes = index.nbytes()
    print(
        f"\n{total} strategies; facet index built in {build_seconds:.2f} s, "
        f"{index_bytes / 2**20:.1f} MB of arrays, "
        f"build peak {rss_peak_mb() - before_index:.0f} MB above {before_index:.0f} MB"
    )
    print(f"  after one edit, the index is {measure_patch()}")

    top = list(
        Strategy.objects.values_list("jurisdiction_id", flat=True)
        .order_by()
        .annotate(n=django.db.models.Count("pk"))
        .order_by("-n")[:2]
    )
    client = Client()
    admin_user = get_user_model().objects.filter(username="bench-admin").first()
    if admin_user is None:
        admin_user = get_user_model().objects.create_superuser("bench-admin", "", None)
    admin_client = Client()
    admin_client.force_login(admin_user)

    # Timed as a worker in service: its first requests are behind it, and with them the freeze
    # of what it keeps (sherlock/warmup.py), which would otherwise land in a timed request.
    for _ in range(WARM_AFTER):
        get(client, "/strategies/")
    print(
        f"\n{'request':<34}{'ours p50':>9}{'p95':>8}{'SQL p50':>10}{'×':>7}"
        f"{'admin p50':>11}{'×':>8}  budget",
        flush=True,
    )
    for number, (name, query_string) in enumerate(
        [] if options.records_only else listing_queries(top)
    ):
        qs = f"?{query_string}" if query_string else ""
        api_qs = f"?{query_string}&facets={ALL_FACETS}" if query_string else f"?facets={ALL_FACETS}"
        # The baselines answer the same question for both faces: time them once per query.
        sql = timed(lambda q=query_string: sql_baseline(q), options.baseline_repeat)
        admin = []
        if not options.skip_admin and number < options.admin_queries:
            admin_url = f"/baseline-admin/strategies/strategy/?{admin_params(query_string)}"
            admin = admin_baseline(admin_client, admin_url, options)
        for face, url in (("page", f"/strategies/{qs}"), ("api", f"/api/v1/strategies/{api_qs}")):
            get(client, url)  # warm
            text = "q=" in query_string
            warm, shared = [], []
            if text:
                # Word searches are timed cold: the index's memory of recent searches (which
                # serves an analyst's next clicks on the same words) is emptied before each run.
                warm = timed(lambda url=url: get(client, url), options.repeat)
                if settings.SHARE_WORD_SEARCHES:
                    # This worker has not searched these words, another one has: the matches
                    # come from the shared cache (REDIS_URL set for the benchmark).
                    shared = timed(
                        lambda url=url: forget_words(shared_too=False) or get(client, url),
                        options.repeat,
                    )
                ours = timed(lambda url=url: forget_words() or get(client, url), options.repeat)
            else:
                ours = timed(lambda url=url: get(client, url), options.repeat)
            print_row(f"{face}: {name}", ours, sql, admin, text, options, warm, shared)

    if not options.records_only:
        print(measure_words_after_edits(client, 5), flush=True)

    sample_ids = list(
        Strategy.objects.filter(status="published")
        .order_by("?")
        .values_list("strategy_id", flat=True)[:5]
    )
    for face, pattern in (
        ("strategy page", "/strategies/{}/"),
        ("api detail", "/api/v1/strategies/{}/"),
    ):
        urls = [pattern.format(strategy_id) for strategy_id in sample_ids]
        for url in urls:
            get(client, url)
        times = []
        for _ in range(options.repeat):
            for url in urls:
                times += timed(lambda url=url: get(client, url), 1)
        ok = "ok" if p95(times) <= 20 else "OVER"
        print(
            f"{face:<34}{statistics.median(times):>9.1f}{p95(times):>8.1f}"
            f"{'':>10}{'':>7}{'':>11}{'':>8}  ≤20 {ok}",
            flush=True,
        )

    if options.records_only:
        return

    # A 10,000-row export: the most recent adoption years holding at least that many.
    years = sorted(
        (
            (int(code), n)
            for code, n in StrategySearch(StrategyQuery()).facet_counts(["year"])["year"].items()
        ),
        reverse=True,
    )
    total_so_far, first_year = 0, years[-1][0]
    for year, n in years:
        total_so_far += n
        if total_so_far >= 10_000:
            first_year = year
            break
    export_filter = f"adopted_from={first_year}"
    export_count = StrategySearch(parsed(export_filter)).results().count()
    export_times = timed(lambda: get(client, f"/strategies/export.jsonl?{export_filter}"), 3)
    print(
        f"{f'export {export_count} rows (jsonl)':<34}{statistics.median(export_times):>9.0f}",
        flush=True,
    )

    reset_peak()
    before_export = rss_now_mb()
    started = time.perf_counter()
    get(client, "/api/v1/strategies/export.jsonl")
    full_export_seconds = time.perf_counter() - started
    export_growth = rss_peak_mb() - before_export

    # Import rates: the two commands with real writes, removed again afterwards (bench/imports.py).
    rates = measure_import_rates()

    print(
        f"\nfull export of {total} rows (API, JSON Lines): {full_export_seconds:.1f} s, "
        f"peak memory growth {export_growth:.0f} MB (budget 50)"
    )
    print(f"peak memory of this worker: {rss_peak_mb():.0f} MB (VmHWM since the export)")
    print(
        f"import_sherloc: {rates['import_sherloc_pages_per_s']:.0f} pages/s (budget 200); "
        f"import_strategies: {rates['import_strategies_records_per_s']:.0f} records/s "
        "(budget 2000)"
    )

    if options.verbose:
        query = parsed("crime_type=drugs&issue=investigation")
        search = StrategySearch(query, engine="sql")
        explain(
            "SQL baseline: issue facet counts",
            CrossCuttingIssue.objects.filter(
                descendants__strategies__in=search.filtered(query.without("issue")).values("pk")
            )
            .values_list("path")
            .annotate(n=django.db.models.Count("descendants__strategies")),
        )
        explain("SQL baseline: first page", search.results()[:PAGE_SIZE])
        # Word matches are collected in through_indexes(), as the search does.
        for label, words in (
            ("full-text match (GIN index)", "extradition"),
            ("phrase match (phrase keys' GIN index)", '"joint investigations"'),
            ("phrase with a stop word (positions read in parallel)", '"trafficking in persons"'),
        ):
            text = StrategySearch(parsed(urlencode({"q": words})))
            with through_indexes(connection.alias, positions=needs_positions(words)):
                explain(label, text._text_matches(fuzzy=False).order_by().values("pk"))
        explain(
            "page rows by primary key",
            Strategy.objects.filter(
                pk__in=[int(pk) for pk in index.pks[:PAGE_SIZE]]
            ).select_related("jurisdiction"),
        )


if __name__ == "__main__":
    main()
