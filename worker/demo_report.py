"""What the demo shows at the end: the plan, what the second sync reconciled, the sync report,
the week view, and how to go on from there (the CLI and Flower on the demo's own data folder)."""

from __future__ import annotations

import shlex
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from db.models import Course, StudyTask, SyncRun, TaskEvent
from db.session import session_scope
from planner.lifecycle import TaskStatus

if TYPE_CHECKING:
    from worker.demo import DemoWorld


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
            task.plan_reason,
        )
    console.print(table)
    if len(shown) > 25:
        console.print(f"… and {len(shown) - 25} more (studyplanner plan --user … --json)")


def since_day(tasks: list[StudyTask]) -> datetime:
    return min((t.scheduled_start for t in tasks if t.scheduled_start), default=datetime.now(UTC))


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
        table.add_row(event.source.value, event.event_type.value, title, detail)
    console.print(table)


def show_runs(runs: list[SyncRun], console: Console, zone: str) -> None:
    from services.sync.horizon import at_risk_line, later_line

    table = Table("run", "trigger", "outcome", "ms", "counts", title="sync report")
    for index, run in enumerate(runs, start=1):
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()))
        table.add_row(str(index), run.trigger, run.outcome.value, str(run.duration_ms), counts)
    console.print(table)
    details = runs[-1].details
    lines = [at_risk_line(item) for item in details.get("at_risk", [])]
    for label, text in lines:
        console.print(f"[yellow]{label}[/]: {text}", highlight=False)
    if not any(label == "at risk" for label, _ in lines):
        console.print("[green]no work at risk[/]: everything fits before its deadline")
    later = later_line(details.get("later"), zone)
    if later:
        console.print(f"[cyan]later[/]: {later}", highlight=False)


def show_missed_reviews(world: DemoWorld, console: Console) -> None:
    """The spaced reviews whose day passed, in the words `plan` uses (services/reviews.py)."""
    from db.models import User
    from services.reviews import missed_line, review_states

    with session_scope(world.engine) as session:
        user = session.get(User, world.user_id)
        assert user is not None
        line = missed_line(review_states(session, user, now=datetime.now(UTC)))
    if line is not None:
        console.print(f"[magenta]{line[0]}[/]: {line[1]}", highlight=False)


def write_picture(world: DemoWorld, now: datetime, zone_name: str) -> tuple[Path, Path | None]:
    from api.weekview.view import (
        WeekBlock,
        busy_blocks,
        html_to_png,
        render_week_html,
        write_week_view,
    )
    from worker.demo_courses import COURSES

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
        now=now,
    )
    path = write_week_view(world.settings.var_dir / "week.html", html)
    png = world.settings.var_dir / "week.png"
    return path, png if html_to_png(path, png) else None


# --- going on from here -----------------------------------------------------------------------


def cli_env(world: DemoWorld, *, emulators: bool) -> dict[str, str]:
    """The variables that point `studyplanner` at the demo's data folder (and, while they run,
    at its emulators). The folder holds its own key (fernet.key), so nothing else is needed
    unless the demo was given STUDYPLANNER_FERNET_KEYS — then that stays set as it was."""
    settings = world.settings
    env = {"STUDYPLANNER_VAR_DIR": str(settings.var_dir)}
    if emulators:
        env |= {
            "STUDYPLANNER_GOOGLE_API_ENDPOINT": settings.google_api_endpoint,
            "STUDYPLANNER_GOOGLE_TOKEN_URI": settings.google_token_uri,
            "STUDYPLANNER_GOOGLE_CLIENT_ID": settings.google_client_id or "",
            # The emulator's own made-up client secret: nothing of a real account.
            "STUDYPLANNER_GOOGLE_CLIENT_SECRET": settings.google_client_secret.get_secret_value()
            if settings.google_client_secret
            else "",
            "STUDYPLANNER_NOTION_BASE_URL": settings.notion_base_url,
        }
    return env


def write_env_file(world: DemoWorld, env: dict[str, str]) -> Path:
    path = world.settings.var_dir / "env.sh"
    lines = [f"export {key}={shlex.quote(value)}" for key, value in env.items()]
    path.write_text("# source this file to use the demo's data from the command line\n"
                    + "\n".join(lines) + "\n")  # fmt: skip
    return path


def activate_line() -> str | None:
    """How to put `studyplanner` on PATH when it runs from a virtual environment that is not
    active in the user's shell (scripts/demo.sh runs .venv/bin/studyplanner directly)."""
    bin_dir = Path(sys.executable).parent
    on_path = shutil.which("studyplanner")
    if sys.prefix == sys.base_prefix or (on_path and Path(on_path).parent == bin_dir):
        return None
    activate = bin_dir / "activate"
    return f". {shlex.quote(str(activate))}" if activate.exists() else None


def next_steps(
    world: DemoWorld, console: Console, *, email: str, name: str, keep_running: bool
) -> None:
    env = cli_env(world, emulators=keep_running)
    env_file = write_env_file(world, env)
    console.print(
        f"[bold]Maya Chen[/] is [bold]{email}[/] (id {world.user_id}); her data stays in "
        f"{world.settings.var_dir}."
    )
    lines = [line for line in (activate_line(),) if line]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in env.items()]
    lines += [
        "studyplanner user list",
        f"studyplanner plan --user {email}",
        f"studyplanner tasks --user {email} --summary",
        f"studyplanner week --user {email}",
    ]
    if keep_running:
        lines += [f"studyplanner sync --user {email}", "studyplanner flower"]
    where = "in a second shell" if keep_running else "in this shell"
    console.print(f"To go on from the command line {where} (the same lines are in {env_file}):")
    for line in lines:
        console.print(f"    {line}", highlight=False, soft_wrap=True)
    if keep_running:
        console.print(
            f"The worker (with beat) and both emulators keep running for {name.split()[0]} "
            "until you press Ctrl-C here."
        )
    else:
        console.print(
            "The emulators stopped with the demo, so 'sync' has nothing to reach now: "
            "'studyplanner demo --keep-running' keeps them, and a worker for Flower, running."
        )
