"""Frozen values that go into and come out of the planner.

Everything is a frozen, slotted dataclass so a plan is a pure function of its inputs. Ids are
strings (UUID strings in production) so the shell can map database rows in without conversion.
All datetimes are aware UTC; the user's IANA zone (``PlanInputs.timezone``) is only used to
interpret weekly availability, earliest/latest times and the per-day cap.

``parse_weekly_availability`` and ``parse_study_modes`` turn the JSON shapes stored in
UserPreferences (seed 004) into these values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

# The vocabulary is defined in planner.vocabulary; re-exported for the values that use it.
from planner.vocabulary import AssessmentType as AssessmentType
from planner.vocabulary import Difficulty as Difficulty
from planner.vocabulary import DifficultyCurve as DifficultyCurve
from planner.vocabulary import TaskStatus as TaskStatus
from planner.vocabulary import TaskType as TaskType

AtRiskCode = Literal["no_free_time", "daily_cap", "prerequisites", "after_horizon"]

WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

MIN_BLOCK_MIN = 15
MAX_BLOCK_MIN = 180


class PlanInputError(ValueError):
    """Inputs the planner cannot interpret (naive datetime, unknown zone, bad window...)."""


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PlanInputError(f"{what} must be timezone-aware, got naive {value.isoformat()}")


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """One availability window on a weekday (0 = Monday), local wall-clock time.

    ``end`` may be ``time(0, 0)`` to mean midnight at the end of the day; windows never cross
    midnight (split them in two).
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise PlanInputError(f"weekday must be 0..6, got {self.weekday}")
        if self.end != time(0, 0) and self.end <= self.start:
            raise PlanInputError(f"window {self.start}-{self.end} ends before it starts")


def _parse_hhmm(text: str, where: str) -> time:
    try:
        hours, minutes = text.split(":")
        if hours == "24" and minutes == "00":
            return time(0, 0)
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise PlanInputError(f"{where}: expected HH:MM, got {text!r}") from exc


def parse_weekly_availability(
    data: Mapping[str, Sequence[Mapping[str, str]]],
) -> tuple[WeeklyWindow, ...]:
    """``{"monday": [{"start": "18:00", "end": "22:00"}], ...}`` → windows (sorted)."""
    windows: list[WeeklyWindow] = []
    for day_name, entries in data.items():
        key = day_name.strip().lower()
        if key not in WEEKDAYS:
            raise PlanInputError(f"weekly_availability: unknown day {day_name!r}")
        for index, entry in enumerate(entries):
            where = f"weekly_availability.{key}[{index}]"
            if "start" not in entry or "end" not in entry:
                raise PlanInputError(f"{where}: needs 'start' and 'end'")
            windows.append(
                WeeklyWindow(
                    WEEKDAYS.index(key),
                    _parse_hhmm(entry["start"], where),
                    _parse_hhmm(entry["end"], where),
                )
            )
    return tuple(sorted(windows, key=lambda w: (w.weekday, w.start, w.end)))


