"""CSV files of courses, topics, assessments and grade history: bytes in, validated rows out.

Pure (no database): every problem of the file is collected with its line and column and raised
at once as `InvalidInput`; the importer (db/imports.py) then checks the rows against the
student's data. The exact formats are in the README ("Importing") and examples/.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from planner.problems import InvalidInput, Problem
from services.schemas import AssessmentIn, CourseIn, TopicIn, TopicResult

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
GRADE_COLUMNS = (
    ("assessment_name", "score", "max_score", "date"),
    ("course_code", "topics", "time_spent_min", "attempt"),
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, str]


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


@dataclass(frozen=True, slots=True)
class GradeRow:
    line: int
    course_code: str | None
    assessment_name: str
    score: float
    max_score: float
    completed_at: datetime
    time_spent_min: int | None
    attempt: int
    topics: dict[str, TopicResult | None]  # topic name -> counts, or None: the overall score


def read_rows(
    data: bytes, columns: tuple[tuple[str, ...], tuple[str, ...]], source: str
) -> list[Row]:
    """Decode and split a CSV file, checking its header. Line numbers count the header as 1."""
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
    header = [cell.strip().lower() for cell in records[0]]
    problems = _header_problems(header, required, optional, source)
    if problems:
        raise InvalidInput(problems)
    if len(records) - 1 > MAX_ROWS:
        raise InvalidInput([Problem(f"more than {MAX_ROWS} rows", source=source)])
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
        rows.append(Row(index, {h: cell.strip() for h, cell in zip(header, record, strict=True)}))
    if problems:
        raise InvalidInput(problems)
    return rows


def _header_problems(
    header: list[str], required: tuple[str, ...], optional: tuple[str, ...], source: str
) -> list[Problem]:
    problems = []
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(Problem(f"missing column(s) {', '.join(missing)}", line=1, source=source))
    unknown = [c for c in header if c not in required + optional]
    if unknown:
        allowed = ", ".join(required + optional)
        problems.append(
            Problem(
                f"unknown column(s) {', '.join(unknown)}; allowed: {allowed}", line=1, source=source
            )
        )
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        problems.append(
            Problem(f"duplicate column(s) {', '.join(duplicated)}", line=1, source=source)
        )
    return problems


def _validated(
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


def parse_courses(data: bytes, source: str = "courses.csv") -> list[CourseRow]:
    rows = read_rows(data, COURSE_COLUMNS, source)
    problems: list[Problem] = []
    parsed = []
    seen: dict[str, int] = {}
    for row in rows:
        values: dict[str, Any] = {k: row.values[k] for k in COURSE_COLUMNS[0]}
        values.update(dict(_present(row, "credit_hours", "color", "description")))
        if row.values.get("instructor"):
            values["instructor_name"] = row.values["instructor"]
        try:
            values["assessments_complete"] = _bool(row.values.get("assessments_complete", ""))
        except ValueError as exc:
            problems.append(Problem(str(exc), "assessments_complete", row.line, source))
            continue
        course = _validated(
            CourseIn, values, row, source, problems,
            column_of=lambda f: "instructor" if f == "instructor_name" else f,
        )  # fmt: skip
        if course is None:
            continue
        if course.code in seen:
            problems.append(
                Problem(
                    f"course code {course.code} already on line {seen[course.code]}",
                    "code",
                    row.line,
                    source,
                )
            )
            continue
        seen[course.code] = row.line
        parsed.append(CourseRow(row.line, course))
    if problems:
        raise InvalidInput(problems)
    return parsed


def parse_topics(data: bytes, source: str = "topics.csv") -> list[TopicRow]:
    rows = read_rows(data, TOPIC_COLUMNS, source)
    problems: list[Problem] = []
    parsed = []
    for row in rows:
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
        topic = _validated(
            TopicIn, values, row, source, problems,
            column_of=lambda f: "difficulty" if f == "estimated_difficulty" else f,
        )  # fmt: skip
        if not row.values["course_code"]:
            problems.append(Problem("course code is empty", "course_code", row.line, source))
        elif topic is not None:
            parsed.append(TopicRow(row.line, row.values["course_code"], topic))
    if problems:
        raise InvalidInput(problems)
    return parsed


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
) -> list[AssessmentRow]:
    rows = read_rows(data, ASSESSMENT_COLUMNS, source)
    problems: list[Problem] = []
    parsed = []
    for row in rows:
        values: dict[str, Any] = {
            k: row.values[k] for k in ("name", "type", "weight_percent", "estimated_duration_min")
        }
        values.update(dict(_present(row, "max_score", "description")))
        try:
            values["due_date"] = parse_due(row.values["due"], zone)
            values["topic_weights"] = _topic_weights(row.values.get("topics", ""))
        except ValueError as exc:
            column = "due" if "date" in str(exc) else "topics"
            problems.append(Problem(str(exc), column, row.line, source))
            continue
        assessment = _validated(
            AssessmentIn, values, row, source, problems,
            column_of=lambda f: {"due_date": "due", "topic_weights": "topics"}.get(f, f),
        )  # fmt: skip
        if not row.values["course_code"]:
            problems.append(Problem("course code is empty", "course_code", row.line, source))
        elif assessment is not None:
            parsed.append(AssessmentRow(row.line, row.values["course_code"], assessment))
    if problems:
        raise InvalidInput(problems)
    return parsed


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


def parse_grades(
    data: bytes, zone: tzinfo, now: datetime, source: str = "grades.csv"
) -> list[GradeRow]:
    return grade_rows(read_rows(data, GRADE_COLUMNS, source), zone, now, source)


def grade_rows(rows: list[Row], zone: tzinfo, now: datetime, source: str) -> list[GradeRow]:
    """Grade rows from cells (a CSV file's, or the API's JSON list written as cells), with
    every problem of every row raised at once."""
    problems: list[Problem] = []
    parsed = []
    for row in rows:
        grade, row_problems = _grade(row, zone, now, source)
        problems.extend(row_problems)
        if grade is not None:
            parsed.append(grade)
    if problems:
        raise InvalidInput(problems)
    return parsed


def _grade(
    row: Row, zone: tzinfo, now: datetime, source: str
) -> tuple[GradeRow | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(reason: str, field: str) -> None:
        problems.append(Problem(reason, field, row.line, source))

    score = _number(row.values["score"], "score", bad)
    max_score = _number(row.values["max_score"], "max_score", bad)
    if score is not None and max_score is not None:
        if max_score <= 0:
            bad("max_score must be greater than 0", "max_score")
        elif not 0 <= score <= max_score:
            bad(f"score {score:g} must be within 0..max_score ({max_score:g})", "score")
    completed_at = None
    try:
        completed_at = _grade_date(row.values["date"], zone)
        if completed_at > now:
            bad(f"date {row.values['date']} is in the future", "date")
    except ValueError as exc:
        bad(str(exc), "date")
    time_spent = _whole(row.values.get("time_spent_min", ""), "time_spent_min", 1, bad)
    attempt = _whole(row.values.get("attempt", ""), "attempt", 1, bad) or 1
    topics: dict[str, TopicResult | None] = {}
    try:
        topics = _topic_results(row.values.get("topics", ""))
    except ValueError as exc:
        bad(str(exc), "topics")
    if not row.values["assessment_name"]:
        bad("assessment name is empty", "assessment_name")
    if problems or score is None or max_score is None or completed_at is None:
        return None, problems
    grade = GradeRow(
        line=row.line,
        course_code=row.values.get("course_code") or None,
        assessment_name=row.values["assessment_name"],
        score=score,
        max_score=max_score,
        completed_at=completed_at,
        time_spent_min=time_spent,
        attempt=attempt,
        topics=topics,
    )
    return grade, problems


def _whole(value: str, field: str, minimum: int, bad: Callable[[str, str], None]) -> int | None:
    if value == "":
        return None
    number = _number(value, field, bad)
    if number is None:
        return None
    if number < minimum or number != int(number):
        bad(f"{field} must be a whole number ≥ {minimum}", field)
        return None
    return int(number)


def _number(value: str, field: str, bad: Callable[[str, str], None]) -> float | None:
    try:
        number = float(value)
    except ValueError:
        bad(f"'{value}' is not a number", field)
        return None
    if number != number or number in (float("inf"), float("-inf")):
        bad(f"'{value}' is not a finite number", field)
        return None
    return number


def _grade_date(value: str, zone: tzinfo) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0, 0), zone)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a date (use 2026-10-01 or 2026-10-01T14:00)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _topic_results(cell: str) -> dict[str, TopicResult | None]:
    """'Limits:4/5;Derivatives:3/5' (correct/total per topic) or 'Limits;Derivatives'."""
    results: dict[str, TopicResult | None] = {}
    for part in (p.strip() for p in cell.split(";")):
        if not part:
            continue
        name, sep, counts = part.rpartition(":")
        if not sep:
            results[part] = None
            continue
        correct, slash, total = counts.partition("/")
        try:
            results[name.strip()] = TopicResult(correct=int(correct), total=int(total))
        except (ValueError, ValidationError):
            raise ValueError(
                f"'{part}' is not 'topic:correct/total' with 0 ≤ correct ≤ total and total > 0"
            ) from None
        if not slash:
            raise ValueError(f"'{part}' is not 'topic:correct/total'")
    return results
