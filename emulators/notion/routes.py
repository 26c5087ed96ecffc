"""The Notion emulator's HTTP front: routing, auth, rate limit, fault injection, counters, admin.

Order of checks for an API request (mirrors what a client sees from Notion): Notion-Version
header → bearer token → per-token rate limit (429 + Retry-After) → injected faults → the
operation itself. Admin endpoints under `/_admin/` need neither header nor token and are not
rate limited or counted.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from dataclasses import asdict, fields
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from emulators.notion.common import ApiError, Json, normalize_id, parse_instant
from emulators.notion.entities import Token
from emulators.notion.oauth import OAUTH_PREFIX
from emulators.notion.runtime import EmulatorRuntime, EmulatorSettings, FaultRule, LostCreate
from emulators.notion.state import Workspace
from emulators.serving import write_reply

if TYPE_CHECKING:
    from emulators.notion.server import _NotionHTTPServer


logger = logging.getLogger(__name__)

_UUIDISH = r"[0-9a-fA-F-]{32,36}"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(rf"^/v1/databases/({_UUIDISH})$"), "/v1/databases/{id}"),
    ("GET", re.compile(rf"^/v1/data_sources/({_UUIDISH})$"), "/v1/data_sources/{id}"),
    ("PATCH", re.compile(rf"^/v1/data_sources/({_UUIDISH})$"), "/v1/data_sources/{id}"),
    ("POST", re.compile(rf"^/v1/data_sources/({_UUIDISH})/query$"), "/v1/data_sources/{id}/query"),
    ("POST", re.compile(r"^/v1/pages$"), "/v1/pages"),
    ("POST", re.compile(r"^/v1/search$"), "/v1/search"),
    ("GET", re.compile(rf"^/v1/pages/({_UUIDISH})$"), "/v1/pages/{id}"),
    ("PATCH", re.compile(rf"^/v1/pages/({_UUIDISH})$"), "/v1/pages/{id}"),
]
WRITE_KINDS = frozenset({"POST /v1/pages", "PATCH /v1/pages/{id}", "PATCH /v1/data_sources/{id}"})
QUERY_KIND = "POST /v1/data_sources/{id}/query"

_FAULT_CODES = {
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    503: "service_unavailable",
    504: "gateway_timeout",
    529: "service_overload",
}


def error_body(status: int, code: str, message: str) -> Json:
    return {
        "object": "error",
        "status": status,
        "code": code,
        "message": message,
        "request_id": str(uuid.uuid4()),
    }


class _Handler(BaseHTTPRequestHandler):
    server: _NotionHTTPServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True

    # http.server logs every request to stderr; route it to logging at DEBUG instead.
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("notion emulator: " + format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # ------------------------------------------------------------------------------ plumbing

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "invalid_json", "Error parsing JSON body.") from exc

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_html_error(self, status: int) -> None:
        # A gateway in front of Notion answers 502 with HTML, not Notion's JSON error body.
        payload = f"<html><body><h1>{status} Bad Gateway</h1></body></html>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        try:
            if path.startswith("/_admin/"):
                self._admin(method, path)
            elif path.startswith(OAUTH_PREFIX):
                self._oauth(method, path)
            else:
                self._api(method, path)
        except ApiError as err:
            self._send_json(err.status, error_body(err.status, err.code, err.message))
        except (BrokenPipeError, ConnectionResetError):
            pass

    # ---------------------------------------------------------------------------------- API

    def _api(self, method: str, path: str) -> None:
        runtime = self.server.runtime
        route = next(
            (
                (pattern, kind)
                for verb, pattern, kind in _ROUTES
                if verb == method and pattern.match(path)
            ),
            None,
        )
        kind = f"{method} {route[1]}" if route else f"{method} (unknown)"
        with runtime.workspace.lock:
            runtime.requests[kind] += 1
        status = self._api_inner(method, path, route, kind)
        with runtime.workspace.lock:
            runtime.statuses[f"{kind} {status}"] += 1

    def _api_inner(
        self, method: str, path: str, route: tuple[re.Pattern[str], str] | None, kind: str
    ) -> int:
        runtime = self.server.runtime
        ws = runtime.workspace
        if runtime.settings.latency_s > 0:
            time.sleep(runtime.settings.latency_s)
        try:
            body = self._read_body()
            if not self.headers.get("Notion-Version"):
                raise ApiError(
                    400,
                    "missing_version",
                    "Notion-Version header failed validation: Notion-Version header should be "
                    "defined, instead was `undefined`.",
                )
            auth = self.headers.get("Authorization", "")
            token = ws.authenticate(auth[7:] if auth.startswith("Bearer ") else None)
            with ws.lock:
                wait = runtime.take_rate_slot(token.token)
            if wait is not None:
                retry_after = max(1, math.ceil(wait))
                self._send_json(
                    429,
                    error_body(
                        429,
                        "rate_limited",
                        "You have been rate limited. Please try again in a few minutes.",
                    ),
                    {"Retry-After": str(retry_after)},
                )
                return 429
            with ws.lock:
                fault = runtime.next_fault(method, path)
            if fault is not None:
                return self._send_fault(fault)
            if route is None:
                raise ApiError(400, "invalid_request_url", "Invalid request URL.")
            pattern, _ = route
            match = pattern.match(path)
            assert match is not None
            object_id = match.group(1) if match.groups() else ""
            if not isinstance(body, dict):
                raise ApiError(400, "validation_error", "body should be an object")
            if kind == "POST /v1/pages":
                return self._create_page(body, token)
            result = self._call(kind, object_id, body, token)
            self._send_json(200, {**result, "request_id": str(uuid.uuid4())})
            return 200
        except ApiError as err:
            self._send_json(err.status, error_body(err.status, err.code, err.message))
            return err.status

    def _call(self, kind: str, object_id: str, body: Json, token: Token) -> Json:
        ws = self.server.runtime.workspace
        if kind == "GET /v1/databases/{id}":
            return ws.retrieve_database(object_id, token)
        if kind == "GET /v1/data_sources/{id}":
            return ws.retrieve_data_source(object_id, token)
        if kind == "PATCH /v1/data_sources/{id}":
            return ws.update_data_source(object_id, body, viewer=token)
        if kind == QUERY_KIND:
            return ws.query(object_id, body, token)
        if kind == "GET /v1/pages/{id}":
            return ws.retrieve_page(object_id, token)
        if kind == "POST /v1/search":
            return ws.search(body, token)
        if kind == "PATCH /v1/pages/{id}":
            return ws.update_page(object_id, body, token.bot_id, token)
        raise ApiError(400, "invalid_request_url", "Invalid request URL.")

    def _oauth(self, method: str, path: str) -> None:
        runtime = self.server.runtime
        kind = f"{method} {path}"
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.oauth.handle(method, path, query, headers, raw)
        with runtime.workspace.lock:
            runtime.requests[kind] += 1
            runtime.statuses[f"{kind} {reply.status}"] += 1
        write_reply(self, reply)

    def _create_page(self, body: Json, token: Token) -> int:
        runtime = self.server.runtime
        page = runtime.workspace.create_page(body, token)
        with runtime.workspace.lock:
            lost = runtime.next_lost_create()
        if lost is not None:
            # The page exists now; the client just never hears about it.
            if lost.mode == "504":
                # A gateway gave up waiting although the write went through.
                message = "Gateway timed out."
                self._send_json(504, error_body(504, "gateway_timeout", message))
                return 504
            if lost.mode == "timeout":
                time.sleep(lost.hold_s or runtime.settings.lost_response_hold_s)
            self.close_connection = True
            return 0
        self._send_json(200, {**page, "request_id": str(uuid.uuid4())})
        return 200

    def _send_fault(self, fault: FaultRule) -> int:
        if fault.status == 502:
            self._send_html_error(502)
            return 502
        code = _FAULT_CODES.get(fault.status, "internal_server_error")
        headers: dict[str, str] = {}
        if fault.status in (429, 529, 503) or fault.retry_after_s is not None:
            headers["Retry-After"] = str(
                fault.retry_after_s if fault.retry_after_s is not None else 1
            )
        message = {
            409: "Conflict occurred while saving. Please try again.",
            429: "You have been rate limited. Please try again in a few minutes.",
            529: "Notion is overloaded. Please try again later.",
        }.get(fault.status, "Unexpected error occurred.")
        self._send_json(fault.status, error_body(fault.status, code, message), headers)
        return fault.status

    # -------------------------------------------------------------------------------- admin

    def _admin(self, method: str, path: str) -> None:
        runtime = self.server.runtime
        ws = runtime.workspace
        body = self._read_body() if method != "GET" else {}
        if not isinstance(body, dict):
            raise ApiError(400, "validation_error", "admin body should be an object")
        parts = path.strip("/").split("/")[1:]  # drop "_admin"
        try:
            result = self._admin_route(method, parts, body, runtime, ws)
        except (KeyError, ValueError, TypeError) as exc:
            raise ApiError(400, "admin_error", f"{type(exc).__name__}: {exc}") from exc
        self._send_json(200, result)

    def _admin_route(
        self, method: str, parts: list[str], body: Json, runtime: EmulatorRuntime, ws: Workspace
    ) -> Any:
        route = (method, *parts)
        if route == ("GET", "state"):
            return ws.dump()
        if route == ("GET", "counters"):
            with ws.lock:
                return {"requests": dict(runtime.requests), "statuses": dict(runtime.statuses)}
        if route == ("POST", "counters", "reset"):
            with ws.lock:
                runtime.requests.clear()
                runtime.statuses.clear()
            return {}
        if route == ("POST", "settings"):
            return self._admin_settings(body, runtime, ws)
        if route == ("POST", "faults"):
            rule = FaultRule(
                status=int(body["status"]),
                remaining=int(body.get("count", 1)),
                method=body.get("method"),
                path_pattern=body.get("path"),
                retry_after_s=body.get("retry_after_s"),
            )
            with ws.lock:
                runtime.faults.append(rule)
            return asdict(rule)
        if route == ("POST", "faults", "clear"):
            with ws.lock:
                runtime.faults.clear()
                runtime.lost_creates.clear()
            return {}
        if route == ("POST", "faults", "lose_next_create"):
            lost = LostCreate(
                remaining=int(body.get("count", 1)),
                mode=str(body.get("mode", "timeout")),
                hold_s=body.get("hold_s"),
            )
            if lost.mode not in ("timeout", "drop", "504"):
                raise ValueError("mode must be timeout, drop or 504")
            with ws.lock:
                runtime.lost_creates.append(lost)
            return asdict(lost)
        if route == ("POST", "tokens"):
            return {"token": ws.add_token(body.get("token")).token}
        if route == ("POST", "tokens", "revoke"):
            ws.revoke_token(str(body["token"]))
            return {}
        if route == ("POST", "databases"):
            db = ws.create_database(
                title=str(body.get("title", "Study plan")),
                data_source_names=body.get("data_sources", ["Tasks"]),
                properties=body.get("properties"),
            )
            return {"database_id": db.id, "data_source_ids": list(db.data_source_ids)}
        if len(parts) == 3 and parts[0] == "data_sources" and method == "POST":
            if parts[2] in ("unshare", "share"):
                ws.set_shared(parts[1], parts[2] == "share")
                return {}
            if parts[2] == "schema":
                # The user editing columns in the Notion app: may add status options.
                return ws.update_data_source(parts[1], body, admin=True)
        if len(parts) == 2 and parts[0] == "pages" and method == "GET":
            # What the user sees in the app: the page as the API renders it, not counted.
            with ws.lock:
                return ws.render_page(ws.pages[normalize_id(parts[1])])
        if len(parts) == 3 and parts[0] == "pages" and parts[2] == "edit" and method == "POST":
            return self._admin_edit_page(parts[1], body, ws)
        if parts and parts[0] == "oauth":
            return self.server.oauth.admin(method, parts[1:], body)
        if parts and parts[0] == "webhooks":
            return self.server.webhooks.admin(method, parts[1:], body)
        if route == ("POST", "clock"):
            if "now" in body:
                ws.clock.set(parse_instant(str(body["now"]), field_name="now"))
            if "advance_s" in body:
                ws.clock.advance(float(body["advance_s"]))
            if body.get("release"):
                ws.clock.release()
            return {"now": ws.clock.now().isoformat(), "frozen": ws.clock.is_frozen()}
        raise ApiError(404, "admin_not_found", f"no admin route {method} /_admin/{'/'.join(parts)}")

    def _admin_settings(self, body: Json, runtime: EmulatorRuntime, ws: Workspace) -> Json:
        known = {f.name for f in fields(EmulatorSettings)}
        unknown = set(body) - known
        if unknown:
            raise KeyError(f"unknown settings {sorted(unknown)}")
        with ws.lock:
            for key, value in body.items():
                if key == "error_statuses":
                    value = tuple(int(v) for v in value)
                setattr(runtime.settings, key, value)
            if "seed" in body:
                runtime.rng.seed(int(body["seed"]))
            if "rate_per_s" in body or "burst" in body:
                runtime.buckets.clear()
            ws.auto_create_select_options = runtime.settings.auto_create_select_options
            return asdict(runtime.settings)

    def _admin_edit_page(self, page_id: str, body: Json, ws: Workspace) -> Json:
        """Act as the user in the Notion app: same validation as the API, edited by a person."""
        editor = str(body.pop("editor_id", "00000000-0000-4000-8000-000000000001"))
        with ws.lock:
            page = ws.pages.get(normalize_id(page_id))
            if page is None:
                raise KeyError("unknown page")
            if body.get("in_trash") is False and page.in_trash and body.get("properties"):
                ws.update_page(page_id, {"in_trash": False}, editor)
            return ws.update_page(page_id, body, editor)
