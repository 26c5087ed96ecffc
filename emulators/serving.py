"""What both emulators share: an HTTP server that is quiet about clients hanging up, and a
handle that runs it in a background thread and stops it.

Clients of the emulators are killed on purpose (the chaos run SIGKILLs workers mid-request):
a reset connection is expected there, not an emulator error worth a traceback on stderr.
"""

from __future__ import annotations

import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any, Self


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class RunningServer:
    """A server serving in `_thread`; `stop()` (or leaving a `with` block) shuts it down."""

    _server: ThreadingHTTPServer
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
