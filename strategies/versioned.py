"""Values derived from the catalogue that a process keeps until the catalogue version moves."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from .models import CatalogueVersion


class Versioned(Protocol):
    version: int  # the catalogue version the value was derived at


T = TypeVar("T", bound=Versioned)


class KeptPerVersion(Generic[T]):
    """One value per process, made again when the catalogue version has moved since.

    Each get() reads the version (one primary-key lookup). `make` receives the value it
    replaces (None at first), so that it may update it rather than start over, and must read
    the version before the rows the new value is derived from: whatever it misses then carries
    a higher number, and the next get() makes the value again.
    """

    def __init__(self, make: Callable[[T | None], T]):
        self._make = make
        self._lock = threading.Lock()
        self._value: T | None = None

    def get(self, version: int | None = None) -> T:
        """The value as of `version` (read now if not given)."""
        if version is None:
            version = CatalogueVersion.current()
        value = self._value
        if value is not None and value.version == version:
            return value
        with self._lock:
            if self._value is None or self._value.version != version:
                self._value = self._make(self._value)
            CatalogueVersion.seen(self._value.version)
            return self._value

    def peek(self) -> T | None:
        """The value held now, however old (None if none was made yet)."""
        return self._value

    def forget(self) -> None:
        """Drop the value (tests that rebuild the database use this)."""
        self._value = None
