"""What every CLI command shares: the consoles, start-up, one unit of work per command, the
user option, times in the student's zone, and turning input into validated values. Imports
nothing of the other CLI modules.

Nothing heavy is imported at module level (no SQLAlchemy, pydantic, Celery or rich): `studyplanner
--help` builds every command from these modules, and it stays fast only if they are light. Each
command imports what it needs when it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session

    from services.settings import Settings


class _LazyConsole:
    """A rich Console built on first use."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


console = cast("Console", _LazyConsole(stderr=False))
err_console = cast("Console", _LazyConsole(stderr=True))

UserOpt = Annotated[
    str,
    typer.Option(
        "--user", "-u", help="The student's email, id, or the start of the id ('user list')."
    ),
]
CourseOpt = Annotated[str, typer.Option("--course", "-c", help="Course code, e.g. 'MATH 2413'.")]


class UserError(Exception):
    """A mistake in what the user asked for: shown as one line, exit code 2."""


def real_console(proxy: Console) -> Console:
    """The Console behind `console`, for rich objects that enter it as a context manager
    (Progress, Live): special methods are not looked up through a proxy's __getattr__."""
    return proxy.real() if isinstance(proxy, _LazyConsole) else proxy


def start() -> Settings:
    from services.bootstrap import configure_process
    from services.settings import ensure_broker_folders, get_settings

    try:
        settings = get_settings()
        configure_process(settings)
        ensure_broker_folders(settings)
    except ValueError as exc:
        raise UserError(f"configuration: {exc}") from exc
    return settings


@contextmanager
def unit_of_work() -> Iterator[Session]:
    from db.session import get_engine, session_scope

    settings = start()
    with session_scope(get_engine(settings.effective_database_url)) as session:
        yield session


def validated(model: type[Any], data: dict[str, Any], source: str) -> Any:
    from pydantic import ValidationError

    from planner.problems import InvalidInput, Problem
    from services.schemas import describe_errors

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(Problem(line, source=source) for line in describe_errors(exc)) from None


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_when(value: str, zone: str, field: str) -> datetime:
    from zoneinfo import ZoneInfo

    from planner.problems import InvalidInput
    from services.ingest.csv_rows import parse_due

    try:
        return parse_due(value, ZoneInfo(zone))
    except ValueError as exc:
        raise InvalidInput.single(str(exc), field) from None


def local_time(value: datetime | str | None, zone: str, fmt: str = "%a %d %b %H:%M") -> str:
    """A stored (UTC) time as the student reads it: in their zone. '—' for none."""
    from zoneinfo import ZoneInfo

    if value is None or value == "":
        return "—"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:  # SQLite hands back naive UTC in raw queries
        when = when.replace(tzinfo=UTC)
    return when.astimezone(ZoneInfo(zone)).strftime(fmt)


def local_iso(value: datetime | str | None, zone: str) -> str:
    """A stored (UTC) time as ISO 8601 with the student's offset, for exports; '' for none."""
    from zoneinfo import ZoneInfo

    if value is None or value == "":
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(ZoneInfo(zone)).isoformat()


def zone_label(zone: str) -> str:
    """A column header's zone: 'New York' for America/New_York, 'UTC' for UTC."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")
