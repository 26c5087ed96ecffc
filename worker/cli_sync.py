"""CLI commands around the sync: connect the remotes, sync now, look at status and the plan,
run the emulators."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from planner.problems import InvalidInput
from worker.cli_common import UserOpt, console, start, unit_of_work

if TYPE_CHECKING:
    from rich.table import Table

    from services.sync.run import SyncReport

connect_app = typer.Typer(help="Connect Google Calendar or Notion.", no_args_is_help=True)
emulate_app = typer.Typer(
    help="Run a local Google Calendar or Notion emulator.", no_args_is_help=True
)


@connect_app.command("google")
def connect_google_cmd(
    user: UserOpt,
    token_file: Annotated[
        Path | None,
        typer.Option(help="An authorized-user token JSON (token, refresh_token, expiry)."),
    ] = None,
    calendar: Annotated[
        list[str] | None, typer.Option(help="A calendar to read busy times from (repeatable).")
    ] = None,
) -> None:
    """Store Google tokens (encrypted). Without --token-file, runs the browser consent flow."""
    from services import catalog
    from services.connect import connect_google, read_token_file, run_installed_app_flow

    settings = start()
    if token_file is not None:
        token = read_token_file(token_file)
    else:
        if not settings.google_client_id or not settings.google_client_secret:
            raise InvalidInput.single(
                "set STUDYPLANNER_GOOGLE_CLIENT_ID and STUDYPLANNER_GOOGLE_CLIENT_SECRET, or pass "
                "--token-file",
                "google",
            )
        token = run_installed_app_flow(
            settings.google_client_id, settings.google_client_secret.get_secret_value()
        )
    with unit_of_work() as session:
        connect_google(session, catalog.find_user(session, user), token, monitored=calendar)
    console.print("Google Calendar connected; the study calendar is created on the first sync")


@connect_app.command("notion")
def connect_notion_cmd(
    user: UserOpt,
    token: Annotated[str, typer.Option(help="The integration's secret (kept encrypted).")],
    database: Annotated[str, typer.Option(help="The database id (from its URL).")],
    data_source: Annotated[
        str | None, typer.Option(help="Which data source, when the database has several.")
    ] = None,
    one_way: Annotated[
        bool, typer.Option(help="Only push; do not read the student's edits back.")
    ] = False,
    property_names: Annotated[
        Path | None, typer.Option(help="JSON mapping our fields to your column names.")
    ] = None,
) -> None:
    """Store the Notion token (encrypted), resolve the data source, check or add the columns."""
    from services import catalog
    from services.connect import connect_notion

    settings = start()
    names = None
    if property_names is not None:
        try:
            names = json.loads(property_names.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InvalidInput.single(
                f"cannot read {property_names}: {exc}", "property-names"
            ) from None
    with unit_of_work() as session:
        row = connect_notion(
            session,
            settings,
            catalog.find_user(session, user),
            token=token,
            database_id=database,
            data_source=data_source,
            two_way=not one_way,
            property_names=names,
        )
        source = row.notion_data_source_id
    console.print(f"Notion connected (data source {source})")


def print_report(report: SyncReport) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items())) or "nothing to do"
    console.print(f"[bold]{report.outcome.value}[/] in {report.duration_ms} ms — {counts}")
    for line in report.reconciled:
        console.print(f"  reconciled: {line}")
    for error in report.errors:
        retry = " (will retry)" if error.retryable else ""
        console.print(f"  [red]{error.provider.value} {error.operation}[/]: {error.text()}{retry}")
    if report.plan is not None:
        for item in report.plan.at_risk:
            console.print(f"  [yellow]at risk[/]: {item.minutes_missing} min — {item.reason}")


def sync_cmd(
    user: Annotated[str | None, typer.Option("--user", "-u", help="Email or id.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every user due a sync.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Show what would change; write nowhere.")] = False,
    accept_remote_empty: Annotated[
        bool, typer.Option(help="Accept that a remote was emptied on purpose (safety valve).")
    ] = False,
) -> None:
    """Run the sync pipeline in this process (for cron and debugging)."""
    from sqlalchemy import select

    from db.enums import IntegrationHealth
    from db.models import IntegrationSettings
    from db.session import get_engine, session_scope
    from services import catalog
    from services.dispatch import claim_due_users
    from services.sync.run import SyncOptions, sync_user

    settings = start()
    engine = get_engine(settings.effective_database_url)
    if accept_remote_empty and user is None:
        raise InvalidInput.single("--accept-remote-empty needs --user", "accept-remote-empty")
    with session_scope(engine) as session:
        if all_:
            # The same claim as beat's dispatch: healthy integrations only, cursors moved.
            ids = [due.user_id for due in claim_due_users(session, now=datetime.now(UTC))]
        elif user is not None:
            ids = [catalog.find_user(session, user).id]
        else:
            raise InvalidInput.single("give --user or --all", "user")
        if accept_remote_empty:
            row = session.scalars(
                select(IntegrationSettings).where(IntegrationSettings.user_id == ids[0])
            ).first()
            if row is not None:
                # The admin's decision: the valve tripped on purpose, so health comes back.
                for provider in ("google", "notion"):
                    if getattr(row, f"{provider}_health") == IntegrationHealth.NEEDS_ATTENTION:
                        setattr(row, f"{provider}_health", IntegrationHealth.OK)
    options = SyncOptions(trigger="cli", dry_run=dry_run, accept_remote_empty=accept_remote_empty)
    failed = False
    for user_id in ids:
        report = sync_user(engine, settings, user_id, options=options)
        if len(ids) > 1:
            console.print(f"user {user_id}:")
        print_report(report)
        failed |= report.outcome.value == "failed"
    if dry_run:
        console.print("dry run: nothing was written to the database, Google or Notion")
    if failed:
        raise typer.Exit(1)


def status_cmd(
    user: Annotated[str | None, typer.Option("--user", "-u", help="Email or id.")] = None,
    limit: Annotated[int, typer.Option(help="How many runs and errors to show.")] = 10,
) -> None:
    """Last sync runs, open sync errors, integrations needing attention."""
    from rich.table import Table

    from services import catalog
    from services.status import sync_status

    with unit_of_work() as session:
        uid = catalog.find_user(session, user).id if user is not None else None
        status = sync_status(session, uid, limit=limit)
    runs = Table("started (UTC)", "user", "outcome", "ms", "counts", title="sync runs")
    for run in status.runs:
        runs.add_row(
            run.started_at.isoformat(timespec="seconds"),
            str(run.user_id)[:8],
            run.outcome,
            str(run.duration_ms or ""),
            ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items())),
        )
    errors = Table(
        "when (UTC)",
        "user",
        "provider",
        "operation",
        "status",
        "retry",
        "message",
        title="open sync errors",
    )
    for e in status.errors:
        errors.add_row(
            e.created_at.isoformat(timespec="seconds"),
            str(e.user_id)[:8],
            e.provider,
            e.operation,
            str(e.http_status or e.error_code or ""),
            "yes" if e.retryable else "no",
            e.message[:120],
        )
    attention = Table("user", "google", "notion", title="integrations needing attention")
    for row in status.attention:
        attention.add_row(str(row.user_id)[:8], row.google, row.notion)
    console.print(runs)
    console.print(errors)
    console.print(attention)


def plan_cmd(
    user: UserOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The current plan: scheduled tasks with the reason for each."""
    from services import catalog
    from services.status import current_plan

    with unit_of_work() as session:
        current = current_plan(session, catalog.find_user(session, user).id)
    rows, at_risk = current.tasks, current.at_risk
    if as_json:
        print(json.dumps({"tasks": rows, "at_risk": at_risk}, indent=2))
        return
    console.print(plan_table(rows, title=f"plan of {user}"))
    for item in at_risk:
        label = "later" if item["reason_code"] == "after_horizon" else "[yellow]at risk[/]"
        console.print(f"{label}: {item['minutes_missing']} min — {item['reason']}")
    if current.last_sync_at is None:
        console.print("no sync has run yet: 'studyplanner sync --user …' plans and pushes")