def parse_study_modes(data: Mapping[str, Sequence[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``{"course_id": ["reading", "problem_sets"]}`` → sorted pairs (hashable, ordered)."""
    return tuple(sorted((course, tuple(modes)) for course, modes in data.items()))


def _default_availability() -> tuple[WeeklyWindow, ...]:
    return tuple(WeeklyWindow(day, time(18, 0), time(22, 0)) for day in range(7))


@dataclass(frozen=True, slots=True)
class Preferences:
    """UserPreferences of seed 004 (defaults as there)."""

    max_hours_per_day: float = 4.0
    preferred_block_length_min: int = 50
    break_length_min: int = 10
    earliest_start_time: time = time(8, 0)
    latest_end_time: time = time(22, 0)
    weekly_availability: tuple[WeeklyWindow, ...] = field(default_factory=_default_availability)
    difficulty_curve: DifficultyCurve = DifficultyCurve.BALANCED
    study_mode_preferences: tuple[tuple[str, tuple[str, ...]], ...] = ()
    enable_spaced_repetition: bool = True
    min_review_interval_days: int = 1

    def __post_init__(self) -> None:
        if self.max_hours_per_day < 0:
            raise PlanInputError("max_hours_per_day must be >= 0")
        if self.break_length_min < 0:
            raise PlanInputError("break_length_min must be >= 0")

    def modes_for(self, course_id: str) -> tuple[str, ...]:
        for course, modes in self.study_mode_preferences:
            if course == course_id:
                return modes
        return ()


@dataclass(frozen=True, slots=True)
class Course:
    id: str
    name: str
    code: str = ""


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    course_id: str
    name: str
    difficulty: Difficulty = Difficulty.MEDIUM
    prerequisite_ids: tuple[str, ...] = ()
    order_index: int = 0


@dataclass(frozen=True, slots=True)
class AssessmentTopic:
    """A topic an assessment covers; ``weight`` is weight_in_assessment (0-100, optional)."""

    topic_id: str
    weight: float | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    id: str
    course_id: str
    name: str
    type: AssessmentType
    weight_percent: float
    due: datetime
    estimated_duration_min: int
    topics: tuple[AssessmentTopic, ...] = ()
    is_completed: bool = False

    def __post_init__(self) -> None:
        _require_aware(self.due, f"assessment {self.id} due")


@dataclass(frozen=True, slots=True)
class Mastery:
    """MasteryRecord: score 0-100, confidence interval (std-dev like), next review date."""

    topic_id: str
    mastery_score: float
    confidence: float = 15.0
    next_review_date: date | None = None


@dataclass(frozen=True, slots=True)
class ExistingTask:
    """A StudyTask as stored. ``pinned`` = the user moved/edited it (manually_modified)."""

    id: str
    course_id: str
    assessment_id: str | None
    topic_ids: tuple[str, ...]
    status: TaskStatus
    duration_min: int
    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None
    pinned: bool = False
    minutes_done: int | None = None

    def __post_init__(self) -> None:
        if self.scheduled_start is not None:
            _require_aware(self.scheduled_start, f"task {self.id} scheduled_start")
        if self.scheduled_end is not None:
            _require_aware(self.scheduled_end, f"task {self.id} scheduled_end")

    @property
    def is_fixed(self) -> bool:
        """Never moved by the planner: in progress, or pinned and still open."""
        if self.status == "in_progress":
            return True
        return self.pinned and self.status in ("pending", "scheduled")


@dataclass(frozen=True, slots=True)
class BusyInterval:
    """Busy time from the calendars. ``all_day`` events block whole local days.

    For an all-day event ``start``/``end`` are the UTC instants of the event's dates as the
    calendar reported them; the planner blocks every local date the event touches in the
    user's zone ("date semantics"), so a Monday all-day exam blocks the user's Monday.
    """

    start: datetime
    end: datetime
    all_day: bool = False
    calendar_id: str | None = None  # which of the student's calendars said so, when known

    def __post_init__(self) -> None:
        _require_aware(self.start, "busy start")
        _require_aware(self.end, "busy end")


@dataclass(frozen=True, slots=True)
class PlanInputs:
    timezone: str
    preferences: Preferences = field(default_factory=Preferences)
    courses: tuple[Course, ...] = ()
    topics: tuple[Topic, ...] = ()
    assessments: tuple[Assessment, ...] = ()
    mastery: tuple[Mastery, ...] = ()
    existing_tasks: tuple[ExistingTask, ...] = ()
    busy: tuple[BusyInterval, ...] = ()
    horizon_days: int = 14

    def __post_init__(self) -> None:
        if self.horizon_days < 0:
            raise PlanInputError("horizon_days must be >= 0")


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """A study block the planner wants in the calendar (new or kept where it was)."""

    id: str
    title: str
    task_type: TaskType
    course_id: str
    assessment_id: str | None
    topic_ids: tuple[str, ...]
    difficulty: Difficulty
    duration_min: int
    priority_score: float
    expected_mastery_gain: float
    scheduled_start: datetime
    scheduled_end: datetime
    reason: str
    kept: bool = False

    @property
    def duration(self) -> timedelta:
        return self.scheduled_end - self.scheduled_start


@dataclass(frozen=True, slots=True)
class EstimateParts:
    """The numbers that produced a work item's minutes (``planner.estimate``), so that an
    at-risk figure can be checked by hand: ``raw = estimated × type × weight × share ×
    difficulty × gap`` (rounded up to 5), then ``done`` and fixed blocks are taken off."""

    estimated_duration_min: int
    type_multiplier: float
    weight_factor: float
    share: float
    difficulty_factor: float
    mastery: float
    gap_factor: float
    raw_min: int
    done_min: int
    fixed_min: int
    to_place_min: int


@dataclass(frozen=True, slots=True)
class AtRisk:
    """Work that cannot be placed before its deadline: how many minutes and why."""

    assessment_id: str | None
    topic_id: str | None
    minutes_missing: int
    reason_code: AtRiskCode
    reason: str
    due: datetime | None = None
    estimate: EstimateParts | None = None


@dataclass(frozen=True, slots=True)
class WorkAccount:
    """Per work item bookkeeping: required = fixed + placed + at_risk (minutes)."""

    assessment_id: str | None
    topic_id: str | None
    required_min: int
    fixed_min: int
    placed_min: int
    at_risk_min: int


@dataclass(frozen=True, slots=True)
class Plan:
    tasks: tuple[PlannedTask, ...]
    at_risk: tuple[AtRisk, ...]
    accounts: tuple[WorkAccount, ...] = ()
    generated_at: datetime | None = None

    @property
    def placed_minutes(self) -> int:
        return sum(task.duration_min for task in self.tasks)

    @property
    def at_risk_minutes(self) -> int:
        return sum(item.minutes_missing for item in self.at_risk)
