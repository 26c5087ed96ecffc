"""What every CLI command shares: the consoles, start-up, one unit of work per command, the
user option, and turning input into validated values. Imports nothing of the other CLI modules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.orm import Session

from db.session import get_engine, session_scope
from planner.problems import InvalidInput, Problem
from services.bootstrap import configure_process
from services.schemas import describe_errors
from services.settings import Settings, ensure_broker_folders, get_settings

console = Console()
err_console = Console(stderr=True)

UserOpt = Annotated[str, typer.Option("--user", "-u", help="The student's email or id.")]
CourseOpt = Annotated[str, typer.Option("--course", "-c", help="Course code, e.g. 'MATH 2413'.")]


class UserError(Exception):
    """A mistake in what the user asked for: shown as one line, exit code 2."""


def start() -> Settings:
    try:
        settings = get_settings()
        configure_process(settings)
        ensure_broker_folders(settings)
    except ValueError as exc:
        raise UserError(f"configuration: {exc}") from exc
    return settings


@contextmanager
def unit_of_work() -> Iterator[Session]:
    settings = start()
    with session_scope(get_engine(settings.effective_database_url)) as session:
        yield session


def validated(model: type[Any], data: dict[str, Any], source: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(Problem(line, source=source) for line in describe_errors(exc)) from None


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_when(value: str, zone: str, field: str) -> datetime:
    from services.ingest.csv_rows import parse_due

    try:
        return parse_due(value, ZoneInfo(zone))
    except ValueError as exc:
        raise InvalidInput.single(str(exc), field) from None
