"""Chaos run: many students synced by a real worker process that is SIGKILLed at random moments,
while both emulators inject 5xx, 429 bursts and expired sync tokens and an actor makes the
students' edits in Google and Notion. After the faults stop and a clean cycle runs, the books
must balance: one event and one page per live task, nothing orphaned or duplicated, every edit
reflected, and a `sync_errors` row for every failure that stuck to a row.

`run(config) -> ChaosResult` is used by `python -m bench.chaos` (the full run) and by the short
version in tests/e2e/test_chaos.py.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy import Engine, func, select

from bench.students import seed_small_student
from db import crypto, migrate
from db.enums import IntegrationHealth, SyncOutcome
from db.models import (
    CalendarBlock,
    IntegrationSettings,
    NotionTask,
    StudyTask,
    SyncError,
    SyncRun,
    User,
)
from db.session import make_engine, session_scope
from emulators.google import GoogleEmulator, start_google_emulator
from emulators.notion import NotionEmulator, start_notion_emulator
from planner.lifecycle import TaskStatus
from services.connect import connect_google, connect_notion
from services.settings import Settings, child_process_env
from tasks.celery_app import create_app
from tasks.sync import SYNC_TASK

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ChaosConfig:
    database_url: str
    broker_url: str
    workdir: Path
    users: int = 50
    kills: int = 100
    error_rate: float = 0.05
    max_chaos_s: float = 900.0
    kill_interval_s: tuple[float, float] = (0.4, 2.5)
    edits_per_user: int = 2
    settle_timeout_s: float = 300.0
    task_time_limit_s: int = 15
    seed: int = 7
    fernet_key: str | None = None  # None: a fresh one (the test passes its own key ring's)


@dataclass
class Edit:
    kind: str
    user_id: uuid.UUID
    task_id: uuid.UUID
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class ChaosResult:
    metrics: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)


class Worker:
    """A real `celery worker` process, killed with SIGKILL and started again."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                "sync,maintenance",
                f"--hostname=chaos-{uuid.uuid4().hex[:6]}@%h",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def settings_for(
    config: ChaosConfig,
    google: GoogleEmulator,
    notion: NotionEmulator,
    keys: str,
    grant: dict[str, Any],
) -> Settings:
    return Settings(
        var_dir=config.workdir / "var",
        database_url=config.database_url,
        broker_url=config.broker_url,
        fernet_keys=keys,
        google_api_endpoint=google.base_url,
        google_token_uri=google.token_uri,
        google_client_id=grant["client_id"],
        google_client_secret=grant["client_secret"],
        notion_base_url=notion.base_url,
        notion_rate_per_s=40.0,
        notion_burst=10,
        task_time_limit_s=config.task_time_limit_s,
        task_soft_time_limit_s=max(1, config.task_time_limit_s - 3),
        dispatch_spread_max_s=0,
    )


def worker_env(settings: Settings) -> dict[str, str]:
    return child_process_env(settings, STUDYPLANNER_LOG_LEVEL="WARNING")


def seed_users(
    engine: Engine,
    config: ChaosConfig,
    settings: Settings,
    google: GoogleEmulator,
    notion: NotionEmulator,
) -> dict[uuid.UUID, dict[str, Any]]:
    now = datetime.now(UTC)
    users: dict[uuid.UUID, dict[str, Any]] = {}
    for index in range(config.users):
        email = f"chaos{index}@example.edu"
        grant = google.admin.add_user(email)
        workspace = notion.admin.create_workspace()
        user_id = seed_small_student(
            engine, now, email=email, rng=random.Random(config.seed + index)
        )
        with session_scope(engine) as session:
            user = session.get(User, user_id)
            assert user is not None
            connect_google(session, user, grant)
            connect_notion(
                session, settings, user, token=workspace.token, database_id=workspace.database_id
            )
        users[user_id] = {"email": email, "workspace": workspace}
    return users


def send_syncs(app: Celery, users: dict[uuid.UUID, dict[str, Any]]) -> None:
    with app.producer_or_acquire() as producer:
        for user_id in users:
            app.send_task(SYNC_TASK, args=(str(user_id), "chaos"), producer=producer)


