"""Chaos run: students synced by a real worker process that is SIGKILLed while its sync is
inside pull, write or push (a probe reads the step from PostgreSQL, `processes.py`; kills per
step are reported), while both emulators inject 5xx, 429 bursts and expired sync tokens and an
actor edits the students' tasks in Google and Notion — also tasks whose own change is waiting to
be pushed, and tasks of a student whose sync is pushing at that moment. Killed syncs are not
purged: the worker's short visibility timeout (`worker_app.py`) brings their messages back
within the run, and each send carries a unique trigger, so the redeliveries are counted. After
the faults stop and a clean cycle runs, the books must balance against the emulators' own state
(`verify.py`).

`run(config) -> ChaosResult` is used by `python -m bench.chaos` (the full run) and by the short
version in tests/e2e/test_chaos.py.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from celery import Celery
from sqlalchemy import Engine, select

from bench.chaos.processes import (
    STEPS,
    VISIBILITY_ENV,
    StepProbe,
    Worker,
    redeliveries,
    with_application_name,
)
from bench.chaos.verify import Edit, verify
from bench.students import seed_small_student
from db import crypto, migrate
from db.enums import SyncOutcome
from db.models import CalendarBlock, NotionTask, StudyTask, SyncRun, User
from db.session import make_engine, session_scope
from emulators.google import GoogleEmulator, start_google_emulator
from emulators.notion import NotionEmulator, start_notion_emulator
from planner.lifecycle import TaskStatus
from services.connect import connect_google, connect_notion
from services.settings import Settings, child_process_env
from tasks.celery_app import SYNC_QUEUE, create_app
from tasks.sync import SYNC_TASK

__all__ = ["ChaosConfig", "ChaosResult", "Worker", "run", "worker_env"]
_triggers = itertools.count(1)


@dataclass(frozen=True)
class ChaosConfig:
    database_url: str
    broker_url: str
    workdir: Path
    users: int = 50
    kills: int = 100
    error_rate: float = 0.05
    max_chaos_s: float = 900.0
    step_wait_s: float = 8.0  # how long to wait for a sync to reach the step chosen for a kill
    # After each restart the worker (booting takes ~4 s) runs unharmed this long, so syncs
    # complete, edits land while syncs push, and the faults rotate.
    run_between_kills_s: tuple[float, float] = (4.0, 8.0)
    edits_per_user: int = 2
    settle_timeout_s: float = 300.0
    task_time_limit_s: int = 15
    seed: int = 7
    fernet_key: str | None = None  # None: a fresh one (the test passes its own key ring's)
    emulator_latency_s: float = 0.02  # per request: pull and push last long enough to be hit

    @property
    def visibility_timeout_s(self) -> int:
        # Past the lock a killed sync leaves (2 × the hard limit), so a redelivery really runs.
        return 2 * self.task_time_limit_s + 4


@dataclass
class ChaosResult:
    metrics: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)


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


def send_syncs(app: Celery, users: dict[uuid.UUID, dict[str, Any]], trigger: str = "") -> None:
    """One sync per student; each message's trigger is unique ("chaos-N"), so a redelivered
    message shows as a second run with the same trigger."""
    with app.producer_or_acquire() as producer:
        for user_id in users:
            label = trigger or f"chaos-{next(_triggers)}"
            app.send_task(SYNC_TASK, args=(str(user_id), label), producer=producer)


class Actor:
    """The students: random edits in both tools, each task edited at most once — whether or not
    our own change to it is still waiting to be pushed (only what exists remotely is edited)."""

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
        self.mid_push_per_user: Counter[uuid.UUID] = Counter()  # a budget of their own

    def act(self, users: list[uuid.UUID], *, mid_push: bool = False) -> None:
        user_id = self.rng.choice(users)
        budget = self.mid_push_per_user if mid_push else self.per_user
        if budget[user_id] >= self.limit:
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
                    CalendarBlock.pending_delete.is_(False),
                    CalendarBlock.is_tombstoned.is_(False),
                    NotionTask.is_synced.is_(True),
                    NotionTask.pending_trash.is_(False),
                    NotionTask.is_trashed.is_(False),
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
        budget[user_id] += 1
        now = datetime.now(UTC)
        self.edits.append(
            Edit(
                kind,
                user_id,
                task.id,
                start,
                end,
                made_at=now,
                was_ahead=task.scheduled_start > now,
                on_dirty=block.is_dirty or page.is_dirty,
                mid_push=mid_push,
            )
        )


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
        send_syncs(app, users, trigger="settle")
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


def kill_in_steps(
    config: ChaosConfig,
    app: Celery,
    worker: Worker,
    users: dict[uuid.UUID, dict[str, Any]],
    actor: Actor,
    emulators: tuple[GoogleEmulator, NotionEmulator],
    rng: random.Random,
) -> tuple[Counter[str], Counter[str], int]:
    """Kill the worker while its sync is in a step chosen at random, until `config.kills`.
    Returns (kills by where they landed, targets never reached in time, rounds of syncs)."""
    google, _notion = emulators
    probe = StepProbe(make_engine(config.database_url))
    broker = redis.Redis.from_url(config.broker_url)
    landed: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    edited_runs: set[uuid.UUID] = set()
    rounds = 0
    # Round-robin over the steps (from a random one): each gets its share of the kills.
    targets = itertools.islice(itertools.cycle(STEPS), rng.randrange(len(STEPS)), None)

    def edit_mid_push(user_id: uuid.UUID, run_id: uuid.UUID) -> None:
        if run_id not in edited_runs:
            edited_runs.add(run_id)
            actor.act([user_id], mid_push=True)

    deadline = time.monotonic() + config.max_chaos_s
    while worker.kills < config.kills and time.monotonic() < deadline:
        if broker.llen(SYNC_QUEUE) < len(users):  # work keeps coming, without a backlog
            rounds += 1
            send_syncs(app, users)
        if worker.kills % 3 == 2:
            google.admin.fail_next(15, 429, retry_after=1)
        if worker.kills % 5 == 4:
            google.admin.expire_sync_tokens()
        for _ in range(2):
            actor.act(list(users))
        # Unharmed for a while (no step matches ""): syncs finish, students edit mid-push.
        calm = rng.uniform(*config.run_between_kills_s)
        probe.wait_for("", worker.started_at, calm, on_push=edit_mid_push)
        target = next(targets)
        seen = probe.wait_for(target, worker.started_at, config.step_wait_s, on_push=edit_mid_push)
        if seen is None:
            missed[target] += 1
            continue
        worker.kill()
        landed[probe.landed(seen)] += 1
        worker.start()
    probe.engine.dispose()
    broker.close()
    return landed, missed, rounds


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
    # The worker's connections are named (the probe finds its transactions by that name).
    named = settings.model_copy(update={"database_url": with_application_name(config.database_url)})
    env = {**worker_env(named), VISIBILITY_ENV: str(config.visibility_timeout_s)}
    worker = Worker(env, config.workdir / "worker.log", app="bench.chaos.worker_app")
    result = ChaosResult()
    since = datetime.now(UTC)
    try:
        users = seed_users(engine, config, settings, google, notion)
        log(f"seeded {len(users)} students")
        google.admin.configure(error_rate=config.error_rate, latency=config.emulator_latency_s)
        notion.admin.update_settings(
            error_rate=config.error_rate, latency_s=config.emulator_latency_s
        )
        actor = Actor(engine, google, notion, rng, config.edits_per_user)
        app.control.purge()  # what an earlier run left in the broker
        worker.start()
        warm_up(engine, app, users, timeout_s=90)
        landed, missed, rounds = kill_in_steps(
            config, app, worker, users, actor, (google, notion), rng
        )
        log(f"chaos over: {worker.kills} kills ({dict(landed)}) in {rounds} rounds; settling")
        google.admin.clear_faults()
        notion.admin.clear_faults()
        notion.admin.update_settings(error_rate=0.0, latency_s=0.0)
        # No purge: the killed syncs' messages come back after the visibility timeout (the
        # worker looks every 2 s), then everyone syncs until two clean runs in a row.
        time.sleep(config.visibility_timeout_s + 4)
        settled_since = datetime.now(UTC)
        settle_rounds = wait_settled(engine, app, users, settled_since, config.settle_timeout_s)
        counts, violations = verify(engine, google, notion, users, actor.edits)
        killed, back, back_ran = redeliveries(engine, since)
        result.metrics = {
            "users": len(users),
            "kills": worker.kills,
            **{f"kills_in_{step}": landed[step] for step in STEPS},
            "kills_after_sync": landed["after"],
            "kill_targets_missed": sum(missed.values()),
            "killed_syncs": killed,
            "redelivered": back,
            "redelivered_and_ran": back_ran,
            "chaos_rounds": rounds,
            "settle_rounds": settle_rounds,
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
