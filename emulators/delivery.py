"""Outgoing webhook deliveries, shared by Google's push channels and Notion's webhooks.

One background thread per outbox POSTs each delivery when it is due and retries a failure
(non-2xx, refused connection, timeout) with exponential backoff, as both providers do, until it
succeeds, runs out of attempts or is no longer wanted (a stopped or expired channel). A delivery
renders its headers and body per attempt, because Notion's body carries the attempt number and
the signature covers the body.

The thread never raises: a receiver's failure is recorded in `log`, which the admin endpoints
expose so that tests can see what was sent and what came back.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

Render = Callable[[int], tuple[dict[str, str], bytes]]
MAX_LOG = 2000
# Receivers are local test servers or the API under test: no proxy may sit in between.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Delivery:
    url: str
    render: Render  # attempt number (1-based) -> (headers, body)
    label: str  # what the log shows: channel and message number, event id…
    max_attempts: int = 8
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 300.0
    wanted: Callable[[], bool] = field(default=lambda: True)
    attempt: int = 0


@dataclass(frozen=True)
class Attempt:
    label: str
    url: str
    attempt: int
    status: int | None  # None: no HTTP answer (refused, timed out)
    error: str | None
    outcome: str  # "delivered", "retrying", "gave_up", "dropped" (no longer wanted)


class Outbox:
    def __init__(self, name: str, *, timeout_s: float = 5.0) -> None:
        self.name = name
        self.timeout_s = timeout_s
        self.log: deque[Attempt] = deque(maxlen=MAX_LOG)
        self._queue: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._in_flight = 0

    def submit(self, delivery: Delivery, delay_s: float = 0.0) -> None:
        with self._cond:
            if self._closed:
                return
            due = time.monotonic() + max(0.0, delay_s)
            heapq.heappush(self._queue, (due, next(self._order), delivery))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"{self.name}-outbox", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + self._in_flight

    def wait_idle(self, timeout_s: float) -> bool:
        """True once nothing is queued or in flight (retries count as queued)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def flush(self) -> int:
        """Make every queued delivery due now (tests: no waiting out a delivery delay)."""
        with self._cond:
            now = time.monotonic()
            self._queue = [(min(due, now), order, d) for due, order, d in self._queue]
            heapq.heapify(self._queue)
            self._cond.notify_all()
            return len(self._queue)

    def attempts(self) -> list[dict[str, Any]]:
        with self._cond:
            return [a.__dict__.copy() for a in self.log]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=self.timeout_s + 1)

    # ---- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                delivery = self._next_due()
                if delivery is None:
                    return
                self._in_flight += 1
            try:
                self._attempt(delivery)
            except Exception:  # never let a bug kill the thread silently mid-test
                log.exception(
                    "%s outbox: delivery %s failed unexpectedly", self.name, delivery.label
                )
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _next_due(self) -> Delivery | None:
        while not self._closed:
            if not self._queue:
                self._cond.wait()
                continue
            due = self._queue[0][0]
            wait = due - time.monotonic()
            if wait > 0:
                self._cond.wait(wait)
                continue
            return heapq.heappop(self._queue)[2]
        return None

    def _attempt(self, delivery: Delivery) -> None:
        if not delivery.wanted():
            self._record(delivery, None, None, "dropped")
            return
        delivery.attempt += 1
        headers, body = delivery.render(delivery.attempt)
        status, error = self._post(delivery.url, headers, body)
        if status is not None and 200 <= status < 300:
            self._record(delivery, status, None, "delivered")
            return
        if delivery.attempt >= delivery.max_attempts:
            self._record(delivery, status, error, "gave_up")
            return
        self._record(delivery, status, error, "retrying")
        backoff = delivery.backoff_initial_s * (2 ** (delivery.attempt - 1))
        self.submit(delivery, min(backoff, delivery.backoff_max_s))

    def _post(
        self, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int | None, str | None]:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=self.timeout_s) as response:
                response.read()
                return int(response.status), None
        except urllib.error.HTTPError as err:
            err.read()
            err.close()
            return int(err.code), None
        except (urllib.error.URLError, OSError, ValueError) as err:
            return None, type(err).__name__

    def _record(
        self, delivery: Delivery, status: int | None, error: str | None, outcome: str
    ) -> None:
        attempt = Attempt(delivery.label, delivery.url, delivery.attempt, status, error, outcome)
        with self._cond:
            self.log.append(attempt)
        log.debug("%s outbox: %s", self.name, attempt)