class Actor:
    """The students: random edits in both tools, each task edited at most once."""

    def __init__(
        self,
        engine: Engine,
        google: GoogleEmulator,
        notion: NotionEmulator,
        rng: random.Random,
        limit: int,
    ) -> None:
        self.engine, self.google, self.notion, self.rng = engine, google, notion, rng
        self.limit = limit
        self.edits: list[Edit] = []
        self.touched: set[uuid.UUID] = set()
        self.per_user: Counter[uuid.UUID] = Counter()

    def act(self, users: list[uuid.UUID]) -> None:
        user_id = self.rng.choice(users)
        if self.per_user[user_id] >= self.limit:
            return
        with session_scope(self.engine) as session:
            candidates = session.execute(
                select(StudyTask, CalendarBlock, NotionTask)
                .join(CalendarBlock, CalendarBlock.study_task_id == StudyTask.id)
                .join(NotionTask, NotionTask.study_task_id == StudyTask.id)
                .where(
                    StudyTask.user_id == user_id,
                    StudyTask.status == TaskStatus.SCHEDULED,
                    CalendarBlock.is_synced.is_(True),
                    CalendarBlock.is_dirty.is_(False),
                    NotionTask.is_synced.is_(True),
                    NotionTask.is_dirty.is_(False),
                )
            ).all()
            candidates = [c for c in candidates if c[0].id not in self.touched]
            if not candidates:
                return
            task, block, page = self.rng.choice(sorted(candidates, key=lambda c: str(c[0].id)))
            session.expunge_all()
        kind = self.rng.choice(
            ["move_block", "delete_block", "notion_done", "notion_move", "notion_trash"]
        )
        assert task.scheduled_start is not None and task.scheduled_end is not None
        shift = timedelta(minutes=self.rng.choice([-90, -60, 60, 120, 24 * 60]))
        start, end = task.scheduled_start + shift, task.scheduled_end + shift
        calendar = block.google_calendar_id or ""
        if kind == "move_block":
            self.google.admin.move_event(calendar, block.google_event_id or "", start, end)
        elif kind == "delete_block":
            self.google.admin.delete_event(calendar, block.google_event_id or "")
        elif kind == "notion_done":
            self.notion.admin.set_status(page.notion_page_id or "", "Done")
        elif kind == "notion_move":
            self.notion.admin.move_date(page.notion_page_id or "", start, end)
        else:
            self.notion.admin.trash(page.notion_page_id or "")
        self.touched.add(task.id)
        self.per_user[user_id] += 1
        self.edits.append(Edit(kind, user_id, task.id, start, end))


def warm_up(
    engine: Engine, app: Celery, users: dict[uuid.UUID, dict[str, Any]], timeout_s: float
) -> None:
    """Chaos begins from a steady state: half the students synced once (so the actor has
    something to edit). Faults are already on; kills are not yet."""
    send_syncs(app, users)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with session_scope(engine) as session:
            done = set(
                session.scalars(select(SyncRun.user_id).where(SyncRun.finished_at.is_not(None)))
            )
        if len(done & set(users)) * 2 >= len(users):
            return
        time.sleep(0.5)


def wait_settled(
    engine: Engine,
    app: Celery,
    users: dict[uuid.UUID, dict[str, Any]],
    since: datetime,
    timeout_s: float,
) -> int:
    """Sync everyone until each has two OK runs started after `since` (the second one proves
    the first converged). Returns the number of rounds."""
    deadline = time.monotonic() + timeout_s
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        send_syncs(app, users)
        round_deadline = time.monotonic() + 60
        while time.monotonic() < min(deadline, round_deadline):
            time.sleep(1.0)
            with session_scope(engine) as session:
                ok = Counter(
                    session.scalars(
                        select(SyncRun.user_id).where(
                            SyncRun.started_at >= since, SyncRun.outcome == SyncOutcome.OK
                        )
                    )
                )
            if all(ok[u] >= 2 for u in users):
                return rounds
            if all(ok[u] >= rounds for u in users):
                break
    raise TimeoutError(f"not settled within {timeout_s:.0f}s")


