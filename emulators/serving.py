"""What both emulators share: an HTTP server that is quiet about clients hanging up, a reply
value and the code that writes it, and a handle that runs the server in a background thread and
stops it (with whatever else the emulator runs in the background: see `add_closer`).

Clients of the emulators are killed on purpose (the chaos run SIGKILLs workers mid-request):
a reset connection is expected there, not an emulator error worth a traceback on stderr.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

JSON_UTF8 = "application/json; charset=UTF-8"


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


@dataclass
class Reply:
    """One HTTP answer: what the routes build and `write_reply` sends."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_UTF8


def write_reply(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    handler.send_response(reply.status)
    if reply.content_type:
        handler.send_header("Content-Type", reply.content_type)
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(reply.body)))
    handler.end_headers()
    handler.wfile.write(reply.body)


class RunningServer:
    """A server serving in `_thread`; `stop()` (or leaving a `with` block) shuts it down, and
    then runs the closers (background delivery threads) registered with `add_closer`."""

    _server: ThreadingHTTPServer
    _thread: threading.Thread
    _closers: list[Callable[[], None]]

    def add_closer(self, closer: Callable[[], None]) -> None:
        if not hasattr(self, "_closers"):
            self._closers = []
        self._closers.append(closer)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        for closer in getattr(self, "_closers", []):
            closer()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
