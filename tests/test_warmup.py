"""A worker freezes what it keeps once it is warm (sherlock/warmup.py), once only.

Freezing is for a whole process, so the worker here is a process of its own: it loads the WSGI
application as gunicorn does and finishes requests as Django's handler does.
"""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

WORKER = """
import gc
from django.core.signals import request_finished
import sherlock.wsgi
from sherlock.warmup import WARM_AFTER

def finish(requests):
    for _ in range(requests):
        request_finished.send(sender=sherlock.wsgi.application.__class__)

finish(WARM_AFTER - 1)
print(gc.get_freeze_count())
finish(1)
frozen = gc.get_freeze_count()
print(frozen)
kept = [[n] for n in range(10_000)]  # made after the freeze, and still in use
finish(WARM_AFTER)
print(gc.get_freeze_count() - frozen)
"""


def test_a_worker_freezes_its_objects_after_its_first_requests_and_only_then():
    result = subprocess.run(
        [sys.executable, "-c", WORKER],
        cwd=PROJECT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "sherlock.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    before, after, later = (int(line) for line in result.stdout.split())
    assert before == 0
    # The application's modules, settings, URL patterns and the rest: tens of thousands.
    assert after > 20_000
    # Frozen once: what was made since stays in the collector's sight.
    assert later == 0
