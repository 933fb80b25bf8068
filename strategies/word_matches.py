"""Word searches' matches kept in the shared cache, for every worker and app server.

Collecting the matches of a common word or a phrase is the slowest part of a word search: about
0.2 s for a phrase whose words 50,000 strategies hold, as PostgreSQL rereads each of their word
vectors. Each worker's facet index remembers its own recent searches
(`FacetIndex.remember`), but an analyst's next click may reach another worker, or another
server. With `SHARE_WORD_SEARCHES` (on when `REDIS_URL` is set), the matches also go to the
shared cache, under the catalogue version they belong to. A write moves the version; a worker
that meets words whose newest entry is of an earlier version (`read_latest`) tests only the
strategies written since (the change log names them) rather than search them all again.

The cache only saves work: when it cannot be reached, the search asks the database as before.
"""

from __future__ import annotations

import hashlib
import logging
import zlib

import numpy as np
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# How long an entry is kept; a busy catalogue changes version long before.
KEPT_SECONDS = 3600


def shared_key(version: int, text: str, include_drafts: bool) -> str | None:
    """The cache key of a word search's matches, or None when they are not shared."""
    if not settings.SHARE_WORD_SEARCHES:
        return None
    # "1": the format below; a release that changes it changes this too.
    return f"word-matches:1:{version}:{_words(text, include_drafts)}"


def _words(text: str, include_drafts: bool) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"{'drafts' if include_drafts else 'public'}:{digest}"


def _latest_key(words: str) -> str:
    """The key that names the newest version stored for `words` (what _words() gives)."""
    return f"word-matches:1:latest:{words}"


def read_latest(text: str, include_drafts: bool, version: int):
    """(version, fuzzy, sorted primary keys) of the newest matches stored for these words, when
    that is of `version` or an earlier one; else None."""
    if not settings.SHARE_WORD_SEARCHES:
        return None
    try:
        stored = cache.get(_latest_key(_words(text, include_drafts)))
    except Exception:  # as in read()
        logger.warning("The shared cache could not be read; searching the database.", exc_info=True)
        return None
    if stored is None or stored > version:
        return None
    found = read(shared_key(stored, text, include_drafts))
    return None if found is None else (stored, *found)


def read(key: str | None) -> tuple[bool, np.ndarray] | None:
    """(fuzzy, sorted primary keys) stored under `key`, or None."""
    if key is None:
        return None
    try:
        stored = cache.get(key)
    except Exception:  # any cache failure: the database still answers
        logger.warning("The shared cache could not be read; searching the database.", exc_info=True)
        return None
    if stored is None:
        return None
    gaps = np.frombuffer(zlib.decompress(stored[1:]), dtype=np.int64)
    return bool(stored[0]), np.cumsum(gaps)


def write(key: str | None, fuzzy: bool, pks) -> None:
    """Store a search's matches: the gaps between the sorted keys, compressed (a common word's
    50,000 matches take some tens of kilobytes)."""
    if key is None:
        return
    ordered = np.sort(np.asarray(pks, dtype=np.int64))
    packed = bytes([fuzzy]) + zlib.compress(np.diff(ordered, prepend=0).tobytes(), 1)
    _name, _format, version, words = key.split(":", 3)  # as shared_key() made it
    try:
        cache.set_many({key: packed, _latest_key(words): int(version)}, KEPT_SECONDS)
    except Exception:  # as in read()
        logger.warning("The shared cache could not be written.", exc_info=True)
