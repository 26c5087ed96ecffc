"""CLI commands around the sync: connect the remotes, sync now, look at status and the plan,
run the emulators."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from planner.problems import InvalidInput
from worker.cli_common import UserError, UserOpt, console, start, unit_of_work

if TYPE_CHECKING:
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
    from integrations.errors import IntegrationError
    from services.connect import google_calendar_choices

    failure = "Google listed none"
    with unit_of_work() as session:
        row = connect_google(session, catalog.find_user(session, user), token, monitored=calendar)
        try:
            choices = google_calendar_choices(settings, row)
        except IntegrationError as exc:
            choices, failure = [], str(exc)
    console.print("Google Calendar connected; the study calendar is created on the first sync")
    if not choices:
        console.print(f"(could not list the calendars now: {failure}; the sync will)")
        return
    show_calendar_choices(choices, explicit=bool(calendar))


def show_calendar_choices(choices: list[Any], *, explicit: bool) -> None:
    from rich.table import Table

    table = Table("calendar", "id", "access", "shown", "busy time read", title="your calendars")
    for choice in choices:
        cal = choice.calendar
        table.add_row(
            cal.summary + (" (primary)" if cal.primary else ""), cal.id, cal.access_role,
            "yes" if cal.selected else "no",
            f"[green]yes[/] — {choice.why}" if choice.used else f"no — {choice.why}",
        )  # fmt: skip
    console.print(table)
    if not explicit:
        console.print(
            "By default the planner avoids the busy time of every calendar you own or show in "
            "Google Calendar; --calendar ID (repeatable) names exactly which instead."
        )


NOTION_TOKEN_ENV = "STUDYPLANNER_NOTION_TOKEN"


@connect_app.command("notion")
def connect_notion_cmd(
    user: UserOpt,
    database: Annotated[str, typer.Option(help="The database id (from its URL).")],
    token_file: Annotated[
        Path | None,
        typer.Option(
            help=f"A file holding the integration's secret. Without it: ${NOTION_TOKEN_ENV}, "
            "else a hidden prompt (or standard input)."
        ),
    ] = None,
    token: Annotated[str | None, typer.Option(hidden=True)] = None,
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
    """Store the Notion token (encrypted), resolve the data source, check or add the columns.

    The secret never goes on the command line, where every user of the machine can read it in
    the process list: it comes from --token-file, $STUDYPLANNER_NOTION_TOKEN or a prompt."""
    from services import catalog
    from services.connect import connect_notion

    if token is not None:
        raise InvalidInput.single(
            "--token was removed: a secret on the command line shows in the process list; use "
            f"--token-file FILE, ${NOTION_TOKEN_ENV} or the prompt (and revoke the secret just "
            "typed, if others use this machine)",
            "token",
        )
    secret = notion_secret(token_file)
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
            token=secret,
            database_id=database,
            data_source=data_source,
            two_way=not one_way,
            property_names=names,
        )
        source = row.notion_data_source_id
    console.print(f"Notion connected (data source {source})")


def notion_secret(token_file: Path | None) -> str:
    """The Notion secret from a file, the environment or a hidden prompt, in that order."""
    import os
    import sys

    if token_file is not None:
        try:
            secret = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise InvalidInput.single(f"cannot read {token_file}: {reason}", "token-file") from None
        where = str(token_file)
    elif os.environ.get(NOTION_TOKEN_ENV, "").strip():
        secret, where = os.environ[NOTION_TOKEN_ENV].strip(), f"${NOTION_TOKEN_ENV}"
    elif sys.stdin.isatty():
        try:
            secret = typer.prompt("Notion integration secret", hide_input=True).strip()
        except typer.Abort:
            secret = ""
        where = "the prompt"
    else:  # piped in: `secret-tool lookup … | studyplanner connect notion …`
        secret, where = sys.stdin.readline().strip(), "standard input"
    if not secret:
        raise InvalidInput.single(f"no Notion secret in {where}", "token")
    if len(secret.split()) != 1:
        raise InvalidInput.single(f"the Notion secret in {where} has spaces in it", "token")
    return secret


def print_report(report: SyncReport, zone: str) -> None:
    from services.sync.horizon import at_risk_line, later_line

    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items())) or "nothing to do"
    console.print(f"[bold]{report.outcome.value}[/] in {report.duration_ms} ms — {counts}")
    for line in report.reconciled:
        console.print(f"  reconciled: {line}")
    for error in report.errors:
        retry = " (will retry)" if error.retryable else ""
        console.print(f"  [red]{error.provider.value} {error.operation}[/]: {error.text()}{retry}")
    for item in report.details()["at_risk"]:
        label, text = at_risk_line(item)
        console.print(f"  [yellow]{label}[/]: {text}", highlight=False)
    later = later_line(report.later, zone)
    if later:
        console.print(f"  [cyan]later[/]: {later}", highlight=False)


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
    from db.models import IntegrationSettings, User
    from db.session import get_engine, session_scope
    from services import catalog
    from services.dispatch import claim_due_users
    from services.sync.run import SyncOptions, sync_user
    from services.unreadable_secrets import is_unreadable

    settings = start()
    engine = get_engine(settings.effective_database_url)
    if accept_remote_empty and user is None:
        raise InvalidInput.single("--accept-remote-empty needs --user", "accept-remote-empty")
    with session_scope(engine) as session:
        if all_:
            # The same claim as beat's dispatch: healthy integrations only, cursors moved.
            claimed = claim_due_users(session, now=datetime.now(UTC), settings=settings)
            ids = [due.user_id for due in claimed]
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
        zones = {
            uid: zone
            for uid, zone in session.execute(select(User.id, User.timezone).where(User.id.in_(ids)))
        }
    options = SyncOptions(trigger="cli", dry_run=dry_run, accept_remote_empty=accept_remote_empty)
    if not ids:
        console.print("no student is due a sync (each is synced every few minutes by beat)")
    failed = False
    unreadable: list[SyncReport] = []
    for user_id in ids:
        report = sync_user(engine, settings, user_id, options=options)
        if is_unreadable(report):
            unreadable.append(report)  # one line for all of them, below
            continue
        if len(ids) > 1:
            console.print(f"user {user_id}:")
        print_report(report, zones.get(user_id, "UTC"))
        failed |= report.outcome.value == "failed"
    if dry_run:
        console.print("dry run: nothing was written to the database, Google or Notion")
    if unreadable:
        students = f" ({len(unreadable)} students)" if len(unreadable) > 1 else ""
        recorded = "" if dry_run else "; recorded, see 'studyplanner status'"
        raise UserError(f"{unreadable[0].errors[0].text()}{students}{recorded}")
    if failed:
        raise typer.Exit(1)


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
