"""CSV files of courses, topics and assessments: bytes in, validated rows out (grade history:
`csv_grades`).

Pure (no database). Every problem of the file is collected in one pass — the header's, each
row's (all of a row's, not just its first) — with its line and column, and handed back with the
rows that had none (`Parsed`); the importer (imports.py) then checks those rows against the
student's data and reports everything together. Only a file that cannot be read as CSV at all
(size, encoding, quoting) stops at once. The exact formats are in the README ("Importing") and
examples/.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from planner.problems import InvalidInput, Problem
from services.schemas import AssessmentIn, CourseIn, TopicIn

MAX_BYTES = 5_000_000
MAX_ROWS = 20_000

COURSE_COLUMNS = (
    ("name", "code", "semester", "start_date", "end_date"),
    ("instructor", "credit_hours", "color", "assessments_complete", "description"),
)
TOPIC_COLUMNS = (
    ("course_code", "name"),
    ("difficulty", "order_index", "prerequisites", "description"),
)
ASSESSMENT_COLUMNS = (
    ("course_code", "name", "type", "weight_percent", "due", "estimated_duration_min"),
    ("max_score", "topics", "description"),
)
# Seed 004 names the field `due_date`: a file may use either name (not both).
ASSESSMENT_ALIASES = {"due_date": "due"}
# Stands in for a value that could not be read, so the rest of its row is still checked.
_UNREAD_DATE = datetime(2000, 1, 1, tzinfo=UTC)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, str]


@dataclass
class Table:
    """A file's rows (our column names; a missing column reads as empty) and its problems."""

    rows: list[Row]
    problems: list[Problem]
    missing: frozenset[str]


@dataclass
class Parsed(Generic[T]):
    """The rows without a problem, and every problem found. `names` holds (course code, name)
    of every row of the file, read or not: a reference to one of them is not 'unknown'."""

    rows: list[T]
    problems: list[Problem]
    names: frozenset[tuple[str, str]] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class CourseRow:
    line: int
    course: CourseIn


@dataclass(frozen=True, slots=True)
class TopicRow:
    line: int
    course_code: str
    topic: TopicIn


@dataclass(frozen=True, slots=True)
class AssessmentRow:
    line: int
    course_code: str
    assessment: AssessmentIn


def read_rows(
    data: bytes,
    columns: tuple[tuple[str, ...], tuple[str, ...]],
    source: str,
    aliases: dict[str, str] | None = None,
) -> Table:
    """Decode and split a CSV file, checking its header. Line numbers count the header as 1.
    `aliases` maps another accepted name of a column to ours; rows carry our names. Raises
    InvalidInput only when the bytes are not a CSV file at all."""
    required, optional = columns
    if len(data) > MAX_BYTES:
        raise InvalidInput([Problem(f"file is larger than {MAX_BYTES} bytes", source=source)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            [Problem(f"not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x})", source=source)]
        ) from None
    if "\x00" in text:
        raise InvalidInput([Problem("not a text file (it contains NUL bytes)", source=source)])
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise InvalidInput([Problem(f"malformed CSV: {exc}", source=source)]) from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise InvalidInput([Problem("empty file: expected a header line", source=source)])
    if len(records) - 1 > MAX_ROWS:
        raise InvalidInput([Problem(f"more than {MAX_ROWS} rows", source=source)])
    written = [cell.strip().lower() for cell in records[0]]
    header = [(aliases or {}).get(cell, cell) for cell in written]
    problems = _header_problems(written, header, required, optional, source, aliases or {})
    missing = frozenset(c for c in required if c not in header)
    rows = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(
                Problem(
                    f"has {len(record)} fields, the header has {len(header)}",
                    line=index,
                    source=source,
                )
            )
            continue
        values = dict.fromkeys(missing, "")
        values.update({h: cell.strip() for h, cell in zip(header, record, strict=True)})
        rows.append(Row(index, values))
    return Table(rows, problems, missing)


def _header_problems(
    written: list[str],
    header: list[str],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    source: str,
    aliases: dict[str, str],
) -> list[Problem]:
    problems = []
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(Problem(f"missing column(s) {', '.join(missing)}", line=1, source=source))
    unknown = [c for c in header if c not in required + optional]
    if unknown:
        allowed = ", ".join(
            (*required, *optional, *(f"{alias} (= {name})" for alias, name in aliases.items()))
        )
        problems.append(
            Problem(
                f"unknown column(s) {', '.join(unknown)}; allowed: {allowed}", line=1, source=source
            )
        )
    duplicated = sorted({c for c in written if written.count(c) > 1})
    if duplicated:
        problems.append(
            Problem(f"duplicate column(s) {', '.join(duplicated)}", line=1, source=source)
        )
    for alias, name in aliases.items():
        if alias in written and name in written:
            problems.append(
                Problem(f"columns {name} and {alias} are the same: keep one", line=1, source=source)
            )
    return problems


def finish(table: Table, rows: list[T], problems: list[Problem], **extra: Any) -> Parsed[T]:
    """The header's problems, then the rows' — leaving out a row's complaint about a column the
    header lacks (said once, on line 1)."""
    found = [p for p in problems if p.field not in table.missing]
    return Parsed(rows, [*table.problems, *found], **extra)


def validated(
    model: type[M], data: dict[str, Any], row: Row, source: str, problems: list[Problem],
    column_of: Callable[[str], str] = lambda field: field,
) -> M | None:  # fmt: skip
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            field = column_of(str(loc[0])) if loc else None
            message = error["msg"].removeprefix("Value error, ")
            problems.append(Problem(message, field=field, line=row.line, source=source))
        return None


def _present(row: Row, *names: str) -> Iterator[tuple[str, str]]:
    for name in names:
        value = row.values.get(name, "")
        if value != "":
            yield name, value


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "yes", "1", "y"):
        return True
    if lowered in ("false", "no", "0", "n", ""):
        return False
    raise ValueError(f"'{value}' is not yes/no")


