"""The emulator's injectable clock.

Notion rounds `last_edited_time` down to the minute, so tests must be able to put two edits in the
same minute, or on either side of a minute boundary, without sleeping. The clock follows real time
by default; `set()` freezes it at an instant and `advance()` moves a frozen (or running) clock.
Rate limiting deliberately does NOT use this clock: it runs on `time.monotonic()` so that a frozen
clock cannot stop the token bucket from refilling.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class EmulatorClock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def set(self, instant: datetime) -> None:
        """Freeze the clock at `instant` (aware)."""
        if instant.tzinfo is None:
            raise ValueError("the emulator clock needs an aware datetime")
        with self._lock:
            self._frozen = instant.astimezone(UTC)

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def release(self) -> None:
        """Follow real time again (keeping no offset)."""
        with self._lock:
            self._frozen = None
            self._offset = timedelta(0)

    def is_frozen(self) -> bool:
        with self._lock:
            return self._frozen is not None
