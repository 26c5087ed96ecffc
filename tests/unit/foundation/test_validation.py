"""Seed 004's validation rules: one failing case per rule, and the message names field and rule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.schemas import (
    AssessmentIn,
    CourseIn,
    MasteryIn,
    PerformanceIn,
    PreferencesIn,
    Strict,
    UserIn,
    check_course_weights,
    describe_errors,
)

VALID_USER = {"email": "ada@example.edu", "full_name": "Ada", "timezone": "Europe/Berlin"}
VALID_COURSE = {
    "name": "Calculus",
    "code": "MATH 2413",
    "semester": "Fall 2026",
    "start_date": date(2026, 9, 1),
    "end_date": date(2026, 12, 20),
}
VALID_ASSESSMENT = {
    "name": "Quiz 1",
    "type": "quiz",
    "weight_percent": 10,
    "due_date": datetime(2026, 10, 1, 21, 59, tzinfo=UTC),
    "estimated_duration_min": 60,
}
VALID_PERFORMANCE = {
    "score": 8,
    "max_score": 10,
    "time_spent_min": 20,
    "completed_at": datetime(2026, 10, 2, tzinfo=UTC),
}
VALID_MASTERY = {"mastery_score": 50, "confidence_interval": 10, "review_interval_days": 3}


def errors_of(model: type[Strict], data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return describe_errors(caught.value)


@pytest.mark.parametrize(
    ("model", "valid", "change", "expected"),
    [
        (UserIn, VALID_USER, {"email": "not-an-email"}, "email: value is not a valid email"),
        (UserIn, VALID_USER, {"timezone": "Mars/Olympus"}, "timezone: 'Mars/Olympus' is not an IANA"),
        (UserIn, VALID_USER, {"timezone": "CEST"}, "timezone: 'CEST' is not an IANA"),
        (PreferencesIn, {}, {"max_hours_per_day": 0.5}, "max_hours_per_day: Input should be greater than or equal to 1"),
        (PreferencesIn, {}, {"max_hours_per_day": 17}, "max_hours_per_day: Input should be less than or equal to 16"),
        (PreferencesIn, {}, {"preferred_block_length_min": 14}, "preferred_block_length_min: Input should be greater than or equal to 15"),
        (PreferencesIn, {}, {"preferred_block_length_min": 181}, "preferred_block_length_min: Input should be less than or equal to 180"),
        (PreferencesIn, {}, {"break_length_min": 4}, "break_length_min: Input should be greater than or equal to 5"),
        (PreferencesIn, {}, {"break_length_min": 61}, "break_length_min: Input should be less than or equal to 60"),
        (PreferencesIn, {}, {"weekly_availability": {"funday": []}}, "weekly_availability: unknown weekday(s) ['funday']"),
        (PreferencesIn, {}, {"weekly_availability": {"monday": [{"start": "22:00", "end": "18:00"}]}}, "weekly_availability.monday.0: end 18:00 must be after start 22:00"),
        (PreferencesIn, {}, {"weekly_availability": {"monday": [{"start": "7pm", "end": "22:00"}]}}, "weekly_availability.monday.0.start: '7pm' is not a time of day HH:MM"),
        (PreferencesIn, {}, {"min_review_interval_days": 366}, "min_review_interval_days: Input should be less than or equal to 365"),
        (CourseIn, VALID_COURSE, {"end_date": date(2026, 8, 1)}, "end_date 2026-08-01 must be after start_date 2026-09-01"),
        (AssessmentIn, VALID_ASSESSMENT, {"weight_percent": 101}, "weight_percent: Input should be less than or equal to 100"),
        (AssessmentIn, VALID_ASSESSMENT, {"due_date": datetime(2026, 10, 1, 12)}, "due_date: due_date needs a time zone offset"),
        (AssessmentIn, VALID_ASSESSMENT, {"type": "exam"}, "type: Input should be 'quiz', 'assignment', 'midterm', 'final' or 'project'"),
        (AssessmentIn, VALID_ASSESSMENT, {"topic_weights": {"Limits": 30, "Series": 30}}, "topic_weights: topic weights must sum to 100, got 60"),
        (PerformanceIn, VALID_PERFORMANCE, {"score": 11}, "score 11 exceeds max_score 10"),
        (PerformanceIn, VALID_PERFORMANCE, {"score": -1}, "score: Input should be greater than or equal to 0"),
        (PerformanceIn, VALID_PERFORMANCE, {"time_spent_min": 0}, "time_spent_min: Input should be greater than 0"),
        (PerformanceIn, VALID_PERFORMANCE, {"topic_breakdown": {"t": {"correct": 9, "total": 8}}}, "topic_breakdown.t: correct (9) cannot exceed total (8)"),
        (MasteryIn, VALID_MASTERY, {"mastery_score": 100.5}, "mastery_score: Input should be less than or equal to 100"),
        (MasteryIn, VALID_MASTERY, {"confidence_interval": 51}, "confidence_interval: Input should be less than or equal to 50"),
        (MasteryIn, VALID_MASTERY, {"review_interval_days": 0}, "review_interval_days: Input should be greater than or equal to 1"),
    ],
)  # fmt: skip
def test_rule(
    model: type[Strict], valid: dict[str, Any], change: dict[str, Any], expected: str
) -> None:
    model.model_validate(valid)  # the base record is valid
    messages = errors_of(model, {**valid, **change})
    assert any(expected in m for m in messages), messages


def test_percentage_is_derived_and_bounded() -> None:
    record = PerformanceIn.model_validate(VALID_PERFORMANCE)
    assert record.percentage == 80.0


def test_unknown_fields_are_refused_by_name() -> None:
    assert errors_of(UserIn, {**VALID_USER, "favourite_colour": "red"}) == [
        "favourite_colour: Extra inputs are not permitted"
    ]


def test_course_weights_must_sum_to_100_once_complete() -> None:
    check_course_weights("MATH 1", [40, 60], assessments_complete=True)
    check_course_weights("MATH 1", [40, 20], assessments_complete=False)  # still being entered
    with pytest.raises(ValueError, match=r"MATH 1: assessment weights sum to 60%, not 100%"):
        check_course_weights("MATH 1", [40, 20], assessments_complete=True)
    with pytest.raises(ValueError, match=r"sum to 110%, more than 100%"):
        check_course_weights("MATH 1", [50, 60], assessments_complete=False)
