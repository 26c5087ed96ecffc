"""`studyplanner demo`: the whole product on the embedded default, with nothing to install.

1. a fresh SQLite database under <var>/demo, migrated; a realistic student seeded (Maya Chen);
2. both emulators started on 127.0.0.1 (Google Calendar with her classes and job; Notion with an
   empty task database), and her accounts connected;
3. a real `celery worker -B -E` process on the folder broker: beat's dispatch finds Maya due and
   the worker runs the first sync (plan → 📅 Google events + 📝 Notion pages);
4. acting as Maya: one block moved in Google Calendar, one task ticked Done in Notion, one page
   trashed — then a second sync through the worker;
5. the result: the plan (with reasons), what was reconciled, the sync report, at-risk work, and
   a week-view picture (HTML, and PNG when Chromium is installed) under <var>/demo.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from rich.console import Console
from sqlalchemy import Engine, select

from db import migrate
from db.models import (
    IntegrationSettings,
    NotionTask,
    StudyTask,
    SyncRun,
)
from db.session import get_engine, session_scope
from emulators.google import GoogleEmulator, start_google_emulator
from emulators.notion import NotionEmulator, start_notion_emulator
from planner.lifecycle import TaskStatus
from services.settings import Settings, child_process_env

POLL_S = 0.5


@dataclass
class DemoWorld:
    settings: Settings
    engine: Engine
    google: GoogleEmulator
    notion: NotionEmulator
    user_id: uuid.UUID
    busy: list[tuple[str, datetime, datetime]]


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
        "--pool=solo",
        f"--loglevel={loglevel}",
        "--hostname=demo@%h",
    ]


def start_worker_process(settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child, closed with it
    return subprocess.Popen(
        worker_command(),
        env=child_process_env(settings, STUDYPLANNER_HEARTBEAT_INTERVAL_S="5"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
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


# --- the world --------------------------------------------------------------------------------


def build_world(base: Settings, now: datetime) -> DemoWorld:
    from db import crypto
    from services.bootstrap import configure_process
    from services.connect import connect_google, connect_notion
    from worker.demo_student import DEMO_EMAIL, DEMO_TIMEZONE, demo_busy_events, seed_demo_student

    demo_dir = (base.var_dir / "demo").resolve()
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)
    google = start_google_emulator("127.0.0.1", 0, default_time_zone=DEMO_TIMEZONE)
    notion = start_notion_emulator("127.0.0.1", 0, rate_per_s=3.0, burst=10.0)
    grant = google.admin.add_user(DEMO_EMAIL, time_zone=DEMO_TIMEZONE)
    # Everything derived from the data folder (database, broker, results, key), exactly as the
    # CLI derives it from STUDYPLANNER_VAR_DIR alone: the demo prints that one line to go on.
    settings = base.model_copy(
        update={
            "var_dir": demo_dir,
            "database_url": None,
            "broker_url": "filesystem://",
            "result_backend": None,
            "redis_url": None,
            "google_api_endpoint": google.base_url,
            "google_token_uri": google.token_uri,
            "google_client_id": grant["client_id"],
            "google_client_secret": SecretStr(grant["client_secret"]),
            "notion_base_url": notion.base_url,
            "dispatch_interval_s": 2.0,
            "dispatch_spread_max_s": 0,
        }
    )
    configure_process(settings)
    # The folder's own key (generated into the fresh folder), or the keys the user set: never
    # a key ring this process had before, which would leave ciphertext the folder cannot read.
    crypto.configure_keys(settings.fernet_key_list())
    migrate.upgrade(settings.effective_database_url)
    engine = get_engine(settings.effective_database_url)
    busy = demo_busy_events(now)
    classes = google.admin.add_calendar("Classes & work", user=DEMO_EMAIL, time_zone=DEMO_TIMEZONE)
    for summary, start, end in busy:
        google.admin.add_busy_event(classes, start, end, summary=summary)
    workspace = notion.admin.create_workspace(title="Maya's study tasks")
    with session_scope(engine) as session:
        user_id = seed_demo_student(session, now=now)
        from db.models import User

        user = session.get(User, user_id)
        assert user is not None
        # No calendar named: her classes calendar is read because she owns it (the default).
        connect_google(session, user, grant)
        connect_notion(
            session, settings, user, token=workspace.token, database_id=workspace.database_id
        )
    return DemoWorld(settings, engine, google, notion, user_id, busy)


def wait_for_runs(
    world: DemoWorld, count: int, proc: subprocess.Popen[bytes], timeout_s: float
) -> list[SyncRun]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the worker stopped")
        with session_scope(world.engine) as session:
            runs = list(
                session.scalars(
                    select(SyncRun)
                    .where(SyncRun.user_id == world.user_id, SyncRun.finished_at.is_not(None))
                    .order_by(SyncRun.started_at)
                )
            )
            if len(runs) >= count:
                session.expunge_all()
                return runs
        time.sleep(POLL_S)
    raise TimeoutError(f"no sync #{count} within {timeout_s:.0f}s")


# --- acting as the student --------------------------------------------------------------------


def act_as_student(world: DemoWorld) -> list[str]:
    """Move one block in Google, tick one task Done in Notion, trash another page."""
    with session_scope(world.engine) as session:
        row = session.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == world.user_id)
        ).one()
        calendar = row.google_calendar_id or ""
        tasks = list(
            session.scalars(
                select(StudyTask)
                .where(StudyTask.user_id == world.user_id, StudyTask.status == TaskStatus.SCHEDULED)
                .order_by(StudyTask.scheduled_start)
            )
        )
        pages = {
            p.study_task_id: p.notion_page_id
            for p in session.scalars(select(NotionTask).where(NotionTask.user_id == world.user_id))
        }
        session.expunge_all()
    if len(tasks) < 3:
        return ["(not enough tasks planned to act on)"]
    moved, done, trashed = tasks[1], tasks[0], tasks[2]
    from integrations.google_calendar import event_id_for_block

    with session_scope(world.engine) as session:
        from db.models import CalendarBlock

        block = session.scalars(
            select(CalendarBlock).where(CalendarBlock.study_task_id == moved.id)
        ).one()
        event_id = block.google_event_id or event_id_for_block(block.id)
    assert moved.scheduled_start is not None and moved.scheduled_end is not None
    new_start = moved.scheduled_start + timedelta(hours=1)
    new_end = moved.scheduled_end + timedelta(hours=1)
    world.google.admin.move_event(calendar, event_id, new_start, new_end)
    world.notion.admin.set_status(pages[done.id] or "", "Done")
    world.notion.admin.trash(pages[trashed.id] or "")
    return [
        f"Google Calendar: moved '{moved.title}' one hour later",
        f"Notion: ticked '{done.title}' Done",
        f"Notion: trashed '{trashed.title}'",
    ]


def run_demo(
    base: Settings, *, console: Console, timeout_s: float = 100.0, keep_running: bool = False
) -> bool:
    from tasks.celery_app import create_app
    from tasks.sync import SYNC_TASK
    from worker.demo_report import (
        next_steps,
        show_missed_reviews,
        show_plan,
        show_reconciled,
        show_runs,
        write_picture,
    )
    from worker.demo_student import DEMO_EMAIL, DEMO_NAME, DEMO_TIMEZONE

    started = time.monotonic()
    now = datetime.now(UTC)
    zone = ZoneInfo(DEMO_TIMEZONE)
    world = build_world(base, now)
    console.print(
        f"[bold]1.[/] seeded {DEMO_NAME} ({DEMO_EMAIL}: 4 courses, 41 topics, 12 upcoming "
        f"assessments, grade history) into {world.settings.var_dir}"
    )
    console.print(
        f"[bold]2.[/] emulators up: Google Calendar {world.google.base_url}, Notion "
        f"{world.notion.base_url}; Maya's accounts connected"
    )
    log_path = world.settings.var_dir / "worker.log"
    proc = start_worker_process(world.settings, log_path)
    try:
        console.print(
            f"[bold]3.[/] real worker + beat started (pid {proc.pid}); "
            "waiting for beat to dispatch Maya's sync …"
        )
        first = wait_for_runs(world, 1, proc, timeout_s / 2)
        counts = first[-1].counts
        console.print(
            f"    first sync {first[-1].outcome.value}: "
            f"{counts.get('tasks_create', 0)} tasks planned, "
            f"{counts.get('google_writes', 0)} Google events and "
            f"{counts.get('notion_writes', 0)} Notion pages written"
        )
        actions = act_as_student(world)
        console.print("[bold]4.[/] acting as Maya:")
        for line in actions:
            console.print(f"    {line}")
        second_started = datetime.now(UTC)
        app = create_app(world.settings)
        app.send_task(SYNC_TASK, args=(str(world.user_id), "demo"))
        runs = wait_for_runs(world, 2, proc, timeout_s / 2)
        if not keep_running:
            _stop(world, proc)
        console.print("[bold]5.[/] after the second sync:")
        show_plan(world, console, zone)
        show_reconciled(world, console, second_started)
        show_runs(runs, console, DEMO_TIMEZONE)
        show_missed_reviews(world, console)
        html, png = write_picture(world, now, DEMO_TIMEZONE)
        console.print(f"[bold]6.[/] week view: {html}" + (f" and {png}" if png else ""))
        console.print(f"done in {time.monotonic() - started:.0f}s")
        next_steps(world, console, email=DEMO_EMAIL, name=DEMO_NAME, keep_running=keep_running)
        if keep_running:
            from worker.demo_web import serve_pages

            stop_pages = serve_pages(world, console)
            _wait_for_interrupt(proc)
            stop_pages()
    finally:
        _stop(world, proc)
    return True


def _stop(world: DemoWorld, proc: subprocess.Popen[bytes]) -> None:
    stop_worker_process(proc)
    world.google.stop()
    world.notion.stop()


def _wait_for_interrupt(proc: subprocess.Popen[bytes]) -> None:
    """Until Ctrl-C (or SIGTERM), or until the worker dies on its own."""
    stop = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop and proc.poll() is None:
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