def plan_table(rows: list[dict[str, Any]], *, title: str) -> Table:
    from rich.table import Table

    table = Table("when (UTC)", "min", "course", "task", "why", title=title, show_lines=False)
    for r in rows:
        start = datetime.fromisoformat(r["start"]) if r["start"] else None
        end = datetime.fromisoformat(r["end"]) if r["end"] else None
        minutes = int((end - start).total_seconds() // 60) if start and end else 0
        pin = " 📌" if r["pinned"] else ""
        table.add_row(
            f"{start:%a %d %b %H:%M}" if start else "—",
            str(minutes),
            r["course"],
            r["title"] + pin,
            r["reason"][:90],
        )
    return table


@emulate_app.command("google")
def emulate_google(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
) -> None:
    """A Google Calendar v3 emulator (state in memory; GET /_admin/state dumps it)."""
    from emulators.google import serve

    serve("127.0.0.1", port)


@emulate_app.command("notion")
def emulate_notion(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8766,
) -> None:
    """A Notion API (2025-09-03) emulator (state in memory; GET /_admin/state dumps it)."""
    from emulators.notion import serve

    serve("127.0.0.1", port)


def register(app: typer.Typer) -> None:
    app.add_typer(connect_app, name="connect")
    app.add_typer(emulate_app, name="emulate")
    app.command("sync")(sync_cmd)
    app.command("status")(status_cmd)
    app.command("plan")(plan_cmd)
