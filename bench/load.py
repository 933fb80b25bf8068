#!/usr/bin/env python
"""A bounded load test: 50 concurrent clients against gunicorn on loopback, twice.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sherlock_load \\
        .venv/bin/python bench/load.py --strategies 10000 --clients 50 --seconds 60

It makes sure the database holds --strategies strategies (synthetic ones are generated), starts
gunicorn on 127.0.0.1 (never another address), and runs --clients threads that browse search
pages, strategy pages, the API and exports for --seconds. Then it runs the same load while an
editor imports 100 SHERLOC pages (one session, one transaction per page), and reports errors,
p50/p99 latencies and throughput for both runs, and whether the catalogue stayed consistent
(counts never went down while pages were added). Every loop is bounded in count and time; the
server is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
MAX_REQUESTS_PER_CLIENT = 100_000


def manage(*args: str, env: dict) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip


def request_mix(strategy_ids: list[str], rng: random.Random) -> str:
    facets = [
        "crime_type=drugs",
        "article=UNTOC-11",
        "region=150",
        "issue=prevention",
        "crime_type=corruption&article=UNTOC-5",
        "adopted_from=2015",
        "q=extradition",
    ]
    roll = rng.random()
    if roll < 0.35:
        return f"/strategies/?{rng.choice(facets)}&page={rng.randint(1, 5)}"
    if roll < 0.60:
        return f"/strategies/{rng.choice(strategy_ids)}/"
    if roll < 0.85:
        return f"/api/v1/strategies/?{rng.choice(facets)}&facets=crime_type,article,issue,year"
    if roll < 0.95:
        return f"/api/v1/strategies/{rng.choice(strategy_ids)}/"
    return f"/api/v1/strategies/export.jsonl?{rng.choice(facets)}&adopted_to=1999"


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.totals: list[tuple[float, float, int]] = []  # (started, ended, count)

    def add(self, started: float, ended: float, error: str | None, total: int | None) -> None:
        with self.lock:
            self.latencies.append((ended - started) * 1000)
            if error:
                self.errors.append(error)
            if total is not None:
                self.totals.append((started, ended, total))

    def stale_reads(self) -> int:
        """Reads that saw fewer strategies than a read which had finished before they began
        (while strategies are only being added, that would be a read going back in time)."""
        finished = sorted((ended, total) for _started, ended, total in self.totals)
        stale, best, at = 0, 0, 0
        for started, _ended, total in sorted(self.totals):
            while at < len(finished) and finished[at][0] < started:
                best = max(best, finished[at][1])
                at += 1
            stale += total < best
        return stale


def client_loop(port: int, deadline: float, strategy_ids, seed: int, recorder: Recorder) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= deadline:
            break
        path = request_mix(strategy_ids, rng)
        started = time.perf_counter()
        error = total = None
        try:
            connection.request("GET", path, headers={"Accept-Language": "en"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                error = f"{response.status} {path}"
            elif (
                path == "/api/v1/strategies/?crime_type=drugs&facets=crime_type,article,issue,year"
            ):
                total = json.loads(body)["count"]
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__} {path}"
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
        recorder.add(started, time.perf_counter(), error, total)
    connection.close()


def run_load(port, clients, seconds, strategy_ids) -> Recorder:
    recorder = Recorder()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=client_loop, args=(port, deadline, strategy_ids, n, recorder), daemon=True
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return recorder


def report(label: str, recorder: Recorder, seconds: float) -> None:
    latencies = sorted(recorder.latencies)
    if not latencies:
        print(f"{label}: no requests completed")
        return
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(
        f"{label}: {len(latencies)} requests, {len(recorder.errors)} errors, "
        f"{len(latencies) / seconds:.0f} req/s, p50 {statistics.median(latencies):.0f} ms, "
        f"p99 {p99:.0f} ms"
    )
    for error in recorder.errors[:10]:
        print(f"  {error}")


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/api/v1/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategies", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4)
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database for the load test.")

    env = {
        **os.environ,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "API_ANON_RATE": "1000000/min",
        "API_EXPORT_RATE": "1000000/min",
    }
    manage("migrate", "--noinput", env=env)
    manage("load_vocabularies", env=env)
    manage("collectstatic", "--noinput", env=env)
    count = int(manage("shell", "-v", "0", "-c", "from strategies.models import Strategy;"
                       "print(Strategy.objects.count())", env=env))  # fmt: skip
    if count < options.strategies:
        manage("generate_strategies", str(options.strategies - count), "--no-progress", env=env)
    strategy_ids = manage(
        "shell", "-v", "0", "-c",
        "from strategies.models import Strategy;"
        "print(' '.join(Strategy.objects.filter(status='published')"
        ".values_list('strategy_id', flat=True)[:2000]))",
        env=env,
    ).split()  # fmt: skip

    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "sherlock.wsgi", "--bind", f"{HOST}:{options.port}",
         "--workers", str(options.workers), "--access-logfile", "/dev/null"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(options.port)
        run_load(options.port, 5, 5, strategy_ids)  # warm every worker's facet index
        quiet = run_load(options.port, options.clients, options.seconds, strategy_ids)
        report("reads only", quiet, options.seconds)

        sample = (PROJECT / "fixtures" / "samples" / "GBR0007s.txt").read_text(encoding="utf-8")
        with tempfile.TemporaryDirectory() as folder:
            pages = []
            for n in range(100):
                path = Path(folder) / f"page-{n}.txt"
                path.write_text(sample.replace("GBR0007s", f"GBR{2000 + n:04d}s"), "utf-8")
                pages.append(str(path))
            # One editor's session importing the pages one after another, each committed on
            # its own (as the admin's import does), so that readers see 100 writes.
            script = (
                "from pathlib import Path;"
                "from strategies.importers.sherloc_import import import_sherloc_files;"
                f"pages = {pages!r};"
                "failed = [o.errors for p in pages "
                "for o in import_sherloc_files([Path(p)], batch_size=1) if o.errors];"
                "print(len(pages) - len(failed))"
            )
            imported = []
            editor = threading.Thread(
                target=lambda: imported.append(manage("shell", "-v", "0", "-c", script, env=env))
            )
            started = time.monotonic()
            editor.start()
            busy = run_load(options.port, options.clients, options.seconds, strategy_ids)
            editor.join(timeout=600)
            import_seconds = time.monotonic() - started
        report("reads while an editor imports 100 pages", busy, options.seconds)
        print(
            f"  {''.join(imported).strip() or 0} of the 100 pages imported, one transaction each, "
            f"in {import_seconds:.0f} s"
        )
        counts = sorted(total for _s, _e, total in busy.totals)
        print(
            f"  consistency: {len(counts)} reads of one API count, from "
            f"{counts[0] if counts else '-'} to {counts[-1] if counts else '-'}; "
            f"{busy.stale_reads()} saw fewer than a read finished before them"
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        manage(
            "shell",
            "-v",
            "0",
            "-c",
            "from strategies.models import Strategy;"
            "Strategy.all_objects.filter(strategy_id__regex=r'^GBR2[0-9]{3}s$').delete()",
            env=env,
        )


if __name__ == "__main__":
    main()
