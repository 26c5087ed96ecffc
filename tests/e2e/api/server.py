"""A real uvicorn server on 127.0.0.1 in a thread (the pattern of httpx's own test server):
port 0, so parallel runs never collide; `started` polled, so no sleep guesses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tests.e2e.cli import STUDYPLANNER


@contextmanager
def serve(app: Any, *, timeout_s: float = 20.0) -> Iterator[str]:
    """Serve `app` (an ASGI app) and yield its base URL; shut it down after the block."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test API server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout_s)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_cli(
    env: dict[str, str], cwd: Path, *, workers: int = 1, timeout_s: float = 120.0
) -> Iterator[str]:
    """`studyplanner api serve` as a user starts it; yields its URL once /v1/health answers."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYPLANNER_")}
    full_env.update(env)
    log_path = cwd / f"api-serve-{port}.log"  # a file, not a pipe: a full pipe would block it
    log = log_path.open("w")
    proc = subprocess.Popen(
        [STUDYPLANNER, "api", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=cwd,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"api serve exited: {log_path.read_text()}")
            try:
                if httpx.get(f"{url}/v1/health", timeout=2).status_code in (200, 503):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("api serve did not answer in time")
            time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
