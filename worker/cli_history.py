"""CLI commands for progress along the learning paths and the task history (seed 003)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from planner.problems import InvalidInput
from planner.vocabulary import Difficulty, TaskStatus
from worker.cli_common import (
    UserOpt,
    console,
    local_iso,
    local_time,
    now_utc,
    parse_when,
    unit_of_work,
    zone_label,
)

if TYPE_CHECKING:
    from services.history import HistorySummary
    from services.reviews import ReviewState

tasks_app = typer.Typer(help="Task history.", invoke_without_command=True)


# --- progress and history -------------------------------------------------------------------------


def progress_cmd(
    user: UserOpt,
    course: Annotated[str | None, typer.Option("--course", "-c", help="One course only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Progress through each course's learning path (derived from tasks and mastery)."""
    from rich.table import Table

    from services import catalog, history

    with unit_of_work() as session:
        student = catalog.find_user(session, user)
        rows = history.progress_report(session, student, course, now=now_utc())
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table("course", "status", "done", "current topic", "completed", title="progress")
    for r in rows:
        table.add_row(
            r["course"],
            r["status"],
            f"{r['percent_complete']}%",
            r["current_topic"] or "—",
            ", ".join(r["completed_topics"]) or "—",
        )
    console.print(table)


@tasks_app.callback()
def tasks_cmd(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Email or id.")] = None,
    since: Annotated[str | None, typer.Option(help="Scheduled on or after (a date, hers).")] = None,
    until: Annotated[str | None, typer.Option(help="Scheduled before (a date, hers).")] = None,
    course: Annotated[str | None, typer.Option(help="Course code.")] = None,
    topic: Annotated[str | None, typer.Option(help="Topic name.")] = None,
    difficulty: Annotated[Difficulty | None, typer.Option(help="Difficulty.")] = None,
    status: Annotated[TaskStatus | None, typer.Option(help="Status.")] = None,
    summary: Annotated[bool, typer.Option(help="Counts, accuracy, upcoming reviews.")] = False,
    format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """A student's task history, with filters and exports."""
    from sqlalchemy import select

    from db.models import Course
    from services import catalog, history

    ctx.obj = {"user": user}
    if ctx.invoked_subcommand is not None:
        return
    if user is None:
        raise InvalidInput.single("--user is required", "user")
    if format_ not in ("table", "csv", "json"):
        raise InvalidInput.single(f"unknown format '{format_}': use table, csv or json", "format")
    with unit_of_work() as session:
        student = catalog.find_user(session, user)
        zone = student.timezone
        if summary:
            from zoneinfo import ZoneInfo

            from services.reviews import review_states

            now = now_utc()
            # "Today" and "overdue" as the student reads them: her date, not UTC's.
            result = history.summarize(
                session, student, today=now.astimezone(ZoneInfo(zone)).date()
            )
            show_summary(result, review_states(session, student, now=now), format_)
            return
        flt = history.TaskFilter(
            since=parse_when(since, zone, "since") if since else None,
            until=parse_when(until, zone, "until") if until else None,
            course_code=course,
            topic_name=topic,
            difficulty=difficulty,
            status=status,
        )
        courses = {
            c.id: c.code
            for c in session.scalars(select(Course).where(Course.user_id == student.id))
        }
        rows = history.as_rows(history.task_history(session, student, flt), courses)
    for row in rows:  # exports too: ISO 8601 with her UTC offset, as she reads the times
        row["scheduled_start"] = local_iso(row["scheduled_start"], zone)
        row["scheduled_end"] = local_iso(row["scheduled_end"], zone)
    emit_rows(rows, format_, title="tasks", zone=zone)


def show_summary(summary: HistorySummary, reviews: list[ReviewState], format_: str) -> None:
    from rich.table import Table

    data = {
        "counts_by_status": summary.counts_by_status,
        "accuracy_by_topic": summary.accuracy_by_topic,
        "upcoming_reviews": [
            {
                "topic": r.topic,
                "course": r.course,
                "date": r.review_on.isoformat(),
                "state": r.state,
                "planned_start": r.start.isoformat() if r.start else None,
                "explanation": r.text,
            }
            for r in reviews
        ],
    }
    if format_ == "json":
        console.print_json(json.dumps(data))
        return
    table = Table("status", "tasks", title="tasks by status")
    for key, value in sorted(summary.counts_by_status.items()):
        table.add_row(key, str(value))
    console.print(table)
    accuracy = Table("topic", "accuracy", title="accuracy by topic")
    for key, pct in summary.accuracy_by_topic.items():
        accuracy.add_row(key, f"{pct}%")
    console.print(accuracy)
    table = Table("topic", "review on", "in the plan", title="spaced reviews")
    for r in reviews:
        overdue = " (overdue)" if r.review_on < summary.today else ""
        table.add_row(f"{r.course}: {r.topic}", f"{r.review_on:%a %d %b}{overdue}", r.text)
    console.print(table)


def emit_rows(rows: list[dict[str, Any]], format_: str, *, title: str, zone: str) -> None:
    from rich.table import Table

    if format_ == "json":
        print(json.dumps(rows, indent=2))
        return
    if format_ == "csv":
        from services.csv_export import as_csv

        print(as_csv(rows), end="")
        return
    table = Table("id", "title", "course", "type", "status", f"scheduled ({zone_label(zone)})",
                  "min", title=title)  # fmt: skip
    for r in rows:
        table.add_row(
            r["id"][:8], r["title"], r["course"], r["type"], r["status"],
            local_time(r["scheduled_start"], zone), str(r["minutes"]),
        )  # fmt: skip
    console.print(table)


@tasks_app.command("events")
def task_events_cmd(
    ctx: typer.Context,
    task_id: Annotated[
        str, typer.Argument(help="The task's id, or its start as 'tasks' shows it (8 characters).")
    ],
    user: Annotated[str | None, typer.Option("--user", "-u", help="Email or id.")] = None,
) -> None:
    """One task's timeline, in the student's time."""
    from rich.table import Table

    from services import catalog, history

    who = user or (ctx.obj or {}).get("user")
    if who is None:
        raise InvalidInput.single("--user is required", "user")
    with unit_of_work() as session:
        student = catalog.find_user(session, who)
        zone = student.timezone
        task = history.find_task(session, student, task_id)
        events = history.task_timeline(session, student, task.id)
        table = Table(f"when ({zone_label(zone)})", "event", "source", "details",
                      title=f"{task.title} ({task.id})")  # fmt: skip
        for e in events:
            table.add_row(
                local_time(e.created_at, zone, "%a %d %b %H:%M:%S"), e.event_type.value,
                e.source.value, event_details(e.payload, zone),
            )  # fmt: skip
    if not events:
        raise InvalidInput.single(f"no events for task {task_id}", "task_id")
    console.print(table)


def event_details(payload: dict[str, Any], zone: str) -> str:
    """An event's payload as `key=value` pairs, its times in the student's zone."""
    parts = []
    for key in sorted(payload):
        value = payload[key]
        if isinstance(value, str) and _looks_like_time(value):
            value = local_time(value, zone)
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def _looks_like_time(value: str) -> bool:
    from datetime import datetime

    if len(value) < 16 or value[4:5] != "-" or "T" not in value:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def register(app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks")
    app.command("progress")(progress_cmd)
