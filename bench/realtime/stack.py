"""The whole push loop, as in production but on one machine: PostgreSQL, Redis, both emulators
(in this process, delivering their push to the API), `studyplanner api serve` receiving the
webhooks, a `celery worker` (the production command: prefork, `-Q sync,maintenance`) and a
`celery beat`, each its own process. Used by the latency and idle-calls benchmarks."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from celery import Celery
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select, update

from bench.students import seed_small_student
from db import crypto, migrate
from db.enums import ChannelStatus
from db.models import IntegrationSettings, PushChannel, User
from db.session import make_engine, session_scope
from emulators.google import GoogleEmulator, start_google_emulator
from emulators.notion import NotionEmulator, start_notion_emulator
from emulators.notion.admin import EmulatedWorkspace
from services.bootstrap import configure_process
from services.connect import connect_google, connect_notion
from services.realtime.notion import notion_hook_state
from services.settings import Settings, child_process_env
from services.sync.run import SyncOptions, sync_user
from tasks.celery_app import create_app

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 120.0


@dataclass
class Student:
    user_id: uuid.UUID
    email: str
    workspace: EmulatedWorkspace
    calendar_id: str = ""


@dataclass
class Stack:
    settings: Settings
    google: GoogleEmulator
    notion: NotionEmulator
    engine: Engine
    app: Celery
    workdir: Path
    students: list[Student] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    subscription_id: str | None = None


def wait_for(condition: Any, what: str, timeout_s: float = WAIT_S, every_s: float = 0.2) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every_s)
    raise TimeoutError(f"timed out waiting for {what}")


def base_settings(
    workdir: Path,
    database_url: str,
    redis_url: str,
    google: GoogleEmulator,
    notion: NotionEmulator,
    grant: dict[str, Any],
    keys: str,
    **overrides: Any,
) -> Settings:
    """The production defaults (debounce, storm cap, Notion rate limit, poll intervals) but
    for the addresses of this machine; `overrides` name what a benchmark changes."""
    values: dict[str, Any] = {
        "var_dir": workdir / "var",
        "database_url": database_url,
        "broker_url": redis_url,
        "redis_url": redis_url,
        "fernet_keys": keys,
        "google_api_endpoint": google.base_url,
        "google_token_uri": google.token_uri,
        "google_client_id": grant["client_id"],
        "google_client_secret": grant["client_secret"],
        "notion_base_url": notion.base_url,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@contextmanager
def emulators() -> Iterator[tuple[GoogleEmulator, NotionEmulator]]:
    google = start_google_emulator("127.0.0.1", 0)
    notion = start_notion_emulator("127.0.0.1", 0)
    try:
        yield google, notion
    finally:
        google.stop()
        notion.stop()


def seed_students(
    stack: Stack, count: int, *, assessments: int = 6, seed: int = 13
) -> list[Student]:
    """Students with both tools connected, each synced once in this process (with a faster
    Notion limiter than production, only to make the seeding quick), so the benchmark starts
    from a steady state: every planned block in Google, every task a Notion page."""
    now = datetime.now(UTC)
    fast = stack.settings.model_copy(update={"notion_rate_per_s": 50.0, "notion_burst": 20})
    stack.notion.admin.update_settings(rate_per_s=100.0, burst=100.0)
    made = []
    for index in range(count):
        email = f"rt{index}-{uuid.uuid4().hex[:6]}@bench.edu"
        grant = stack.google.admin.add_user(email)
        workspace = stack.notion.admin.create_workspace()
        user_id = seed_small_student(
            stack.engine,
            now,
            email=email,
            rng=random.Random(seed + index),
            assessments=assessments,
            zone="UTC",
        )
        with session_scope(stack.engine) as session:
            user = session.get(User, user_id)
            assert user is not None
            connect_google(session, user, grant)
            connect_notion(
                session, fast, user, token=workspace.token, database_id=workspace.database_id
            )
        report = sync_user(stack.engine, fast, user_id, options=SyncOptions(trigger="bench"))
        if report.outcome.value != "ok":
            raise RuntimeError(f"seeding sync of {email}: {report.outcome.value}")
        with session_scope(stack.engine) as session:
            row = session.scalars(
                select(IntegrationSettings).where(IntegrationSettings.user_id == user_id)
            ).one()
            calendar = row.google_calendar_id or ""
        made.append(Student(user_id, email, workspace, calendar))
    # Back to the emulator's own limits (Notion: 3 requests/s per token, bursts of 10).
    defaults = type(stack.notion.settings)()
    stack.notion.admin.update_settings(rate_per_s=defaults.rate_per_s, burst=defaults.burst)
    stack.students.extend(made)
    return made


def start_process(stack: Stack, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
    log = open(stack.workdir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
    proc = subprocess.Popen(
        argv,
        env=child_process_env(stack.settings),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack.processes.append(proc)
    return proc


def start_worker(stack: Stack) -> None:
    """The production worker command (docker-compose.yml), prefork with the default
    concurrency (the CPU count), and one beat."""
    celery = [sys.executable, "-m", "celery", "-A", "worker"]
    start_process(
        stack,
        "worker",
        [
            *celery,
            "worker",
            "-E",
            "--loglevel=WARNING",
            "-Q",
            "sync,maintenance",
            f"--hostname=bench-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
    )
    schedule = stack.workdir / f"celerybeat-{uuid.uuid4().hex[:6]}"
    start_process(stack, "beat", [*celery, "beat", "--loglevel=WARNING", f"--schedule={schedule}"])
    wait_for(lambda: stack.app.control.ping(timeout=1.0), "the worker to answer a ping", 90)


def start_api(stack: Stack, port: int) -> str:
    """`studyplanner api serve` on `port` (the public base URL points at it)."""
    import httpx

    url = f"http://127.0.0.1:{port}"
    studyplanner = str(Path(sys.executable).with_name("studyplanner"))
    start_process(stack, "api", [studyplanner, "api", "serve", "--port", str(port)])

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/v1/health", timeout=2).status_code in (200, 503)
        except httpx.TransportError:
            return False

    wait_for(answers, "the API to answer", 90)
    return url


def stop_processes(stack: Stack) -> None:
    for proc in reversed(stack.processes):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in reversed(stack.processes):
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    stack.processes.clear()


def open_channels(stack: Stack) -> int:
    """What beat's `renew_push_channels` does every 10 minutes, run once now (a new student
    would otherwise wait up to 10 minutes for their channels). Returns the active channels."""
    result = stack.app.send_task("studyplanner.maintenance.renew_push_channels").get(timeout=120)
    if result.get("failed"):
        raise RuntimeError(f"watch channels refused: {result}")
    with session_scope(stack.engine) as session:
        return len(
            list(
                session.scalars(
                    select(PushChannel.id).where(PushChannel.status == ChannelStatus.ACTIVE)
                )
            )
        )


def subscribe_notion(stack: Stack, url: str, delay_s: float) -> None:
    """The admin's part: subscribe in the integration's settings, read the verification token
    our endpoint stored (what `studyplanner webhooks notion-token` prints), paste it back."""
    sub = stack.notion.admin.subscribe_webhook(url + "/v1/webhooks/notion", delay_s=delay_s)
    stack.subscription_id = str(sub["id"])

    def stored() -> str | None:
        with session_scope(stack.engine) as session:
            state = notion_hook_state(session)
            return state.token if state else None

    wait_for(stored, "the Notion verification token")
    stack.notion.admin.verify_webhook(stack.subscription_id, stored() or "")


def set_notion_delay(stack: Stack, delay_s: float) -> None:
    assert stack.subscription_id is not None
    stack.notion.admin.update_webhook(stack.subscription_id, delay_s=delay_s)


def poll_everyone_now(stack: Stack) -> None:
    """Make every student due at the next dispatch (their phase then restarts from now)."""
    with session_scope(stack.engine) as session:
        session.execute(update(IntegrationSettings).values(next_sync_at=None))


def push_out_polls(stack: Stack, hours: float = 24.0) -> None:
    """Keep beat's polling away during a push measurement (the healthy interval is 4 h, but
    a student made due by seeding would be polled once at the start)."""
    later = datetime.now(UTC) + timedelta(hours=hours)
    with session_scope(stack.engine) as session:
        session.execute(update(IntegrationSettings).values(next_sync_at=later))


@contextmanager
def bench_stack(postgres_url: str, redis_url: str, **overrides: Any) -> Iterator[tuple[Stack, int]]:
    """A scratch PostgreSQL database, the Redis database `redis_url` names (emptied first:
    give the benchmark one of its own), both emulators, and push-on settings whose public
    base URL is the port returned (where `start_api` will listen). No process started yet."""
    import redis

    from tests.e2e.api.server import free_port
    from tests.scratch import create_scratch_postgres, drop_scratch_postgres

    key = Fernet.generate_key().decode()
    crypto.configure_keys([key])
    workdir = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
    database_url = create_scratch_postgres(postgres_url, prefix="bench_realtime")
    redis.Redis.from_url(redis_url).flushdb()
    try:
        with emulators() as (google, notion):
            port = free_port()
            settings = base_settings(
                workdir,
                database_url,
                redis_url,
                google,
                notion,
                google.admin.grant(),
                key,
                push_enabled=True,
                public_base_url=f"http://127.0.0.1:{port}",
                **overrides,
            )
            configure_process(settings)
            migrate.upgrade(database_url)
            engine = make_engine(database_url)
            stack = Stack(settings, google, notion, engine, create_app(settings), workdir)
            try:
                yield stack, port
            finally:
                stop_processes(stack)
                engine.dispose()
    finally:
        drop_scratch_postgres(postgres_url, database_url)


def switch_to_polling(stack: Stack, interval_min: int, dispatch_interval_s: float) -> None:
    """Push off everywhere — no receiver, no channels, no subscription — and every student
    polled every `interval_min`, restarting the worker and beat with those settings."""
    stop_processes(stack)
    for channel in stack.google.admin.channels():
        stack.google.admin.expire_channel(channel["id"])
    if stack.subscription_id is not None:
        stack.notion.admin.remove_webhook(stack.subscription_id)
        stack.subscription_id = None
    stack.settings = stack.settings.model_copy(
        update={"push_enabled": False, "dispatch_interval_s": dispatch_interval_s}
    )
    with session_scope(stack.engine) as session:
        session.execute(update(IntegrationSettings).values(auto_sync_interval_min=interval_min))
    poll_everyone_now(stack)
    start_worker(stack)