def verify(
    engine: Engine,
    google: GoogleEmulator,
    notion: NotionEmulator,
    users: dict[uuid.UUID, dict[str, Any]],
    edits: list[Edit],
) -> tuple[dict[str, int], list[str]]:
    violations: list[str] = []
    counts: Counter[str] = Counter(
        dict.fromkeys(
            (
                "edits",
                "edits_reflected",
                "edits_lost",
                "orphan_events",
                "orphan_pages",
                "missing_or_duplicate_events",
                "missing_or_duplicate_pages",
            ),
            0,
        )
    )
    with session_scope(engine) as session:
        for user_id, info in users.items():
            row = session.scalars(
                select(IntegrationSettings).where(IntegrationSettings.user_id == user_id)
            ).one()
            tasks = {
                t.id: t
                for t in session.scalars(select(StudyTask).where(StudyTask.user_id == user_id))
            }
            blocks = list(
                session.scalars(select(CalendarBlock).where(CalendarBlock.user_id == user_id))
            )
            pages = list(session.scalars(select(NotionTask).where(NotionTask.user_id == user_id)))
            if (
                row.google_health != IntegrationHealth.OK
                or row.notion_health != IntegrationHealth.OK
            ):
                violations.append(f"{info['email']}: integration not healthy after the clean cycle")
            events = [
                e
                for e in google.admin.events(row.google_calendar_id or "")
                if e.get("status") != "cancelled"
            ]
            by_event = Counter(e["id"] for e in events)
            live_blocks = {b.google_event_id: b for b in blocks if not b.is_tombstoned}
            counts["live_events"] += len(events)
            counts["live_tasks"] += sum(
                1
                for t in tasks.values()
                if t.status in (TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS)
            )
            for block in blocks:
                if block.is_dirty or block.pending_delete:
                    violations.append(
                        f"{info['email']}: block {block.id} still dirty after the clean cycle"
                    )
                found = by_event[block.google_event_id]
                if not block.is_tombstoned and found != 1:
                    violations.append(f"{info['email']}: {block.study_task_id} has {found} events")
                    counts["missing_or_duplicate_events"] += 1
            for event_id in by_event:
                if event_id not in live_blocks:
                    violations.append(f"{info['email']}: orphan event {event_id}")
                    counts["orphan_events"] += 1
            for task in tasks.values():
                if task.status is TaskStatus.SCHEDULED and not any(
                    b.study_task_id == task.id for b in blocks
                ):
                    violations.append(f"{info['email']}: scheduled task {task.id} has no block")
            workspace = info["workspace"]
            remote_pages = [
                p
                for p in notion.admin.pages(data_source_id=workspace.data_source_id)
                if not p.get("in_trash")
            ]
            by_task = Counter(_task_id_of(p) for p in remote_pages)
            counts["live_pages"] += len(remote_pages)
            live_rows = {str(p.study_task_id): p for p in pages if not p.is_trashed}
            for page in pages:
                if page.is_dirty:
                    violations.append(f"{info['email']}: page of {page.study_task_id} still dirty")
                found = by_task[str(page.study_task_id)]
                if not page.is_trashed and found != 1:
                    violations.append(f"{info['email']}: {page.study_task_id} has {found} pages")
                    counts["missing_or_duplicate_pages"] += 1
            for task_id, n in by_task.items():
                if task_id not in live_rows:
                    violations.append(f"{info['email']}: orphan page for {task_id} ({n})")
                    counts["orphan_pages"] += 1
            stuck = [b for b in blocks if b.sync_error] + [p for p in pages if p.sync_error]
            recorded = set(
                session.scalars(select(SyncError.object_id).where(SyncError.user_id == user_id))
            )
            for item in stuck:
                if str(item.id) not in recorded:
                    violations.append(
                        f"{info['email']}: {item.id} has sync_error but no sync_errors row"
                    )
        for edit in edits:
            edited = session.get(StudyTask, edit.task_id)
            assert edited is not None
            reflected = {
                "move_block": edited.scheduled_start == edit.start and edited.is_pinned,
                "notion_move": edited.scheduled_start == edit.start and edited.is_pinned,
                "delete_block": edited.status is TaskStatus.SKIPPED,
                "notion_trash": edited.status is TaskStatus.SKIPPED,
                "notion_done": edited.status is TaskStatus.COMPLETED,
            }[edit.kind]
            counts["edits"] += 1
            if reflected:
                counts["edits_reflected"] += 1
            else:
                counts["edits_lost"] += 1
                state = f"{edited.status.value} at {edited.scheduled_start}"
                violations.append(f"edit {edit.kind} of task {edit.task_id} lost (task {state})")
        counts["sync_runs"] = session.scalar(select(func.count()).select_from(SyncRun)) or 0
        counts["sync_errors"] = session.scalar(select(func.count()).select_from(SyncError)) or 0
    return dict(counts), violations


