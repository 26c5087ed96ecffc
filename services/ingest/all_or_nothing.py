"""How every import applies its rows: all or nothing, every problem in one pass.

Each row runs in a savepoint of its own, so one bad row does not hide the next one's problems;
the whole import runs in one outer savepoint, rolled back if any row, the file itself or a
whole-file rule found a problem. The report counts what a kept import created or changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Course, User
from planner.problems import InvalidInput, Problem
from services.catalog import Upserted
from services.ingest import csv_rows as csv_files

Progress = Callable[[int, int], None]  # (done, total)
R = TypeVar("R")


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0
    notes: list[str] = field(default_factory=list)

    def count(self, outcome: Upserted) -> None:
        self.rows += 1
        if outcome.created:
            self.created += 1
        elif outcome.changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def __str__(self) -> str:
        text = (
            f"{self.kind}: {self.rows} row(s) — {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        return text + (f", {self.cancelled} cancelled" if self.cancelled else "")


def apply_rows(
    session: Session,
    rows: Sequence[R],
    apply_row: Callable[[R], None],
    *,
    line_of: Callable[[R], int | None],
    source: str,
    progress: Progress | None = None,
) -> list[Problem]:
    """Each row in a savepoint of its own; the problems of the rows that did not fit."""
    problems: list[Problem] = []
    for done, row in enumerate(rows, start=1):
        try:
            with session.begin_nested():
                apply_row(row)
        except InvalidInput as exc:
            problems.extend(Problem(p.reason, p.field, line_of(row), source) for p in exc.problems)
        if progress:
            progress(done, len(rows))
    return problems


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    # Stable: a row's problems keep their order; whole-file ones (no line) come last.
    return sorted(problems, key=lambda p: p.line if p.line is not None else 1 << 30)


def all_or_nothing(
    session: Session,
    apply_all: Callable[[], list[Problem]],
    *,
    found: Sequence[Problem] = (),
    finish: Callable[[], list[Problem]] = list,
) -> None:
    """Run `apply_all` in one savepoint; keep it only if neither it nor the file (`found`) has
    a problem and `finish` (the whole-file rules) finds none either."""
    savepoint = session.begin_nested()
    try:
        problems = [*found, *apply_all()]
        if not problems:
            problems = finish()
    except BaseException:
        savepoint.rollback()
        raise
    if problems:
        savepoint.rollback()
        raise InvalidInput(_in_file_order(problems))
    savepoint.commit()


def import_rows(
    session: Session,
    parsed: csv_files.Parsed[Any],
    apply_row: Callable[[Any], None],
    *,
    source: str,
    progress: Progress | None,
    finish: Callable[[], list[Problem]] = list,
) -> None:
    """A one-pass import: the file's problems and its rows' problems together."""

    def apply_all() -> list[Problem]:
        return apply_rows(
            session, parsed.rows, apply_row, line_of=lambda r: r.line, source=source,
            progress=progress,
        )  # fmt: skip

    all_or_nothing(session, apply_all, found=parsed.problems, finish=finish)


def courses_by_code(session: Session, user: User) -> dict[str, Course]:
    return {c.code: c for c in session.scalars(select(Course).where(Course.user_id == user.id))}


def course_by_code(courses: dict[str, Course], code: str, user: User) -> Course:
    course = courses.get(code)
    if course is None:
        known = ", ".join(sorted(courses)) or "none yet"
        raise InvalidInput.single(f"unknown course code '{code}' (known: {known})", "course_code")
    return course