def parse_courses(data: bytes, source: str = "courses.csv") -> Parsed[CourseRow]:
    table = read_rows(data, COURSE_COLUMNS, source)
    problems: list[Problem] = []
    parsed = []
    seen: dict[str, int] = {}
    for row in table.rows:
        before = len(problems)
        values: dict[str, Any] = {k: row.values[k] for k in COURSE_COLUMNS[0]}
        values.update(dict(_present(row, "credit_hours", "color", "description")))
        if row.values.get("instructor"):
            values["instructor_name"] = row.values["instructor"]
        try:
            values["assessments_complete"] = _bool(row.values.get("assessments_complete", ""))
        except ValueError as exc:
            problems.append(Problem(str(exc), "assessments_complete", row.line, source))
        course = validated(
            CourseIn, values, row, source, problems,
            column_of=lambda f: "instructor" if f == "instructor_name" else f,
        )  # fmt: skip
        code = row.values["code"]
        if code and code in seen:
            reason = f"course code {code} already on line {seen[code]}"
            problems.append(Problem(reason, "code", row.line, source))
        seen.setdefault(code, row.line)
        if course is not None and len(problems) == before:
            parsed.append(CourseRow(row.line, course))
    return finish(table, parsed, problems)


def parse_topics(data: bytes, source: str = "topics.csv") -> Parsed[TopicRow]:
    table = read_rows(data, TOPIC_COLUMNS, source)
    problems: list[Problem] = []
    parsed = []
    for row in table.rows:
        values: dict[str, Any] = {"name": row.values["name"]}
        if row.values.get("difficulty"):
            values["estimated_difficulty"] = row.values["difficulty"]
        if row.values.get("order_index"):
            values["order_index"] = row.values["order_index"]
        if row.values.get("description"):
            values["description"] = row.values["description"]
        values["prerequisites"] = tuple(
            p.strip() for p in row.values.get("prerequisites", "").split(";") if p.strip()
        )
        topic = validated(
            TopicIn, values, row, source, problems,
            column_of=lambda f: "difficulty" if f == "estimated_difficulty" else f,
        )  # fmt: skip
        if not row.values["course_code"]:
            problems.append(Problem("course code is empty", "course_code", row.line, source))
        elif topic is not None:
            parsed.append(TopicRow(row.line, row.values["course_code"], topic))
    names = frozenset((r.values["course_code"], r.values["name"]) for r in table.rows)
    return finish(table, parsed, problems, names=names)


def parse_due(value: str, zone: tzinfo) -> datetime:
    """ISO 8601 with an offset; or a local date-time in the student's zone; or a date (due at
    23:59 local that day)."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(23, 59), zone)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"'{value}' is not a date or date-time (use 2026-12-01, 2026-12-01 23:59 or "
            "2026-12-01T23:59+01:00)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def parse_assessments(
    data: bytes, zone: tzinfo, source: str = "assessments.csv"
) -> Parsed[AssessmentRow]:
    table = read_rows(data, ASSESSMENT_COLUMNS, source, ASSESSMENT_ALIASES)
    problems: list[Problem] = []
    parsed = []
    for row in table.rows:
        before = len(problems)
        values: dict[str, Any] = {
            k: row.values[k] for k in ("name", "type", "weight_percent", "estimated_duration_min")
        }
        values.update(dict(_present(row, "max_score", "description")))
        # A bad date or topics cell does not hide the rest of the row: the others are still
        # validated, against a stand-in value that is never kept.
        try:
            values["due_date"] = parse_due(row.values["due"], zone)
        except ValueError as exc:
            problems.append(Problem(str(exc), "due", row.line, source))
            values["due_date"] = _UNREAD_DATE
        try:
            values["topic_weights"] = _topic_weights(row.values.get("topics", ""))
        except ValueError as exc:
            problems.append(Problem(str(exc), "topics", row.line, source))
            values["topic_weights"] = {}
        assessment = validated(
            AssessmentIn, values, row, source, problems,
            column_of=lambda f: {"due_date": "due", "topic_weights": "topics"}.get(f, f),
        )  # fmt: skip
        if not row.values["course_code"]:
            problems.append(Problem("course code is empty", "course_code", row.line, source))
        elif assessment is not None and len(problems) == before:
            parsed.append(AssessmentRow(row.line, row.values["course_code"], assessment))
    return finish(table, parsed, problems)


def _topic_weights(cell: str) -> dict[str, float]:
    """'Limits:40;Derivatives:60' or 'Limits;Derivatives' (equal shares)."""
    parts = [p.strip() for p in cell.split(";") if p.strip()]
    if not parts:
        return {}
    if all(":" not in p for p in parts):
        share = round(100 / len(parts), 6)
        weights = dict.fromkeys(parts, share)
        first = parts[0]
        weights[first] = round(100 - share * (len(parts) - 1), 6)
        return weights
    weights = {}
    for part in parts:
        name, sep, weight = part.rpartition(":")
        if not sep or not name.strip():
            raise ValueError(
                f"'{part}' is not 'topic:weight' (write all topics with weights or none)"
            )
        try:
            weights[name.strip()] = float(weight)
        except ValueError:
            raise ValueError(
                f"weight '{weight}' of topic '{name.strip()}' is not a number"
            ) from None
    return weights