def _task_id_of(page: dict[str, Any]) -> str:
    prop = page.get("properties", {}).get("Task ID", {})
    return "".join(
        part.get("plain_text", part.get("text", {}).get("content", ""))
        for part in prop.get("rich_text", [])
    )


def run(config: ChaosConfig, *, log: Any = print) -> ChaosResult:
    started = time.monotonic()
    rng = random.Random(config.seed)
    config.workdir.mkdir(parents=True, exist_ok=True)
    from cryptography.fernet import Fernet

    keys = config.fernet_key or Fernet.generate_key().decode()
    crypto.configure_keys([keys])
    migrate.upgrade(config.database_url)
    engine = make_engine(config.database_url)
    google = start_google_emulator("127.0.0.1", 0, seed=config.seed)
    notion = start_notion_emulator("127.0.0.1", 0, rate_per_s=60.0, burst=20.0, seed=config.seed)
    grant = google.admin.grant()
    settings = settings_for(config, google, notion, keys, grant)
    app = create_app(settings)
    worker = Worker(worker_env(settings), config.workdir / "worker.log")
    result = ChaosResult()
    try:
        users = seed_users(engine, config, settings, google, notion)
        log(f"seeded {len(users)} students")
        google.admin.configure(error_rate=config.error_rate)
        notion.admin.update_settings(error_rate=config.error_rate)
        actor = Actor(engine, google, notion, rng, config.edits_per_user)
        worker.start()
        warm_up(engine, app, users, timeout_s=90)
        chaos_deadline = time.monotonic() + config.max_chaos_s
        cycles = 0
        next_kill = time.monotonic() + rng.uniform(*config.kill_interval_s)
        while worker.kills < config.kills and time.monotonic() < chaos_deadline:
            cycles += 1
            # A cycle's syncs supersede the last cycle's: drop what is still queued, or a backlog
            # of thousands of stale syncs would stand between the faults and the clean cycle.
            app.control.purge()
            send_syncs(app, users)
            if cycles % 3 == 0:
                google.admin.fail_next(15, 429, retry_after=1)
            if cycles % 5 == 0:
                google.admin.expire_sync_tokens()
            for _ in range(max(2, len(users) // 3)):
                actor.act(list(users))
            cycle_end = time.monotonic() + 3.0
            while time.monotonic() < cycle_end:
                if time.monotonic() >= next_kill:
                    worker.kill()
                    worker.start()
                    next_kill = time.monotonic() + rng.uniform(*config.kill_interval_s)
                time.sleep(0.05)
        log(f"chaos over: {worker.kills} kills in {cycles} cycles; settling")
        google.admin.clear_faults()
        notion.admin.clear_faults()
        notion.admin.update_settings(error_rate=0.0)
        worker.kill()
        worker.start()
        # Locks held by killed workers expire after 2 × the hard time limit.
        time.sleep(2 * config.task_time_limit_s + 1)
        app.control.purge()
        since = datetime.now(UTC)
        rounds = wait_settled(engine, app, users, since, config.settle_timeout_s)
        counts, violations = verify(engine, google, notion, users, actor.edits)
        result.metrics = {
            "users": len(users),
            "kills": worker.kills,
            "chaos_cycles": cycles,
            "settle_rounds": rounds,
            **counts,
            "violations": len(violations),
            "duration_s": round(time.monotonic() - started, 1),
        }
        result.violations = violations
        return result
    finally:
        worker.stop()
        google.stop()
        notion.stop()
        engine.dispose()
