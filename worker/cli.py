"""The `studyplanner` command. Input mistakes end in one clear line and exit code 2, never a
traceback; a service that is down ends in one line and exit code 1.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from planner.problems import InvalidInput
from worker import (
    cli_api,
    cli_catalog,
    cli_flower,
    cli_history,
    cli_status,
    cli_sync,
    cli_webhooks,
    cli_week,
)
from worker.cli_common import UserError, console, err_console, start

app = typer.Typer(
    name="studyplanner",
    help="Study plans in Google Calendar and Notion, kept right while you edit them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help: no rich import on --help, and flags shown as flags (not "--json <bool>").
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="Encryption keys for stored tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
cli_catalog.register(app)
cli_history.register(app)
cli_sync.register(app)
cli_status.register(app)
cli_week.register(app)
cli_flower.register(app)
cli_api.register(app)
cli_webhooks.register(app)


# --- db -------------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the database schema."""
    from db import migrate
    from db.session import get_engine

    settings = start()
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(url, revision)
    engine = get_engine(url)
    console.print(f"database at revision {migrate.current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""
    from db import migrate
    from db.session import get_engine

    settings = start()
    engine = get_engine(settings.effective_database_url)
    console.print(
        f"current {migrate.current_revision(engine) or 'empty'}, head {migrate.head_revision()}"
    )


# --- health ---------------------------------------------------------------------------------------


@app.command()
def health(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Check the database, the broker and the stored secrets' keys. Exit code 1 with a one-line
    reason if one is down."""
    from rich.table import Table

    from db.session import get_engine
    from services.health import (
        check_broker,
        check_database,
        check_integrations,
        check_secrets,
        check_workers,
        versions,
    )
    from services.realtime.health import check_push

    settings = start()
    engine = get_engine(settings.effective_database_url)
    checks = [
        check_database(engine),
        check_broker(settings),
        check_workers(engine, settings, datetime.now(UTC)),
    ]
    if checks[0].ok:
        checks.append(check_secrets(engine))
        checks.append(check_integrations(engine))
        checks.append(check_push(engine, settings, datetime.now(UTC)))
    failed = [c for c in checks if not c.ok]
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "ok": not failed,
                    "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
                    "versions": versions(),
                }
            )
        )
    else:
        table = Table("check", "status", "detail", title="studyplanner health")
        for c in checks:
            table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]DOWN[/]", c.detail)
        console.print(table)
        console.print(versions())
    if failed:
        err_console.print(f"unhealthy: {failed[0].name} {failed[0].detail}")
        raise typer.Exit(1)


# --- keys -----------------------------------------------------------------------------------------


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new Fernet key (put it first in STUDYPLANNER_FERNET_KEYS to rotate)."""
    from cryptography.fernet import Fernet

    console.print(Fernet.generate_key().decode())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored secret with the first key of STUDYPLANNER_FERNET_KEYS."""
    from db.crypto import DecryptionFailed
    from db.keyrotation import rotate_all
    from db.session import get_engine

    settings = start()
    try:
        report = rotate_all(get_engine(settings.effective_database_url))
    except DecryptionFailed as exc:
        raise UserError(
            f"{exc}: keep the old key in STUDYPLANNER_FERNET_KEYS (after the new one) until "
            "rotation has finished"
        ) from exc
    console.print(
        f"re-encrypted {report.values_rotated} value(s) in {len(report.columns)} column(s) "
        "with the primary key"
    )
    if report.left_to_writers:
        console.print(
            f"{report.left_to_writers} value(s) kept changing during the rotation and were left "
            "to their writers: run `studyplanner keys rotate` again"
        )


# --- demo -----------------------------------------------------------------------------------------


@app.command()
def demo(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the round trip.")] = 90.0,
    keep_running: Annotated[
        bool,
        typer.Option(
            help="Keep the worker and both emulators running afterwards (Ctrl-C stops them), "
            "to go on with 'sync' and 'flower'."
        ),
    ] = False,
) -> None:
    """The whole product on a seeded student (Maya Chen) in <var>/demo: both emulators, a real
    worker with beat, two syncs with her edits in between, the plan and a week view; then the
    exact lines to go on from the command line on the same data."""
    from services.settings import get_settings
    from worker.demo import run_demo

    try:
        # Not start(): that would make ./var's own key and broker folders, which the demo's
        # separate data folder never uses.
        settings = get_settings()
    except ValueError as exc:
        raise UserError(f"configuration: {exc}") from exc
    ok = run_demo(settings, console=console, timeout_s=timeout, keep_running=keep_running)
    if not ok:
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except UserError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except InvalidInput as exc:
        for problem in exc.problems:
            err_console.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        err_console.print(
            f"error: the database is not ready ({reason}): run 'studyplanner db upgrade', "
            "then 'studyplanner health'",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


def _is_database_error(exc: Exception) -> bool:
    if "sqlalchemy" not in sys.modules:  # nothing touched the database
        return False
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError)


if __name__ == "__main__":
    main()
