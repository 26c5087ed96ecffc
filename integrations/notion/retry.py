"""Retry a Notion call on `TransientError`, honouring Retry-After (for in-process syncs; the
Celery tasks retry with `countdown` instead)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from integrations.errors import TransientError

T = TypeVar("T")


def backoff_delay(
    attempt: int,
    error: TransientError,
    *,
    base_delay_s: float = 0.5,
    max_delay_s: float = 30.0,
    rng: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with jitter, never shorter than the server's Retry-After."""
    exponential = min(max_delay_s, base_delay_s * (2.0**attempt)) * (0.5 + rng() / 2)
    return max(exponential, float(error.retry_after or 0.0))


def call_with_retries(
    call: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay_s: float = 0.5,
    max_delay_s: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `call`; on TransientError wait and try again, up to `attempts` times in all."""
    for attempt in range(attempts):
        try:
            return call()
        except TransientError as error:
            if attempt == attempts - 1:
                raise
            sleep(backoff_delay(attempt, error, base_delay_s=base_delay_s, max_delay_s=max_delay_s))
    raise AssertionError("unreachable")  # pragma: no cover
