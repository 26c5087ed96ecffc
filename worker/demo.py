"""`studyplanner demo`: the whole machine on the embedded default, with nothing to install.

Migrates the SQLite database, starts a real `celery worker -B -E` process on the folder broker,
waits for beat's heartbeat task to travel broker → worker → database, prints what happened and
stops the worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select

from db import migrate
from db.models import WorkerHeartbeat
from db.session import get_engine, session_scope
from worker.settings import Settings

DEMO_HEARTBEAT_S = 2.0


def worker_command(loglevel: str = "WARNING") -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker",
        "worker",
        "-B",
        "-E",
        "--concurrency=1",
        f"--loglevel={loglevel}",
        "--hostname=demo@%h",
    ]


def start_worker_process(settings: Settings, log_path: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["STUDYPLANNER_VAR_DIR"] = str(settings.var_dir.resolve())
    env["STUDYPLANNER_HEARTBEAT_INTERVAL_S"] = str(DEMO_HEARTBEAT_S)
    if settings.database_url:
        env["STUDYPLANNER_DATABASE_URL"] = settings.database_url
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child, closed with it
    return subprocess.Popen(
        worker_command(), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_worker_process(proc: subprocess.Popen[bytes], grace_s: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_demo(settings: Settings, *, console: Console, timeout_s: float) -> bool:
    started = time.monotonic()
    url = settings.effective_database_url
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(url)
    engine = get_engine(url)
    console.print(f"[bold]1.[/] database migrated: {engine.url.render_as_string()}")

    since = datetime.now(UTC)
    log_path = str(settings.var_dir / "demo-worker.log")
    proc = start_worker_process(settings, log_path)
    console.print(
        f"[bold]2.[/] started a real worker with beat (pid {proc.pid}) on "
        f"{settings.broker_url} — log: {log_path}"
    )
    try:
        beat = _wait_for_heartbeat(engine, since, proc, timeout_s)
    finally:
        stop_worker_process(proc)
    if beat is None:
        console.print(f"[red]no heartbeat within {timeout_s:.0f}s[/]: see {log_path}")
        return False
    table = Table("worker", "heartbeats", "last seen (UTC)", title="periodic task round trip")
    table.add_row(beat.hostname, str(beat.beats), beat.last_seen_at.isoformat(timespec="seconds"))
    console.print("[bold]3.[/] beat sent the heartbeat task; the worker ran it and wrote:")
    console.print(table)
    console.print(
        f"[bold]4.[/] worker stopped. Whole round trip: {time.monotonic() - started:.1f}s. "
        "Next: 'studyplanner health'."
    )
    return True


def _wait_for_heartbeat(
    engine: Engine, since: datetime, proc: subprocess.Popen[bytes], timeout_s: float
) -> WorkerHeartbeat | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        with session_scope(engine) as session:
            beat = session.scalars(
                select(WorkerHeartbeat)
                .where(WorkerHeartbeat.last_seen_at >= since)
                .order_by(WorkerHeartbeat.last_seen_at.desc())
            ).first()
            if beat is not None:
                session.expunge(beat)
                return beat
        time.sleep(0.5)
    return None
