"""The chaos run's worker process and the probe that says which step its sync is in.

The worker is a real `celery worker --pool=solo` (one sync at a time) on the product's app with a
short Redis visibility timeout (`bench.chaos.worker_app`), so a SIGKILLed sync's unacknowledged
message is redelivered within the run. Its database connections carry an application name, so
the probe can see in `pg_stat_activity` whether the worker holds a transaction open.

Which step a sync is in, read from outside the process (PostgreSQL only):
- its `sync_runs` row exists and is unfinished, and `integration.last_sync_at` is not yet its
  start → the write step has not committed: **write** while the worker holds a transaction open
  (the write step is one transaction), else **pull** (gather holds none);
- `last_sync_at` equals the run's start → the write committed: **push** (the record that follows
  is a few milliseconds).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from db.models import IntegrationSettings, SyncRun

ROOT = Path(__file__).resolve().parents[2]
APPLICATION_NAME = "chaos-worker"
STEPS = ("pull", "write", "push")
VISIBILITY_ENV = "CHAOS_VISIBILITY_TIMEOUT_S"  # read by worker_app.py


def with_application_name(database_url: str) -> str:
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        raise ValueError("the chaos run needs PostgreSQL (it reads pg_stat_activity)")
    return url.update_query_dict({"application_name": APPLICATION_NAME}).render_as_string(
        hide_password=False
    )


class Worker:
    """A real `celery worker` process, killed with SIGKILL and started again."""

    def __init__(self, env: dict[str, str], log: Path, app: str = "worker") -> None:
        self.env = env
        self.log = log
        self.app = app
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.started_at = datetime.now(UTC)

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115 - owned by the child
        self.started_at = datetime.now(UTC)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                self.app,
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


@dataclass(frozen=True)
class Seen:
    step: str  # "idle" or one of STEPS
    run_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    started_at: datetime | None = None


class StepProbe:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def look(self, since: datetime) -> Seen:
        """The step of the sync the worker started after `since` and has not finished."""
        with self.engine.connect() as conn:
            run = conn.execute(
                select(SyncRun.id, SyncRun.user_id, SyncRun.started_at)
                .where(SyncRun.finished_at.is_(None), SyncRun.started_at >= since)
                .order_by(SyncRun.started_at.desc())
                .limit(1)
            ).first()
            if run is None:
                return Seen("idle")
            last_sync = conn.scalar(
                select(IntegrationSettings.last_sync_at).where(
                    IntegrationSettings.user_id == run.user_id
                )
            )
            if last_sync == run.started_at:
                return Seen("push", run.id, run.user_id, run.started_at)
            open_transactions = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = :name AND xact_start IS NOT NULL"
                ),
                {"name": APPLICATION_NAME},
            )
            step = "write" if open_transactions else "pull"
            return Seen(step, run.id, run.user_id, run.started_at)

    def wait_for(
        self,
        target: str,
        since: datetime,
        timeout_s: float,
        *,
        on_push: Callable[[uuid.UUID, uuid.UUID], None] | None = None,
    ) -> Seen | None:
        """Poll until the worker's sync is in `target`; `on_push(user_id, run_id)` is called
        whenever a sync is seen pushing (the student may edit right then)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            seen = self.look(since)
            if seen.step == target:
                return seen
            if seen.step == "push" and on_push and seen.user_id and seen.run_id:
                on_push(seen.user_id, seen.run_id)
            time.sleep(0.003)
        return None

    def landed(self, seen: Seen) -> str:
        """Where a kill made right after `seen` really landed (the process is dead now, so what
        the database holds is final): a write that committed in between means push."""
        with self.engine.connect() as conn:
            finished = conn.scalar(select(SyncRun.finished_at).where(SyncRun.id == seen.run_id))
            if finished is not None:
                return "after"
            last_sync = conn.scalar(
                select(IntegrationSettings.last_sync_at).where(
                    IntegrationSettings.user_id == seen.user_id
                )
            )
        if seen.step != "push" and last_sync == seen.started_at:
            return "push"
        return seen.step


def redeliveries(engine: Engine, since: datetime) -> tuple[int, int, int]:
    """(killed syncs, killed syncs whose message came back — a later run with the same unique
    trigger —, of those, redeliveries that ran rather than being skipped)."""
    with engine.connect() as conn:
        runs = conn.execute(
            select(SyncRun.trigger, SyncRun.started_at, SyncRun.finished_at, SyncRun.outcome)
            .where(SyncRun.started_at >= since, SyncRun.trigger.like("chaos-%"))
            .order_by(SyncRun.started_at)
        ).all()
    killed = [r for r in runs if r.finished_at is None]
    back = ran = 0
    for dead in killed:
        later = [r for r in runs if r.trigger == dead.trigger and r.started_at > dead.started_at]
        if later:
            back += 1
            ran += any(r.outcome != "skipped" for r in later)
    return len(killed), back, ran
