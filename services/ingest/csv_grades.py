"""The grade-history CSV: bytes in, validated results out, every problem of the file in one pass
(see `csv_rows`, which reads the file and its header)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from pydantic import ValidationError

from planner.problems import Problem
from services.ingest.csv_rows import Parsed, Row, finish, read_rows
from services.schemas import MAX_ATTEMPT, MAX_MINUTES, TopicResult

GRADE_COLUMNS = (
    ("assessment_name", "score", "max_score", "date"),
    ("course_code", "topics", "time_spent_min", "attempt"),
)


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


def parse_grades(
    data: bytes, zone: tzinfo, now: datetime, source: str = "grades.csv"
) -> Parsed[GradeRow]:
    table = read_rows(data, GRADE_COLUMNS, source)
    problems: list[Problem] = []
    parsed = []
    for row in table.rows:
        grade, row_problems = _grade(row, zone, now, source)
        problems.extend(row_problems)
        if grade is not None:
            parsed.append(grade)
    return finish(table, parsed, problems)


def grade_rows(rows: list[Row], zone: tzinfo, now: datetime, source: str) -> Parsed[GradeRow]:
    """Grade rows from cells that did not come from a file (the API's JSON list written as
    cells), checked by the same rules as a CSV file's rows."""
    problems: list[Problem] = []
    parsed = []
    for row in rows:
        grade, row_problems = _grade(row, zone, now, source)
        problems.extend(row_problems)
        if grade is not None:
            parsed.append(grade)
    return Parsed(parsed, problems)


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
    time_spent = _whole(row.values.get("time_spent_min", ""), "time_spent_min", MAX_MINUTES, bad)
    attempt = _whole(row.values.get("attempt", ""), "attempt", MAX_ATTEMPT, bad) or 1
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


def _whole(value: str, field: str, maximum: int, bad: Callable[[str, str], None]) -> int | None:
    """A whole number within 1..maximum, or None (blank or reported through `bad`)."""
    if value == "":
        return None
    number = _number(value, field, bad)
    if number is None:
        return None
    if not 1 <= number <= maximum or number != int(number):
        bad(f"{field} must be a whole number within 1..{maximum}", field)
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
