"""Flower, the admins' window on the workers, against a real worker on Redis.

Flower runs as a subprocess exactly as in production (`celery -A worker flower --basic-auth=…`),
with the production app configured lazily from `STUDYPLANNER_*` variables; the worker runs in
this process (celery.contrib.testing) on the same broker. The test reads the JSON API an admin's
browser uses: the worker is listed, the heartbeat task shows up with its state and result, and
nothing but `/healthcheck` answers without the password.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import celery.contrib.testing.tasks  # noqa: F401  (registers the ping task start_worker needs)
import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from services.settings import Settings
from tasks.celery_app import HEARTBEAT_TASK, create_app

pytestmark = pytest.mark.redis

USER, PASSWORD = "admin", "secret-pass"
REPO_ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, *, auth: tuple[str, str] | None = None, timeout: float = 5) -> Reply:
    request = urllib.request.Request(url)
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.read().decode())
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(exc.code, exc.read().decode(errors="replace"))


def poll(probe: Callable[[], T | None], *, deadline: float, what: str) -> T:
    """Call `probe` until it returns something, or fail once `deadline` (monotonic) passed."""
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@dataclass(frozen=True)
class Flower:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, *, auth: bool = True) -> Reply:
        return http_get(self.base_url + path, auth=(USER, PASSWORD) if auth else None)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str, redis_url: str) -> Settings:
    return Settings(var_dir=tmp_path / "var", database_url=sqlite_url, broker_url=redis_url)


@pytest.fixture
def celery_app(settings: Settings) -> Celery:
    return create_app(settings)


@pytest.fixture
def flower(settings: Settings, tmp_path: Path) -> Iterator[Flower]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYPLANNER_")}
    env |= {
        "STUDYPLANNER_BROKER_URL": settings.broker_url,
        "STUDYPLANNER_DATABASE_URL": settings.effective_database_url,
        "STUDYPLANNER_VAR_DIR": str(settings.var_dir),
        "PYTHONPATH": str(REPO_ROOT),
    }
    log = tmp_path / "flower.log"
    with log.open("wb") as sink:
        # cwd is the scratch folder, so a developer's .env in the repository cannot leak in.
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker",
                "flower",
                "--address=127.0.0.1",
                f"--port={port}",
                f"--basic-auth={USER}:{PASSWORD}",
            ],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = Flower(f"http://127.0.0.1:{port}", process, log)
    try:
        # Generous: Flower imports Celery and Tornado; on 2 busy cores that alone can take 20 s.
        deadline = time.monotonic() + 90
        poll(lambda: _healthy(running), deadline=deadline, what=f"Flower to start:\n{log}")
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _healthy(flower: Flower) -> bool | None:
    if flower.process.poll() is not None:
        pytest.fail(f"Flower exited with {flower.process.returncode}:\n{flower.output()}")
    try:
        reply = flower.get("/healthcheck", auth=False)
    except OSError:  # not listening yet
        return None
    return True if reply.status == 200 else None


def _alive_in_flower(flower: Flower, hostname: str) -> bool | None:
    status = flower.get("/api/workers?status=true").json()
    return True if status.get(hostname) is True else None


def _inspected(flower: Flower, hostname: str) -> dict[str, Any] | None:
    # A refresh joins an inspection already in flight (e.g. Flower's own, started before the
    # worker came up), which can return without our worker: ask again until it is there.
    info = flower.get("/api/workers?refresh=true").json().get(hostname)
    if not info or "registered" not in info or "active_queues" not in info:
        return None
    return dict(info)


def _finished_task(flower: Flower, task_id: str) -> dict[str, Any] | None:
    task = flower.get("/api/tasks").json().get(task_id)
    if task is None or task.get("state") not in {"SUCCESS", "FAILURE"}:
        return None
    return dict(task)


def test_flower_shows_the_worker_and_its_tasks_behind_basic_auth(
    celery_app: Celery, flower: Flower
) -> None:
    assert celery_app.conf.worker_send_task_events, "Flower sees nothing without task events"
    hostname = f"flower-test-{uuid.uuid4().hex[:8]}@127.0.0.1"
    deadline = time.monotonic() + 120  # a bound for a hung run, not a speed check
    # The worker's heartbeat events (on here, off by default in start_worker) tell us when
    # Flower's event consumer is subscribed: events are fire-and-forget, so a task sent before
    # that moment would never show up in Flower.
    with start_worker(
        celery_app,
        pool="solo",
        hostname=hostname,
        without_heartbeat=False,
        perform_ping_check=True,
        shutdown_timeout=20,
    ):
        poll(lambda: _alive_in_flower(flower, hostname), deadline=deadline, what="worker events")
        sent = celery_app.send_task(HEARTBEAT_TASK)
        # A task that fails, as an admin would meet it: wrong arguments raise in the worker.
        failed = celery_app.send_task(HEARTBEAT_TASK, args=["unexpected"])
        result = sent.get(timeout=max(1.0, deadline - time.monotonic()))
        failed.get(timeout=max(1.0, deadline - time.monotonic()), propagate=False)
        task = poll(
            lambda: _finished_task(flower, sent.id), deadline=deadline, what="the task in Flower"
        )
        failure = poll(
            lambda: _finished_task(flower, failed.id), deadline=deadline, what="the failure"
        )
        workers = poll(
            lambda: _inspected(flower, hostname), deadline=deadline, what="the worker inspected"
        )

    assert task["name"] == HEARTBEAT_TASK
    assert task["state"] == "SUCCESS"
    assert task["worker"] == hostname
    # Flower shows the task's return value as its repr: the small summary, no personal data.
    assert task["result"] == repr(result)
    assert result["beats"] >= 1
    assert task["args"] == "()" and task["exception"] is None

    assert HEARTBEAT_TASK in workers["registered"]
    queues = {queue["name"] for queue in workers["active_queues"]}
    assert {"sync", "maintenance"} <= queues

    # What an admin reads about a failed task: its state, arguments, exception and traceback.
    assert failed.state == "FAILURE"
    assert failure["state"] == "FAILURE" and failure["worker"] == hostname
    assert failure["args"] == "['unexpected']"  # the repr of what was sent
    assert failure["exception"].startswith("TypeError(")
    assert "Traceback (most recent call last)" in failure["traceback"]
    assert failure["result"] is None

    # ... and how they find it among the others: filtering by state and task name.
    successes = flower.get(f"/api/tasks?state=SUCCESS&taskname={HEARTBEAT_TASK}").json()
    failures = flower.get("/api/tasks?state=FAILURE").json()
    assert sent.id in successes and failed.id not in successes
    assert failed.id in failures and sent.id not in failures
    # The search box of Flower's Tasks page takes the same query syntax as the API.
    query = urllib.parse.quote("state:FAILURE name:maintenance.heartbeat")
    assert list(flower.get(f"/api/tasks?search={query}").json()) == [failed.id]
    # ... including words inside the result summary (how a sync's outcome/error codes are found).
    query = urllib.parse.quote("name:heartbeat result:beats")
    assert list(flower.get(f"/api/tasks?search={query}").json()) == [sent.id]


def test_flower_refuses_the_api_without_the_password_but_keeps_health_and_metrics_open(
    flower: Flower,
) -> None:
    for path in ("/api/workers", "/api/tasks", "/tasks", "/workers", "/"):
        assert flower.get(path, auth=False).status == 401, path
    wrong = http_get(flower.base_url + "/api/workers", auth=(USER, "wrong"))
    assert wrong.status == 401
    assert flower.get("/api/workers").status == 200

    health = flower.get("/healthcheck", auth=False)
    assert (health.status, health.body) == (200, "OK")
    metrics = flower.get("/metrics", auth=False)
    assert metrics.status == 200 and "flower_" in metrics.body
