"""Per-principal request budget: at most `limit` requests per window, the window starting at a
principal's first request (so no test or client ever straddles a clock-aligned boundary).

Unlike the Notion limiter (integrations/notion/ratelimit.py), which books a slot and *waits*,
the API must answer at once: a request over the budget gets 429 and `Retry-After`, the seconds
until the window ends. With a Redis URL configured the count lives in Redis (one key per
principal, INCR + PEXPIRE in a Lua script, so all API processes share one budget); without it,
in this process.

If Redis is unreachable the limiter lets requests through and logs a warning: the limit protects
the service, and an outage of Redis should not take the whole API down with it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("api.ratelimit")


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int  # seconds until the window ends (0 when allowed)


class RateLimiter(Protocol):
    def hit(self, key: str) -> Decision:
        """Count one request for `key` and say whether it may proceed."""

    def close(self) -> None: ...


def _key(principal_key: str) -> str:
    # Hashed: a principal key can be an email, which has no business in Redis.
    return hashlib.sha256(principal_key.encode()).hexdigest()[:32]


def _decide(count: int, limit: int, remaining_ms: float) -> Decision:
    if count <= limit:
        return Decision(True, limit, limit - count, 0)
    return Decision(False, limit, 0, max(1, math.ceil(remaining_ms / 1000)))


class Unlimited:
    def hit(self, key: str) -> Decision:
        return Decision(True, 0, 0, 0)

    def close(self) -> None:
        pass


class InProcessRateLimiter:
    def __init__(
        self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, float]] = {}

    def hit(self, key: str) -> Decision:
        k = _key(key)
        with self._lock:
            now = self._clock()
            count, ends = self._windows.get(k, (0, 0.0))
            if now >= ends:
                count, ends = 0, now + self._window
                if len(self._windows) > 100_000:  # forget finished windows now and then
                    self._windows = {x: w for x, w in self._windows.items() if w[1] > now}
            count += 1
            self._windows[k] = (count, ends)
        return _decide(count, self._limit, (ends - now) * 1000)

    def close(self) -> None:
        pass


_FIXED_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisRateLimiter:
    def __init__(
        self,
        client: Any,
        limit: int,
        window_s: float,
        *,
        prefix: str = "studyplanner:api:ratelimit:",
    ) -> None:
        self._redis = client
        self._limit = limit
        self._window_ms = int(window_s * 1000)
        self._prefix = prefix
        self._script = client.register_script(_FIXED_WINDOW)

    @classmethod
    def from_url(cls, url: str, limit: int, window_s: float) -> RedisRateLimiter:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        return cls(client, limit, window_s)

    def hit(self, key: str) -> Decision:
        import redis

        try:
            count, ttl_ms = self._script(keys=[self._prefix + _key(key)], args=[self._window_ms])
        except redis.RedisError as exc:
            log.warning("rate limiter unavailable (%s): request let through", type(exc).__name__)
            return Decision(True, self._limit, self._limit, 0)
        return _decide(int(count), self._limit, float(ttl_ms))

    def close(self) -> None:
        self._redis.close()


def build_rate_limiter(limit: int, window_s: float, redis_url: str | None) -> RateLimiter:
    if limit <= 0:
        return Unlimited()
    if redis_url:
        return RedisRateLimiter.from_url(redis_url, limit, window_s)
    return InProcessRateLimiter(limit, window_s)
