"""A warm worker's long-lived objects, moved out of the garbage collector's way.

A worker keeps some 120,000 objects for as long as it lives: modules, settings, URL patterns,
templates, translation catalogues, vocabularies, the facet index's labels. Python's full
collections walk every one of them although none is ever garbage: 60–70 ms each on this
project's 2-core machine, about once every 75 search pages, added to whichever request was
running. Once a worker has answered its first requests (and so has loaded what it keeps), its
objects are frozen (gc.freeze()): collections then walk only what was made since, 4 ms or so.
It happens after a response has been sent, so no request waits for it.
"""

import gc
import threading

from django.core.signals import request_finished

# Requests a worker answers before it is taken as warm.
WARM_AFTER = 20

_finished_requests = 0
_lock = threading.Lock()


def freeze_when_warm() -> None:
    """Freeze this process's objects once it has finished WARM_AFTER requests (once only)."""
    request_finished.connect(_request_finished, dispatch_uid="sherlock.warmup")


def _request_finished(**kwargs) -> None:
    global _finished_requests
    with _lock:
        _finished_requests += 1
        if _finished_requests != WARM_AFTER:
            return
    request_finished.disconnect(dispatch_uid="sherlock.warmup")
    gc.collect()  # what is garbage now is not frozen with the rest
    gc.freeze()
