"""One request budget per Notion integration token, shared by every caller that uses the token.

Notion allows an average of 3 requests/s per integration with some burst; we aim below it
(2.5/s, burst 3) so that several processes sharing a token never see 429s in normal operation.

Both limiters implement GCRA as a *reservation*: each `acquire` books the next free slot
(one round trip, first come first served) and sleeps until it. The theoretical arrival time (TAT)
is the only state. `RedisRateLimiter` keeps it in Redis, computed by a Lua script that reads
Redis's own clock, so processes on different machines share one budget without trusting their
clocks. Keys are a hash of the token: the token itself never reaches Redis or a log line.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from integrations.errors import TransientError

DEFAULT_RATE_PER_S = 2.5
DEFAULT_BURST = 3


class RateLimiter(Protocol):
    def acquire(self, key: str) -> None:
        """Block until one request for `key` may be sent."""


def limiter_key(token: str) -> str:
    """A stable, non-reversible key for a token."""
    return "notion:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def _check(rate_per_s: float, burst: int) -> tuple[float, float]:
    if rate_per_s <= 0 or burst < 1:
        raise ValueError("rate_per_s must be > 0 and burst ≥ 1")
    interval = 1.0 / rate_per_s
    return interval, interval * (burst - 1)


class InProcessRateLimiter:
    """For the embedded default (one worker process): a lock and a dict."""

    def __init__(
        self,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        burst: int = DEFAULT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval, self._tolerance = _check(rate_per_s, burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}

    def reserve(self, key: str) -> float:
        """Book the next slot; return how long to wait for it (seconds)."""
        with self._lock:
            now = self._clock()
            tat = max(self._tat.get(key, now), now)
            self._tat[key] = tat + self._interval
            return max(0.0, tat - self._tolerance - now)

    def acquire(self, key: str) -> None:
        wait = self.reserve(key)
        if wait > 0:
            self._sleep(wait)


_GCRA_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local new_tat = tat + interval
local ttl_ms = math.ceil((new_tat - now) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', new_tat), 'PX', ttl_ms)
return string.format('%.6f', wait)
"""


class RedisRateLimiter:
    """Shared across processes and machines through one Redis key per token hash."""

    def __init__(
        self,
        redis_client: Any,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        burst: int = DEFAULT_BURST,
        *,
        prefix: str = "studyplanner:ratelimit:",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval, self._tolerance = _check(rate_per_s, burst)
        self._redis = redis_client
        self._prefix = prefix
        self._sleep = sleep
        self._script = redis_client.register_script(_GCRA_RESERVE)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisRateLimiter:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        return cls(client, **kwargs)

    def reserve(self, key: str) -> float:
        import redis

        try:
            raw = self._script(keys=[self._prefix + key], args=[self._interval, self._tolerance])
        except redis.RedisError as exc:
            # Without the shared budget we cannot promise Notion's limit: try again later.
            raise TransientError(
                f"rate limiter unavailable ({type(exc).__name__})",
                provider="notion",
                operation="rate_limit",
                code="limiter_unavailable",
            ) from exc
        return float(raw.decode() if isinstance(raw, bytes) else raw)

    def acquire(self, key: str) -> None:
        wait = self.reserve(key)
        if wait > 0:
            self._sleep(wait)
