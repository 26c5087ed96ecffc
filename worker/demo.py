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
from rich.table import Table
from sqlalchemy import Engine, select

from db import migrate
from db.models import (
    Course,
    IntegrationSettings,
    NotionTask,
    StudyTask,
    SyncRun,
    TaskEvent,
)
from db.session import get_engine, session_scope
from integrations.emulators.google import GoogleEmulator, start_google_emulator
from integrations.emulators.notion import NotionEmulator, start_notion_emulator
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
    from services.bootstrap import configure_process
    from services.connect import connect_google, connect_notion
    from worker.demo_student import DEMO_EMAIL, DEMO_TIMEZONE, demo_busy_events, seed_demo_student

    demo_dir = (base.var_dir / "demo").resolve()
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)
    google = start_google_emulator("127.0.0.1", 0, default_time_zone=DEMO_TIMEZONE)
    notion = start_notion_emulator("127.0.0.1", 0, rate_per_s=3.0, burst=10.0)
    grant = google.admin.add_user(DEMO_EMAIL, time_zone=DEMO_TIMEZONE)
    settings = base.model_copy(
        update={
            "var_dir": demo_dir,
            "database_url": f"sqlite:///{demo_dir / 'studyplanner.sqlite3'}",
            "broker_url": "filesystem://",
            "google_api_endpoint": google.base_url,
            "google_token_uri": google.token_uri,
            "google_client_id": grant["client_id"],
            "google_client_secret": SecretStr(grant["client_secret"]),
            "notion_base_url": notion.base_url,
            "dispatch_interval_s": 2.0,
            "dispatch_spread_max_s": 0,
            "fernet_keys": base.fernet_keys or SecretStr(base.fernet_key_list()[0]),
        }
    )
    configure_process(settings)
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
        connect_google(session, user, grant, monitored=[grant["primary_calendar_id"], classes])
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


# --- showing the result -----------------------------------------------------------------------


def show_plan(world: DemoWorld, console: Console, zone: ZoneInfo) -> None:
    with session_scope(world.engine) as session:
        tasks = list(
            session.scalars(
                select(StudyTask)
                .where(StudyTask.user_id == world.user_id, StudyTask.scheduled_start.is_not(None))
                .order_by(StudyTask.scheduled_start)
            )
        )
    table = Table("when (New York)", "min", "task", "status", "why", title="Maya's plan")
    shown = [t for t in tasks if t.scheduled_start and t.scheduled_start >= since_day(tasks)]
    for task in shown[:25]:
        assert task.scheduled_start is not None
        start = task.scheduled_start.astimezone(zone)
        mark = " 📌" if task.is_pinned else ""
        table.add_row(
            f"{start:%a %d %b %H:%M}",
            str(task.estimated_duration_min),
            task.title + mark,
            task.status.value,
            _first_clause(task.plan_reason),
        )
    console.print(table)
    if len(shown) > 25:
        console.print(f"… and {len(shown) - 25} more (studyplanner plan --user … --json)")


def since_day(tasks: list[StudyTask]) -> datetime:
    return min((t.scheduled_start for t in tasks if t.scheduled_start), default=datetime.now(UTC))


def _first_clause(reason: str) -> str:
    """The first part of the planner's reason ('X (quiz, 10% of the grade) is due in 5 days')."""
    return reason.split(";")[0][:60]


def show_reconciled(world: DemoWorld, console: Console, since: datetime) -> None:
    with session_scope(world.engine) as session:
        events = list(
            session.execute(
                select(TaskEvent, StudyTask.title)
                .join(StudyTask, StudyTask.id == TaskEvent.task_id)
                .where(TaskEvent.user_id == world.user_id, TaskEvent.created_at >= since)
                .where(TaskEvent.source.in_(("google", "notion")))
                .order_by(TaskEvent.created_at)
            )
        )
    table = Table("source", "event", "task", "details", title="what the second sync reconciled")
    for event, title in events:
        detail = ", ".join(f"{k}={v}" for k, v in sorted(event.payload.items()))
        table.add_row(event.source.value, event.event_type.value, title, detail[:80])
    console.print(table)


