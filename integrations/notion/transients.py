"""Transient failures a Notion client got over and which would otherwise leave no trace.

Two kinds: answers notion-client retried by itself (a 429 on any call, a 500/503 on a GET), seen
by an httpx response hook, and failures our own code recovered from (a create answered 504 after
the write landed, then found by Task ID). Callers drain them with `take()` and record them as
resolved errors: an admin sees what Notion did, and the sync is not marked failed for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from integrations.errors import IntegrationError, TransientError
from integrations.notion.errors import PROVIDER, retry_after_seconds


@dataclass(frozen=True)
class Recovered:
    error: IntegrationError
    how: str  # what got us over it, for the admin reading sync_errors


def _code_of(response: httpx.Response) -> str:
    try:
        body = json.loads(response.read())
    except ValueError:
        return f"http_{response.status_code}"
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else f"http_{response.status_code}"


class TransientLog:
    def __init__(self) -> None:
        self._operation = "request"
        self._answers: list[TransientError] = []  # transient answers of the current call
        self._recovered: list[Recovered] = []

    def on_response(self, response: httpx.Response) -> None:
        """The httpx response hook: remember every transient answer of the current call."""
        status = response.status_code
        if status == 429 or status >= 500:
            self._answers.append(
                TransientError(
                    "answered by Notion",
                    provider=PROVIDER,
                    operation=self._operation,
                    status=status,
                    code=_code_of(response),
                    retry_after=retry_after_seconds(response.headers),
                )
            )

    @contextmanager
    def call(self, operation: str) -> Iterator[None]:
        """One client call, notion-client's own retries included. The answers it got over are
        recovered; the one it raised is the caller's failure, recorded (once) by the caller."""
        self._operation, self._answers = operation, []
        try:
            yield
        except IntegrationError as error:
            if self._answers and self._answers[-1].status == error.status:
                self._answers.pop()
            raise
        finally:
            for answer in self._answers:
                self.recovered(answer, "notion-client retried the call")
            self._answers = []

    def recovered(self, error: IntegrationError, how: str) -> None:
        self._recovered.append(Recovered(error, how))

    def take(self) -> list[Recovered]:
        taken, self._recovered = self._recovered, []
        return taken
