"""Input schemas: every rule of seed 004's "Data Validation Rules", checked before anything is
written. Each error names the field and the rule (`describe_errors`).

Assessment weights per course must sum to 100 — but a student adds assessments one by one, so the
rule applies only once the course's list is declared complete (`Course.assessments_complete`,
`studyplanner course add --assessments-complete` or the `assessments_complete` CSV column). Until
then the sum may be below 100, never above.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from db.enums import AcademicLevel, AssessmentType, Difficulty, DifficultyCurve

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEIGHT_TOLERANCE = 0.01
# Upper bounds of the whole numbers a student types. Beyond the rule they state, they keep every
# value inside the database's INTEGER (SQLite raised OverflowError, PostgreSQL a DataError).
MAX_MINUTES = 10_000
MAX_ORDER_INDEX = 100_000
MAX_ATTEMPT = 1_000
MAX_QUESTIONS = 100_000
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def _iana_zone(name: str) -> str:
    # ZoneInfo accepts some non-IANA spellings (file paths, "localtime"); require a known key.
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"'{name}' is not an IANA time zone (e.g. Europe/Berlin)") from exc
    if name not in available_timezones():
        raise ValueError(f"'{name}' is not an IANA time zone (e.g. Europe/Berlin)")
    return name


IanaZone = Annotated[str, AfterValidator(_iana_zone)]


class Strict(BaseModel):
    # No inf or nan: `ge`/`le` let inf through and nan fails every rule with a puzzling message.
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, allow_inf_nan=False
    )


class AvailabilityWindow(Strict):
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value) or (value.startswith("24") and value != "24:00"):
            raise ValueError(f"'{value}' is not a time of day HH:MM")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> AvailabilityWindow:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self


class PreferencesIn(Strict):
    max_hours_per_day: float = Field(default=4.0, ge=1, le=16)
    preferred_block_length_min: int = Field(default=50, ge=15, le=180)
    break_length_min: int = Field(default=10, ge=5, le=60)
    earliest_start_time: time = time(8, 0)
    latest_end_time: time = time(22, 0)
    weekly_availability: dict[str, list[AvailabilityWindow]] = Field(default_factory=dict)
    difficulty_curve: DifficultyCurve = DifficultyCurve.BALANCED
    study_mode_preferences: dict[str, list[str]] = Field(default_factory=dict)
    enable_spaced_repetition: bool = True
    min_review_interval_days: int = Field(default=1, ge=1, le=365)

    @field_validator("weekly_availability")
    @classmethod
    def _weekdays(
        cls, value: dict[str, list[AvailabilityWindow]]
    ) -> dict[str, list[AvailabilityWindow]]:
        unknown = sorted(set(value) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday(s) {unknown}; use {', '.join(WEEKDAYS)}")
        return value

    @model_validator(mode="after")
    def _day_window(self) -> PreferencesIn:
        if self.latest_end_time <= self.earliest_start_time:
            raise ValueError("latest_end_time must be after earliest_start_time")
        return self

    def availability_json(self) -> dict[str, list[dict[str, str]]]:
        return {
            day: [{"start": w.start, "end": w.end} for w in windows]
            for day, windows in self.weekly_availability.items()
        }


class UserIn(Strict):
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    timezone: IanaZone = "UTC"
    school_name: str | None = Field(default=None, max_length=200)
    academic_level: AcademicLevel = AcademicLevel.UNDERGRADUATE
    major: str | None = Field(default=None, max_length=200)
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")


class CourseIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=64)
    semester: str = Field(min_length=1, max_length=64)
    start_date: date
    end_date: date
    instructor_name: str | None = Field(default=None, max_length=200)
    credit_hours: float = Field(default=3.0, ge=0, le=30)
    description: str | None = None
    color: str = Field(default="#4F46E5", pattern=r"^#[0-9A-Fa-f]{6}$")
    assessments_complete: bool = False

    @model_validator(mode="after")
    def _semester_dates(self) -> CourseIn:
        if self.end_date <= self.start_date:
            raise ValueError(f"end_date {self.end_date} must be after start_date {self.start_date}")
        return self


class TopicIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    estimated_difficulty: Difficulty = Difficulty.MEDIUM
    order_index: int = Field(default=0, ge=0, le=MAX_ORDER_INDEX)
    prerequisites: tuple[str, ...] = ()  # names of other topics of the same course
    description: str | None = None


class AssessmentIn(Strict):
    name: str = Field(min_length=1, max_length=300)
    type: AssessmentType
    weight_percent: float = Field(ge=0, le=100)
    due_date: datetime
    estimated_duration_min: int = Field(gt=0, le=MAX_MINUTES)
    max_score: float = Field(default=100.0, gt=0)
    description: str | None = None
    topic_weights: dict[str, float] = Field(default_factory=dict)  # topic name -> weight 0..100

    @field_validator("due_date")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("due_date needs a time zone offset (e.g. 2026-12-01T23:59:00+01:00)")
        return value

    @field_validator("topic_weights")
    @classmethod
    def _topic_weights(cls, value: dict[str, float]) -> dict[str, float]:
        for topic, weight in value.items():
            if not 0 <= weight <= 100:
                raise ValueError(f"weight of topic '{topic}' must be within 0..100, got {weight}")
        if value and abs(sum(value.values()) - 100) > WEIGHT_TOLERANCE:
            raise ValueError(f"topic weights must sum to 100, got {sum(value.values()):g}")
        return value


class TopicResult(Strict):
    correct: int = Field(ge=0, le=MAX_QUESTIONS)
    total: int = Field(gt=0, le=MAX_QUESTIONS)
    time_min: float | None = Field(default=None, ge=0, le=MAX_MINUTES)

    @model_validator(mode="after")
    def _correct_le_total(self) -> TopicResult:
        if self.correct > self.total:
            raise ValueError(f"correct ({self.correct}) cannot exceed total ({self.total})")
        return self


class PerformanceIn(Strict):
    score: float = Field(ge=0)
    max_score: float = Field(gt=0)
    time_spent_min: int = Field(gt=0, le=MAX_MINUTES)
    completed_at: datetime
    attempt_number: int = Field(default=1, ge=1, le=MAX_ATTEMPT)
    topic_breakdown: dict[str, TopicResult] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _score_within_max(self) -> PerformanceIn:
        if self.score > self.max_score:
            raise ValueError(f"score {self.score:g} exceeds max_score {self.max_score:g}")
        if self.completed_at.tzinfo is None:
            raise ValueError("completed_at needs a time zone offset")
        return self

    @property
    def percentage(self) -> float:
        return self.score / self.max_score * 100


class MasteryIn(Strict):
    mastery_score: float = Field(ge=0, le=100)
    confidence_interval: float = Field(ge=0, le=50)
    review_interval_days: int = Field(ge=1, le=365)


def check_course_weights(
    course_code: str, weights: Iterable[float], *, assessments_complete: bool
) -> None:
    """Raise ValueError unless the weights fit the course's state (see the module docstring)."""
    total = sum(weights)
    if total > 100 + WEIGHT_TOLERANCE:
        raise ValueError(
            f"course {course_code}: assessment weights sum to {total:g}%, more than 100%"
        )
    if assessments_complete and abs(total - 100) > WEIGHT_TOLERANCE:
        raise ValueError(
            f"course {course_code}: assessment weights sum to {total:g}%, not 100% "
            "(mark the course's assessment list incomplete if assessments are still missing)"
        )


def describe_errors(exc: ValidationError) -> list[str]:
    """`field: reason` lines, in the order pydantic found them."""
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(record)"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{field}: {message}")
    return lines
