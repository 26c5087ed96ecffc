"""A ThreadingHTTPServer that does not print a traceback when a client hangs up.

Clients of the emulators are killed on purpose (the chaos run SIGKILLs workers mid-request);
a reset connection is expected there, not an emulator error worth a traceback on stderr.
"""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)