def show_runs(runs: list[SyncRun], console: Console) -> None:
    table = Table("run", "trigger", "outcome", "ms", "counts", title="sync report")
    for index, run in enumerate(runs, start=1):
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()))
        table.add_row(str(index), run.trigger, run.outcome.value, str(run.duration_ms), counts)
    console.print(table)
    items = runs[-1].details.get("at_risk", [])
    at_risk = [i for i in items if i["reason_code"] != "after_horizon"]
    later = [i for i in items if i["reason_code"] == "after_horizon"]
    for item in at_risk:
        console.print(f"[yellow]at risk[/]: {item['minutes_missing']} min — {item['reason']}")
    if not at_risk:
        console.print("[green]no work at risk[/]: everything fits before its deadline")
    if later:
        minutes = sum(i["minutes_missing"] for i in later)
        console.print(
            f"later: {minutes} min of work due after the 14-day window is planned as it opens"
        )


def write_picture(world: DemoWorld, now: datetime, zone_name: str) -> tuple[Path, Path | None]:
    from worker.demo_courses import COURSES
    from worker.weekview import (
        WeekBlock,
        busy_blocks,
        html_to_png,
        render_week_html,
        write_week_view,
    )

    with session_scope(world.engine) as session:
        courses = {
            c.id: c.code
            for c in session.scalars(select(Course).where(Course.user_id == world.user_id))
        }
        tasks = list(
            session.scalars(
                select(StudyTask).where(
                    StudyTask.user_id == world.user_id, StudyTask.scheduled_start.is_not(None)
                )
            )
        )
        at_risk = (
            session.scalars(
                select(SyncRun.details)
                .where(SyncRun.user_id == world.user_id)
                .order_by(SyncRun.started_at.desc())
            ).first()
            or {}
        )
    blocks = [
        WeekBlock(
            title=t.title,
            course_code=courses.get(t.course_id),
            start=t.scheduled_start,
            end=t.scheduled_end,
            status=t.status.value,
            pinned=t.is_pinned,
        )
        for t in tasks
        if t.scheduled_start and t.scheduled_end and t.status is not TaskStatus.SKIPPED
    ]
    zone = ZoneInfo(zone_name)
    week_start = now.astimezone(zone).date()  # the seven days from today: the plan is ahead
    risky = [i for i in at_risk.get("at_risk", []) if i["reason_code"] != "after_horizon"]
    html = render_week_html(
        blocks,
        busy_blocks(world.busy),
        week_start=week_start,
        tz=zone_name,
        title=f"Maya's next seven days, from {week_start:%A %d %B %Y}",
        at_risk=[f"{i['minutes_missing']} min — {i['reason']}" for i in risky],
        course_colors={c.code: c.color for c in COURSES},
    )
    path = write_week_view(world.settings.var_dir / "week.html", html)
    png = world.settings.var_dir / "week.png"
    return path, png if html_to_png(path, png) else None


def run_demo(base: Settings, *, console: Console, timeout_s: float = 100.0) -> bool:
    from tasks.celery_app import create_app
    from tasks.sync import SYNC_TASK
    from worker.demo_student import DEMO_TIMEZONE

    started = time.monotonic()
    now = datetime.now(UTC)
    zone = ZoneInfo(DEMO_TIMEZONE)
    world = build_world(base, now)
    console.print(
        f"[bold]1.[/] seeded Maya Chen (4 courses, 41 topics, 12 upcoming assessments, grade "
        f"history) into {world.settings.effective_database_url}"
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
    finally:
        stop_worker_process(proc)
        world.google.stop()
        world.notion.stop()
    console.print("[bold]5.[/] after the second sync:")
    show_plan(world, console, zone)
    show_reconciled(world, console, second_started)
    show_runs(runs, console)
    html, png = write_picture(world, now, DEMO_TIMEZONE)
    console.print(f"[bold]6.[/] week view: {html}" + (f" and {png}" if png else ""))
    console.print(
        "[bold]7.[/] to watch the workers in Flower on this embedded setup: "
        f"STUDYPLANNER_VAR_DIR={world.settings.var_dir} celery -A worker flower "
        "--basic-auth=admin:change-me (with a worker running: celery -A worker worker -B -E)"
    )
    console.print(f"done in {time.monotonic() - started:.0f}s")
    return True
