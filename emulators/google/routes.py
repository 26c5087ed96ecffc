"""Routes one HTTP request (or one part of a batch) to the state, with Google's checks around it.

Order of the checks for every Calendar call — a plain request or a batch part alike: count it,
injected faults ("next N calls return S", random 5xx), bearer token (401), per-user rate limit
(403 userRateLimitExceeded or 429), then the operation. Each batch part counts against the rate
limit on its own, as on Google (API-FACTS: each call in a batch still counts against quota).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from emulators.google import batch, scopes
from emulators.google.entities import ApiError, JsonDict
from emulators.google.listing import freebusy, list_events
from emulators.google.oauth import OAUTH_PATHS, GoogleOAuth
from emulators.google.replies import (
    error_reply,
    fault_reply,
    json_reply,
    reason_phrase,
    seconds,
)
from emulators.google.settings import EmulatorSettings, FailRule, LostResponse
from emulators.google.state import CalendarState
from emulators.serving import Reply

WRITE_OPERATIONS = (
    "calendars.insert",
    "events.insert",
    "events.patch",
    "events.update",
    "events.delete",
)
_CAL = r"^/calendar/v3/calendars/([^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/calendar/v3/users/me/calendarList$"), "calendarList.list"),
    ("POST", re.compile(r"^/calendar/v3/calendars$"), "calendars.insert"),
    ("GET", re.compile(_CAL + r"$"), "calendars.get"),
    ("GET", re.compile(_CAL + r"/events$"), "events.list"),
    ("POST", re.compile(_CAL + r"/events$"), "events.insert"),
    ("GET", re.compile(_CAL + r"/events/([^/]+)$"), "events.get"),
    ("PATCH", re.compile(_CAL + r"/events/([^/]+)$"), "events.patch"),
    ("PUT", re.compile(_CAL + r"/events/([^/]+)$"), "events.update"),
    ("DELETE", re.compile(_CAL + r"/events/([^/]+)$"), "events.delete"),
    ("POST", re.compile(r"^/calendar/v3/freeBusy$"), "freebusy.query"),
]
BATCH_PATH = "/batch/calendar/v3"


@dataclass
class _Call:
    """Per outer request: what happened inside it that the HTTP layer must act on."""

    lose: LostResponse | None = None


class Dispatcher:
    """The emulator's brain; one per server. Every entry point takes `self.lock`."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self.lock = threading.RLock()
        self.state = CalendarState()
        self.rng = random.Random(settings.seed)
        self.counters: Counter[str] = Counter()
        self.fail_rules: list[FailRule] = []
        self.lose_next_insert: LostResponse | None = None
        self._rate_windows: dict[str, deque[float]] = {}
        self.state.add_user(settings.default_user, time_zone=settings.default_time_zone)
        self.state.add_grant(
            settings.default_user, settings.client_id, settings.default_refresh_token
        )
        self.oauth = GoogleOAuth(self.state, settings)

    # ---- entry point ---------------------------------------------------------------------------

    def handle_http(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[Reply, LostResponse | None]:
        if self.settings.latency > 0:
            time.sleep(self.settings.latency)
        url = urlsplit(target)
        path = url.path
        with self.lock:
            self.counters["http"] += 1
            call = _Call()
            if path in OAUTH_PATHS:
                self.counters[OAUTH_PATHS[path]] += 1
                reply = self._scripted_fault(method, path) or self.oauth.handle(
                    method, path, url.query, headers, body
                )
            elif path == BATCH_PATH:
                self.counters["batch"] += 1
                reply = self._scripted_fault(method, path) or self._batch(
                    method, headers, body, call
                )
            else:
                reply = self._api_call(method, path, url.query, headers, body, call)
            return reply, call.lose

    # ---- one Calendar call ---------------------------------------------------------------------

    def _api_call(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        call: _Call,
        *,
        outer_authorization: str | None = None,
    ) -> Reply:
        operation, groups = _route(method, path)
        self.counters[operation] += 1
        fault = self._scripted_fault(method, path) or self._random_fault()
        if fault is not None:
            return fault
        try:
            access = self.state.access_for_bearer(
                headers.get("authorization") or outer_authorization
            )
            user = access.user
            self._check_rate_limit(user)
            if operation == "unknown":
                raise ApiError(404, "notFound", "Not Found")
            scopes.check(operation, access.scopes)
            payload = _json_body(body) if method in ("POST", "PATCH", "PUT") else {}
            result = self._operate(operation, user, groups, parse_qs(query), payload, headers)
        except ApiError as err:
            return error_reply(err)
        if operation == "events.insert" and self.lose_next_insert is not None:
            call.lose, self.lose_next_insert = self.lose_next_insert, None
        if result is None:
            return Reply(204, content_type="")
        etag = result.get("etag")
        return json_reply(200, result, {"ETag": etag} if isinstance(etag, str) else None)

    def _operate(
        self,
        operation: str,
        user: str,
        groups: tuple[str, ...],
        params: dict[str, list[str]],
        payload: JsonDict,
        headers: Mapping[str, str],
    ) -> JsonDict | None:
        state = self.state
        if_match = headers.get("if-match")
        if operation == "calendarList.list":
            return {"kind": "calendar#calendarList", "items": state.list_calendars(user)}
        if operation == "calendars.insert":
            return state.insert_calendar(user, payload)
        if operation == "calendars.get":
            return state.calendar_resource(state.calendar_for(user, groups[0]))
        if operation == "events.list":
            return list_events(
                state,
                user,
                groups[0],
                params,
                default_page_size=self.settings.default_page_size,
                max_page_size=self.settings.max_page_size,
            )
        if operation == "events.insert":
            return state.insert_event(user, groups[0], payload)
        if operation == "events.get":
            return state.get_event(user, groups[0], groups[1])
        if operation == "events.patch":
            return state.patch_event(user, groups[0], groups[1], payload, if_match)
        if operation == "events.update":
            return state.update_event(user, groups[0], groups[1], payload, if_match)
        if operation == "events.delete":
            state.delete_event(user, groups[0], groups[1], if_match)
            return None
        if operation == "freebusy.query":
            return freebusy(
                state,
                user,
                payload,
                max_calendars=self.settings.freebusy_max_calendars,
                max_days=self.settings.freebusy_max_days,
            )
        raise ApiError(404, "notFound", "Not Found")

    # ---- batch -----------------------------------------------------------------------------------

    def _batch(self, method: str, headers: Mapping[str, str], body: bytes, call: _Call) -> Reply:
        if method != "POST":
            return error_reply(ApiError(405, "methodNotAllowed", "Method Not Allowed"))
        outer_auth = headers.get("authorization")
        if outer_auth is not None:
            try:
                self.state.user_for_bearer(outer_auth)
            except ApiError as err:
                return error_reply(err)
        try:
            parts = batch.parse_request(headers.get("content-type", ""), body)
        except ValueError as exc:
            return error_reply(ApiError(400, "badRequest", f"Malformed batch request: {exc}"))
        if len(parts) > self.settings.batch_max_parts:
            return error_reply(ApiError(400, "badRequest", "Too many requests in a batch."))
        answers: list[tuple[str, Reply]] = []
        for part in parts:
            url = urlsplit(part.target)
            reply = self._api_call(
                part.method,
                url.path,
                url.query,
                part.headers,
                part.body,
                call,
                outer_authorization=outer_auth,
            )
            answers.append((part.content_id, reply))
        boundary, payload = batch.render_response(
            [
                (cid, r.status, reason_phrase(r.status), r.headers, r.content_type, r.body)
                for cid, r in answers
            ]
        )
        return Reply(200, payload, content_type=f"multipart/mixed; boundary={boundary}")

    # ---- faults and limits -----------------------------------------------------------------------

    def _scripted_fault(self, method: str, path: str) -> Reply | None:
        for rule in self.fail_rules:
            if rule.remaining > 0 and rule.matches(method, path):
                rule.remaining -= 1
                self.fail_rules = [r for r in self.fail_rules if r.remaining > 0]
                self.counters["injected"] += 1
                return fault_reply(
                    rule.status, rule.reason, rule.retry_after, oauth=path in OAUTH_PATHS
                )
        return None

    def _random_fault(self) -> Reply | None:
        rate = self.settings.error_rate
        if rate <= 0 or self.rng.random() >= rate:
            return None
        self.counters["injected"] += 1
        return fault_reply(self.rng.choice((500, 503)), None, None)

    def _check_rate_limit(self, user: str) -> None:
        limit = self.settings.rate_limit_per_minute
        if limit <= 0:
            return
        now = time.monotonic()
        window = self._rate_windows.setdefault(user, deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        if len(window) >= limit:
            self.counters["rate_limited"] += 1
            headers = {}
            if self.settings.rate_limit_retry_after is not None:
                headers["Retry-After"] = seconds(self.settings.rate_limit_retry_after)
            if self.settings.rate_limit_status == 429:
                raise ApiError(429, "rateLimitExceeded", "Rate Limit Exceeded", headers=headers)
            raise ApiError(
                403, "userRateLimitExceeded", "User Rate Limit Exceeded", headers=headers
            )
        window.append(now)

    def reset_rate_windows(self) -> None:
        self._rate_windows.clear()

    def settings_dict(self) -> dict[str, Any]:
        return asdict(self.settings)


def _route(method: str, path: str) -> tuple[str, tuple[str, ...]]:
    for verb, pattern, operation in _ROUTES:
        match = pattern.match(path)
        if match and verb == method.upper():
            return operation, tuple(unquote(g) for g in match.groups())
    return "unknown", ()


def _json_body(body: bytes) -> JsonDict:
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, "parseError", "Parse Error") from exc
    if not isinstance(parsed, dict):
        raise ApiError(400, "parseError", "Parse Error")
    return parsed
