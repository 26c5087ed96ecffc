"""CLI commands for progress along the learning paths and the task history (seed 003)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import typer

from planner.problems import InvalidInput
from planner.vocabulary import Difficulty, TaskStatus
from worker.cli_common import (
    UserOpt,
    console,
    now_utc,
    parse_when,
    unit_of_work,
)

if TYPE_CHECKING:
    from services.history import HistorySummary

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
    since: Annotated[str | None, typer.Option(help="Scheduled on or after (date).")] = None,
    until: Annotated[str | None, typer.Option(help="Scheduled before (date).")] = None,
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
            show_summary(history.summarize(session, student, today=now_utc().date()), format_)
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
    emit_rows(rows, format_, title="tasks")


def show_summary(summary: HistorySummary, format_: str) -> None:
    from rich.table import Table

    data = {
        "counts_by_status": summary.counts_by_status,
        "accuracy_by_topic": summary.accuracy_by_topic,
        "upcoming_reviews": [
            {"topic": t, "date": d.isoformat()} for t, d in summary.upcoming_reviews
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
    reviews = Table("topic", "review on", title="upcoming reviews")
    for name, when in summary.upcoming_reviews:
        overdue = " (overdue)" if when < summary.today else ""
        reviews.add_row(name, when.isoformat() + overdue)
    console.print(reviews)


def emit_rows(rows: list[dict[str, Any]], format_: str, *, title: str) -> None:
    from rich.table import Table

    if format_ == "json":
        print(json.dumps(rows, indent=2))
        return
    if format_ == "csv":
        from services.csv_export import as_csv

        print(as_csv(rows), end="")
        return
    table = Table("id", "title", "course", "type", "status", "scheduled", "min", title=title)
    for r in rows:
        table.add_row(
            r["id"][:8], r["title"], r["course"], r["type"], r["status"],
            r["scheduled_start"][:16].replace("T", " "), str(r["minutes"]),
        )  # fmt: skip
    console.print(table)


@tasks_app.command("events")
def task_events_cmd(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(help="The task's id.")],
    user: Annotated[str | None, typer.Option("--user", "-u", help="Email or id.")] = None,
) -> None:
    """One task's timeline."""
    from rich.table import Table

    from services import catalog, history

    who = user or (ctx.obj or {}).get("user")
    if who is None:
        raise InvalidInput.single("--user is required", "user")
    try:
        tid = uuid.UUID(task_id)
    except ValueError:
        raise InvalidInput.single(f"'{task_id}' is not a task id", "task_id") from None
    with unit_of_work() as session:
        events = history.task_timeline(session, catalog.find_user(session, who), tid)
        table = Table("when (UTC)", "event", "source", "details", title=f"task {task_id}")
        for e in events:
            table.add_row(
                e.created_at.isoformat(timespec="seconds"), e.event_type.value, e.source.value,
                json.dumps(e.payload, sort_keys=True),
            )  # fmt: skip
    if not events:
        raise InvalidInput.single(f"no events for task {task_id}", "task_id")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks")
    app.command("progress")(progress_cmd)
