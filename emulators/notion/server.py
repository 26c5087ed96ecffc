"""The Notion emulator's HTTP server: build it, run it in a thread, start it in-process
(`start_notion_emulator`) or standalone (`serve`, for `studyplanner emulate notion`)."""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import fields
from typing import Any

from emulators.notion.admin import NotionAdmin
from emulators.notion.clock import EmulatorClock
from emulators.notion.oauth import NotionOAuth
from emulators.notion.routes import _Handler
from emulators.notion.runtime import EmulatorRuntime, EmulatorSettings
from emulators.notion.state import Workspace
from emulators.serving import QuietThreadingHTTPServer, RunningServer

logger = logging.getLogger(__name__)


class _NotionHTTPServer(QuietThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], runtime: EmulatorRuntime) -> None:
        super().__init__(address, _Handler)
        self.runtime = runtime
        self.oauth = NotionOAuth(runtime)


def build_server(host: str, port: int, settings: EmulatorSettings) -> _NotionHTTPServer:
    workspace = Workspace(
        clock=EmulatorClock(), auto_create_select_options=settings.auto_create_select_options
    )
    runtime = EmulatorRuntime(
        workspace=workspace, settings=settings, rng=random.Random(settings.seed)
    )
    return _NotionHTTPServer((host, port), runtime)


def run_in_thread(server: _NotionHTTPServer) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="notion-emulator",
        daemon=True,
    )
    thread.start()
    return thread


class NotionEmulator(RunningServer):
    """A running emulator: `.base_url` for the client, `.admin` to drive it, `.stop()`."""

    def __init__(self, host: str, port: int, settings: EmulatorSettings) -> None:
        self._server = build_server(host, port, settings)
        bound_host, bound_port = self._server.server_address[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)
        self.base_url = f"http://{self.host}:{self.port}"
        self.authorize_url = self.base_url + "/v1/oauth/authorize"
        self.token_url = self.base_url + "/v1/oauth/token"
        self.settings = settings
        self.admin = NotionAdmin(self.base_url)
        self._thread = run_in_thread(self._server)


def _settings_from(overrides: dict[str, Any]) -> EmulatorSettings:
    known = {f.name for f in fields(EmulatorSettings)}
    unknown = set(overrides) - known
    if unknown:
        raise TypeError(f"unknown Notion emulator settings: {sorted(unknown)}")
    if "error_statuses" in overrides:
        overrides = {**overrides, "error_statuses": tuple(overrides["error_statuses"])}
    return EmulatorSettings(**overrides)


def start_notion_emulator(
    host: str = "127.0.0.1", port: int = 0, **settings: Any
) -> NotionEmulator:
    """Start the emulator in a background thread; `port=0` picks a free port."""
    return NotionEmulator(host, port, _settings_from(settings))


def serve(host: str = "127.0.0.1", port: int = 8766, **settings: Any) -> None:
    """Run the emulator in the foreground until interrupted (the CLI's `emulate notion`)."""
    server = build_server(host, port, _settings_from(settings))
    logger.info("Notion emulator listening on http://%s:%s", *server.server_address[:2])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
