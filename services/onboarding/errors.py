"""The failures a student meets in a browser, each with a sentence the page shows as it is."""

from __future__ import annotations

from typing import Literal

ConnectProblem = Literal[
    "not_configured",
    "denied",
    "state_invalid",
    "state_foreign",
    "state_replayed",
    "state_expired",
    "exchange_failed",
    "no_refresh_token",
    "scopes_narrower",
    "not_connected",
    "remote_failed",
    "bad_choice",
]


class ConnectError(Exception):
    """A connection step that did not happen. Nothing was stored; `message` says what to do."""

    def __init__(self, problem: ConnectProblem, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.retry = retry  # offer "connect again"


class SignInError(Exception):
    """A sign-in link or token that does not sign anyone in."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
