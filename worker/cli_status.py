"""CLI commands that show where a student stands: `status` (sync runs, open errors, integrations
needing attention) and `plan` (the planned blocks with their reasons, at-risk and later work).
Times are in the student's zone; reasons are shown whole, wrapped."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from worker.cli_common import (
    UserOpt,
    console,
    local_iso,
    local_time,
    start,
    unit_of_work,
    zone_label,
)

if TYPE_CHECKING:
    from rich.table import Table
    from sqlalchemy.orm import Session

    from services.realtime.health import PushStatus
    from services.status import SyncStatus

WHEN = "%a %d %b %H:%M"


def status_cmd(
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="Email, id or the start of an id.")
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=1000, help="How many runs and errors to show.")
    ] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Last sync runs, open sync errors, integrations needing attention, push health."""
    from datetime import UTC, datetime

    from services import catalog
    from services.realtime.health import push_status
    from services.status import sync_status

    settings = start()
    with unit_of_work() as session:
        uid = catalog.find_user(session, user).id if user is not None else None
        status = sync_status(session, uid, limit=limit)
        push = push_status(session, settings, uid, datetime.now(UTC))
        zones = {u: zone for u, (_email, zone) in status.users.items()}
        zones |= student_zones(session, {c.user_id for c in push.channels} - set(zones))
    if as_json:
        print(json.dumps({**status_json(status), "push": push_json(push)}, indent=2))
        return
    for table in status_tables(status, one_user=uid is not None):
        console.print(table)
    print_push(push, zones)


def student_zones(session: Session, user_ids: set[Any]) -> dict[Any, str]:
    from sqlalchemy import select

    from db.models import User

    if not user_ids:
        return {}
    query = select(User.id, User.timezone).where(User.id.in_(user_ids))
    return {uid: zone for uid, zone in session.execute(query)}


def push_json(push: PushStatus) -> dict[str, Any]:
    return {
        "enabled": push.enabled,
        "notion_webhook": push.notion_webhook,
        "students_polling": [
            {"user_id": str(u.user_id), "reason": u.reason} for u in push.users if not u.healthy
        ],
        "students_on_push": sum(1 for u in push.users if u.healthy),
    }


def status_json(status: SyncStatus) -> dict[str, Any]:
    def who(user_id: Any) -> dict[str, str]:
        email, zone = status.users.get(user_id, ("", "UTC"))
        return {"user_id": str(user_id), "email": email, "timezone": zone}

    def zone_of(user_id: Any) -> str:
        return status.users.get(user_id, ("", "UTC"))[1]

    return {
        "runs": [
            {
                **who(r.user_id),
                "id": str(r.id),
                "started_at": local_iso(r.started_at, zone_of(r.user_id)),
                "finished_at": local_iso(r.finished_at, zone_of(r.user_id)) or None,
                "trigger": r.trigger,
                "outcome": r.outcome,
                "duration_ms": r.duration_ms,
                "counts": r.counts,
            }
            for r in status.runs
        ],
        "errors": [
            {
                **who(e.user_id),
                "id": str(e.id),
                "created_at": local_iso(e.created_at, zone_of(e.user_id)),
                "provider": e.provider,
                "operation": e.operation,
                "http_status": e.http_status,
                "error_code": e.error_code,
                "retryable": e.retryable,
                "message": e.message,
            }
            for e in status.errors
        ],
        "attention": [
            {**who(a.user_id), "google": a.google, "notion": a.notion} for a in status.attention
        ],
    }


def status_tables(status: SyncStatus, *, one_user: bool) -> list[Table]:
    from rich.table import Table

    def user_cell(user_id: Any) -> str:
        email = status.users.get(user_id, ("", "UTC"))[0]
        return f"{str(user_id)[:8]} {email}".strip()

    def when(value: Any, user_id: Any) -> str:
        zone = status.users.get(user_id, ("", "UTC"))[1]
        # One student: the column says the zone. Several: each time carries its UTC offset.
        return local_time(value, zone, WHEN if one_user else WHEN + " %z")

    zones = {zone for _email, zone in status.users.values()}
    header = f"({zone_label(next(iter(zones)))})" if one_user and zones else "(their time)"
    runs = Table(f"started {header}", "user", "trigger", "outcome", "ms", "counts",
                 title="sync runs")  # fmt: skip
    for run in status.runs:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()))
        runs.add_row(
            when(run.started_at, run.user_id), user_cell(run.user_id), run.trigger, run.outcome,
            str(run.duration_ms or ""), counts,
        )  # fmt: skip
    errors = Table(f"when {header}", "user", "provider", "operation", "status", "retry", "message",
                   title="open sync errors")  # fmt: skip
    for e in status.errors:
        errors.add_row(
            when(e.created_at, e.user_id), user_cell(e.user_id), e.provider, e.operation,
            str(e.http_status or e.error_code or ""), "yes" if e.retryable else "no", e.message,
        )  # fmt: skip
    attention = Table("user", "google", "notion", title="integrations needing attention")
    for row in status.attention:
        attention.add_row(user_cell(row.user_id), row.google, row.notion)
    return [runs, errors, attention]


