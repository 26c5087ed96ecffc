"""The HTTP server, the Python handle and the standalone entry point."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import fields
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from emulators.google.admin import HTTP_ACTIONS, AdminError, EmulatorAdmin
from emulators.google.replies import json_reply
from emulators.google.routes import Dispatcher
from emulators.google.settings import EmulatorSettings
from emulators.serving import QuietThreadingHTTPServer, Reply, RunningServer, write_reply

log = logging.getLogger(__name__)
ADMIN_PREFIX = "/_admin/"


class _Server(QuietThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        super().__init__(address, _Handler)
        self.dispatcher = dispatcher
        self.admin = EmulatorAdmin(dispatcher)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive, like Google; every reply therefore carries Content-Length.
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus the
        # client's delayed ACK adds ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        if self.path.startswith(ADMIN_PREFIX):
            self._send(_admin_http(self.server.admin, method, self.path, body))
            return
        reply, lost = self.server.dispatcher.handle_http(method, self.path, headers, body)
        if lost is not None:
            # The write happened; the client never hears about it.
            if lost.mode == "timeout":
                time.sleep(lost.hold_seconds)
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        write_reply(self, reply)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("google emulator: " + format, *args)


def _admin_http(admin: EmulatorAdmin, method: str, target: str, body: bytes) -> Reply:
    url = urlsplit(target)
    action = url.path[len(ADMIN_PREFIX) :].strip("/")
    if action not in HTTP_ACTIONS:
        return json_reply(404, {"error": f"unknown admin action {action!r}"})
    kwargs: dict[str, Any] = {k: v[0] for k, v in parse_qs(url.query).items()}
    if method == "POST" and body.strip():
        try:
            parsed = json.loads(body)
        except ValueError:
            return json_reply(400, {"error": "body must be a JSON object"})
        if not isinstance(parsed, dict):
            return json_reply(400, {"error": "body must be a JSON object"})
        kwargs.update(parsed)
    try:
        result = getattr(admin, action)(**kwargs)
    except (AdminError, TypeError, ValueError) as exc:
        return json_reply(400, {"error": str(exc)})
    return json_reply(200, {"result": _jsonable(result)})


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


class GoogleEmulator(RunningServer):
    """A running emulator. `base_url` is what the adapter's settings point at:
    API endpoint `base_url + "/calendar/v3/"`, batch `base_url + "/batch/calendar/v3"`,
    token URI `base_url + "/token"`, consent page `auth_uri`, revocation `revoke_uri`."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        self.base_url = f"http://{self.host}:{self.port}"
        self.api_endpoint = self.base_url + "/calendar/v3/"
        self.batch_uri = self.base_url + "/batch/calendar/v3"
        self.token_uri = self.base_url + "/token"
        self.auth_uri = self.base_url + "/o/oauth2/auth"
        self.revoke_uri = self.base_url + "/revoke"
        self.admin: EmulatorAdmin = server.admin
        self.settings: EmulatorSettings = server.dispatcher.settings


def _settings(overrides: dict[str, Any]) -> EmulatorSettings:
    known = {f.name for f in fields(EmulatorSettings)}
    unknown = set(overrides) - known
    if unknown:
        raise TypeError(f"unknown emulator settings: {sorted(unknown)}")
    return EmulatorSettings(**overrides)


def start_google_emulator(
    host: str = "127.0.0.1", port: int = 0, **settings: Any
) -> GoogleEmulator:
    """Start the emulator in a background thread (port 0: any free port)."""
    server = _Server((host, port), Dispatcher(_settings(settings)))
    # A short poll interval: stop() waits for the loop to notice, and tests stop a lot.
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="google-emulator", daemon=True
    )
    thread.start()
    return GoogleEmulator(server, thread)


def serve(host: str = "127.0.0.1", port: int = 8765, **settings: Any) -> None:
    """Run the emulator in the foreground until interrupted (`studyplanner emulate google`)."""
    server = _Server((host, port), Dispatcher(_settings(settings)))
    bound_host, bound_port = server.server_address[:2]
    base = f"http://{bound_host!s}:{bound_port}"
    grant = server.admin.grant()
    print(f"Google Calendar emulator on {base}")
    print(f"  STUDYPLANNER_GOOGLE_API_ENDPOINT={base}/calendar/v3/")
    print(f"  STUDYPLANNER_GOOGLE_TOKEN_URI={base}/token")
    print(f"  OAuth consent page {base}/o/oauth2/auth")
    print(f"  user {grant['email']}  client_id {grant['client_id']}")
    print(f"  admin: GET {base}/_admin/state, POST {base}/_admin/<action>", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