def plan_cmd(
    user: UserOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The current plan: the blocks in your calendar with the reason for each, the work at risk,
    and the work planned beyond the written window."""
    from datetime import UTC, datetime

    from services import catalog
    from services.reviews import missed_line, review_states
    from services.status import current_plan
    from services.sync.horizon import at_risk_line, later_line

    with unit_of_work() as session:
        student = catalog.find_user(session, user)
        zone, email = student.timezone, student.email
        current = current_plan(session, student.id)
        reviews = review_states(session, student, now=datetime.now(UTC))
    missed = [r for r in reviews if r.state == "missed"]
    if as_json:
        # Every time with her offset: the tasks, the later blocks and the window's end.
        for row in [*current.tasks, *current.later.get("blocks", [])]:
            row["start"], row["end"] = local_iso(row["start"], zone), local_iso(row["end"], zone)
        if current.later.get("window_end"):
            current.later["window_end"] = local_iso(current.later["window_end"], zone)
        print(json.dumps({"timezone": zone, "tasks": current.tasks, "at_risk": current.at_risk,
                          "later": current.later, "missed_reviews": [
                              {"topic": r.topic, "course": r.course,
                               "date": r.review_on.isoformat(), "explanation": r.text}
                              for r in missed]}, indent=2))  # fmt: skip
        return
    console.print(plan_table(current.tasks, zone=zone, title=f"plan of {email}"))
    for item in current.at_risk:
        label, text = at_risk_line(item)
        color = "yellow" if label == "at risk" else "cyan"
        console.print(f"[{color}]{label}[/]: {text}", highlight=False)
    later = later_line(current.later, zone)
    if later:
        console.print(f"[cyan]later[/]: {later}", highlight=False)
    if (line := missed_line(reviews)) is not None:
        console.print(f"[magenta]{line[0]}[/]: {line[1]}", highlight=False)
    if current.last_sync_at is None:
        console.print("no sync has run yet: 'studyplanner sync --user …' plans and pushes")


def plan_table(rows: list[dict[str, Any]], *, zone: str, title: str) -> Table:
    from datetime import datetime

    from rich.table import Table

    table = Table(f"when ({zone_label(zone)})", "min", "course", "task", "why", title=title)
    for r in rows:
        start = datetime.fromisoformat(r["start"]) if r["start"] else None
        end = datetime.fromisoformat(r["end"]) if r["end"] else None
        minutes = int((end - start).total_seconds() // 60) if start and end else 0
        pin = " 📌" if r["pinned"] else ""
        # The reason whole: rich wraps it in its column instead of a cut mid-word.
        table.add_row(local_time(start, zone), str(minutes), r["course"], r["title"] + pin,
                      r["reason"])  # fmt: skip
    return table


def register(app: typer.Typer) -> None:
    app.command("status")(status_cmd)
    app.command("plan")(plan_cmd)


def print_push(push: PushStatus, zones: dict[Any, str]) -> None:
    if not push.enabled:
        console.print("real-time sync: off (polling only)")
        return
    fallback = [u for u in push.users if not u.healthy]
    console.print(
        f"real-time sync: on — {len(push.users) - len(fallback)} student(s) on push, "
        f"{len(fallback)} polling; Notion webhook {push.notion_webhook}"
    )
    if fallback:
        from rich.table import Table

        table = Table("user", "why polling", title="push fell back to polling")
        for u in fallback[:50]:
            table.add_row(str(u.user_id)[:8], u.reason)
        console.print(table)
    if push.channels:
        from rich.table import Table

        channels = Table(
            "user", "calendar", "status", "expires (their time)", "last notified", "note",
            title="Google push channels",
        )  # fmt: skip
        for c in push.channels[:100]:
            zone = zones.get(c.user_id, "UTC")
            channels.add_row(
                str(c.user_id)[:8],
                c.calendar_id[:40],
                c.status,
                local_time(c.expires_at, zone, WHEN + " %z") if c.expires_at else "",
                local_time(c.last_notified_at, zone, WHEN + " %z") if c.last_notified_at else "",
                c.reason[:80],
            )
        console.print(channels)
