"""Example tests: DST weeks, an all-day exam, no free time, an empty semester, and the formulas."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import (
    Assessment,
    AssessmentTopic,
    BusyInterval,
    Course,
    ExistingTask,
    Mastery,
    Plan,
    PlanInputError,
    PlanInputs,
    Preferences,
    Topic,
    WeeklyWindow,
    build_problem,
    parse_weekly_availability,
    plan,
)
from planner import estimate as est
from planner.freetime import from_minutes
from planner.priority import priority
from planner.vocabulary import AssessmentType, Difficulty, DifficultyCurve, TaskStatus
from tests.unit.planner.students import check_plan

EVENINGS = tuple(WeeklyWindow(d, time(18), time(22)) for d in range(7))
COURSE = Course("c1", "Calculus", "MATH 2413")
TOPICS = (
    Topic("t1", "c1", "Limits", Difficulty.MEDIUM, (), 0),
    Topic("t2", "c1", "Derivatives", Difficulty.HARD, ("t1",), 1),
)


def student(zone: str, due: datetime, **extra: object) -> PlanInputs:
    midterm = Assessment(
        "a1",
        "c1",
        "Midterm 1",
        AssessmentType.MIDTERM,
        30.0,
        due,
        120,
        (AssessmentTopic("t1", 40), AssessmentTopic("t2", 60)),
    )
    fields: dict[str, object] = {
        "timezone": zone,
        "preferences": Preferences(weekly_availability=EVENINGS, max_hours_per_day=4.0),
        "courses": (COURSE,),
        "topics": TOPICS,
        "assessments": (midterm,),
        "horizon_days": 10,
    }
    fields.update(extra)
    return PlanInputs(**fields)  # type: ignore[arg-type]


def local_windows(inputs: PlanInputs, now: datetime) -> dict[date, list[tuple[datetime, datetime]]]:
    zone = ZoneInfo(inputs.timezone)
    out: dict[date, list[tuple[datetime, datetime]]] = {}
    for seg in build_problem(inputs, now).segments:
        lo, hi = from_minutes(seg.start).astimezone(zone), from_minutes(seg.end).astimezone(zone)
        out.setdefault(lo.date(), []).append((lo, hi))
    return out


@pytest.mark.parametrize(
    ("zone", "now", "before", "after", "utc_before", "utc_after"),
    [
        # Europe/Berlin springs forward on Sunday 29 March 2026
        (
            "Europe/Berlin",
            datetime(2026, 3, 25, 12, tzinfo=UTC),
            date(2026, 3, 28),
            date(2026, 3, 30),
            17,
            16,
        ),
        # America/New_York falls back on Sunday 1 November 2026
        (
            "America/New_York",
            datetime(2026, 10, 28, 12, tzinfo=UTC),
            date(2026, 10, 31),
            date(2026, 11, 2),
            22,
            23,
        ),
    ],
)
def test_evening_window_is_local_on_both_sides_of_a_dst_change(
    zone: str, now: datetime, before: date, after: date, utc_before: int, utc_after: int
) -> None:
    inputs = student(zone, now + timedelta(days=9))
    windows = local_windows(inputs, now)
    for day in (before, after, before + timedelta(days=1)):
        ((lo, hi),) = windows[day]
        assert (lo.time(), hi.time()) == (time(18), time(22)), day
        assert hi - lo == timedelta(hours=4)
    assert windows[before][0][0].astimezone(UTC).hour == utc_before
    assert windows[after][0][0].astimezone(UTC).hour == utc_after

    result = plan(inputs, now=now)
    check_plan(inputs, now, result)
    tz = ZoneInfo(zone)
    local_days = {t.scheduled_start.astimezone(tz).date() for t in result.tasks}
    assert before in local_days and after in local_days
    for task in result.tasks:
        start, end = task.scheduled_start.astimezone(tz), task.scheduled_end.astimezone(tz)
        assert time(18) <= start.time() and end.time() <= time(22), task


def test_an_all_day_exam_blocks_that_local_day() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)  # Monday
    exam_day = date(2026, 5, 6)
    # Google reports an all-day event by dates; the shell passes them as UTC midnights
    exam = BusyInterval(
        datetime.combine(exam_day, time(0), tzinfo=UTC),
        datetime.combine(exam_day + timedelta(days=1), time(0), tzinfo=UTC),
        all_day=True,
    )
    inputs = student("America/New_York", now + timedelta(days=9), busy=(exam,))
    windows = local_windows(inputs, now)
    assert exam_day not in windows
    assert exam_day - timedelta(days=1) in windows and exam_day + timedelta(days=1) in windows
    result = plan(inputs, now=now)
    check_plan(inputs, now, result)
    tz = ZoneInfo("America/New_York")
    assert result.tasks
    assert all(t.scheduled_start.astimezone(tz).date() != exam_day for t in result.tasks)


def test_no_free_time_puts_everything_at_risk_without_crashing() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    inputs = student(
        "Europe/Berlin", now + timedelta(days=5), preferences=Preferences(weekly_availability=())
    )
    result = plan(inputs, now=now)
    check_plan(inputs, now, result)
    assert result.tasks == ()
    codes = {(r.topic_id, r.reason_code) for r in result.at_risk}
    # Derivatives needs Limits first, which has no time either
    assert codes == {("t1", "no_free_time"), ("t2", "prerequisites")}
    assert result.at_risk_minutes == sum(a.required_min for a in result.accounts) > 0
    assert "Not enough free time before Midterm 1" in result.at_risk[0].reason


def test_daily_cap_reason_when_only_the_cap_stops_the_work() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    inputs = student(
        "Europe/Berlin",
        now + timedelta(days=3),
        preferences=Preferences(weekly_availability=EVENINGS, max_hours_per_day=0.5),
    )
    result = plan(inputs, now=now)
    check_plan(inputs, now, result)
    assert "daily_cap" in {r.reason_code for r in result.at_risk}


def test_prerequisite_work_comes_first_or_the_dependent_is_at_risk() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    inputs = student("UTC", now + timedelta(days=4))
    result = plan(inputs, now=now)
    check_plan(inputs, now, result)
    limits = [t for t in result.tasks if t.topic_ids == ("t1",)]
    derivatives = [t for t in result.tasks if t.topic_ids == ("t2",)]
    assert limits and derivatives
    assert max(t.scheduled_end for t in limits) <= min(t.scheduled_start for t in derivatives)

    tight = student(
        "UTC",
        now + timedelta(days=4),
        preferences=Preferences(weekly_availability=(WeeklyWindow(0, time(18), time(19)),)),
    )
    squeezed = plan(tight, now=now)
    check_plan(tight, now, squeezed)
    codes = {(r.topic_id, r.reason_code) for r in squeezed.at_risk}
    assert ("t2", "prerequisites") in codes


def test_an_empty_semester_gives_an_empty_plan() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    inputs = PlanInputs(timezone="Europe/Berlin")
    result = plan(inputs, now=now)
    assert result.tasks == () and result.at_risk == () and result.accounts == ()


def test_completed_and_past_assessments_need_nothing() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    done = student("UTC", now + timedelta(days=4))
    done = PlanInputs(
        **{
            **{f: getattr(done, f) for f in done.__dataclass_fields__},
            "assessments": (
                Assessment("a1", "c1", "Old", AssessmentType.QUIZ, 10, now - timedelta(days=1), 30),
                Assessment(
                    "a2",
                    "c1",
                    "Done",
                    AssessmentType.QUIZ,
                    10,
                    now + timedelta(days=2),
                    30,
                    is_completed=True,
                ),
            ),
        }
    )
    assert plan(done, now=now).tasks == ()


def test_work_already_done_and_pinned_blocks_are_subtracted() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    base = student("UTC", now + timedelta(days=6))
    fresh = plan(base, now=now)
    need = {(a.assessment_id, a.topic_id): a.required_min for a in fresh.accounts}
    pin_start = datetime(2026, 5, 5, 18, tzinfo=UTC)
    existing = (
        ExistingTask("done1", "c1", "a1", ("t1",), TaskStatus.COMPLETED, 60, minutes_done=60),
        ExistingTask(
            "pin1",
            "c1",
            "a1",
            ("t2",),
            TaskStatus.SCHEDULED,
            90,
            pin_start,
            pin_start + timedelta(minutes=90),
            pinned=True,
        ),
    )
    with_history = dataclasses.replace(base, existing_tasks=existing)
    later = plan(with_history, now=now)
    check_plan(with_history, now, later)
    after = {(a.assessment_id, a.topic_id): a for a in later.accounts}
    assert after[("a1", "t1")].required_min == max(15, need[("a1", "t1")] - 60)
    assert after[("a1", "t2")].fixed_min == 90
    assert after[("a1", "t2")].required_min == need[("a1", "t2")]
    # the pinned block counts towards that day's cap (4 h): at most 2.5 h more that day
    same_day = [t for t in later.tasks if t.scheduled_start.date() == pin_start.date()]
    assert sum(t.duration_min for t in same_day) <= 150
    for t in later.tasks:
        assert t.scheduled_end + timedelta(minutes=10) <= pin_start or (
            t.scheduled_start >= pin_start + timedelta(minutes=100)
        )


def test_spread_over_several_days_before_the_deadline() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    for curve in DifficultyCurve:
        inputs = student(
            "UTC",
            now + timedelta(days=9),
            preferences=Preferences(weekly_availability=EVENINGS, difficulty_curve=curve),
        )
        result = plan(inputs, now=now)
        days = {t.scheduled_start.date() for t in result.tasks}
        assert len(days) >= 4, (curve, days)
        per_day = max(
            sum(t.duration_min for t in result.tasks if t.scheduled_start.date() == d) for d in days
        )
        assert per_day < result.placed_minutes / 2
    gentle = plan(
        student(
            "UTC",
            now + timedelta(days=9),
            preferences=Preferences(
                weekly_availability=EVENINGS, difficulty_curve=DifficultyCurve.GENTLE
            ),
        ),
        now=now,
    )
    aggressive = plan(
        student(
            "UTC",
            now + timedelta(days=9),
            preferences=Preferences(
                weekly_availability=EVENINGS, difficulty_curve=DifficultyCurve.AGGRESSIVE
            ),
        ),
        now=now,
    )

    def mean_start(p: Plan) -> float:
        return sum(t.scheduled_start.timestamp() for t in p.tasks) / len(p.tasks)

    assert mean_start(gentle) < mean_start(aggressive)


def test_reasons_titles_and_ids_are_stable_and_readable() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    inputs = student(
        "UTC", now + timedelta(days=6), mastery=(Mastery("t1", 70, 10, date(2026, 5, 6)),)
    )
    first = plan(inputs, now=now)
    later = plan(inputs, now=now + timedelta(minutes=7))
    assert {t.id for t in first.tasks} == {t.id for t in later.tasks}
    review = [t for t in first.tasks if t.task_type == "review"]
    assert len(review) == 1 and review[0].scheduled_start.date() >= date(2026, 5, 6)
    task = next(t for t in first.tasks if t.assessment_id == "a1")
    assert task.title.startswith("MATH 2413: ")
    assert "Midterm 1 (midterm, 30% of the grade) is due in 6 days" in task.reason
    assert 0 < task.expected_mastery_gain < 100


def test_bad_inputs_are_named() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    with pytest.raises(PlanInputError, match="time zone"):
        plan(PlanInputs(timezone="Mars/Olympus"), now=now)
    with pytest.raises(PlanInputError, match="aware"):
        plan(PlanInputs(timezone="UTC"), now=datetime(2026, 5, 4, 12))
    with pytest.raises(PlanInputError, match="naive"):
        Assessment("a", "c", "x", AssessmentType.QUIZ, 5, datetime(2026, 5, 4), 30)
    with pytest.raises(PlanInputError, match=r"weekly_availability\.monday\[0\]"):
        parse_weekly_availability({"monday": [{"start": "18h", "end": "22:00"}]})


def test_weekly_availability_json_is_parsed() -> None:
    windows = parse_weekly_availability(
        {
            "monday": [{"start": "18:00", "end": "22:00"}],
            "Sunday": [{"start": "09:00", "end": "24:00"}],
        }
    )
    assert windows == (
        WeeklyWindow(0, time(18), time(22)),
        WeeklyWindow(6, time(9), time(0)),
    )


def test_estimate_formula_example() -> None:
    # midterm, 120 min sitting, 30 % → base = 120 × 3 × 2.0 = 720; Limits 40 % share, medium,
    # unknown mastery (gap factor 1) → 288 → 290 min
    due = datetime(2026, 6, 1, tzinfo=UTC)
    midterm = Assessment(
        "a1",
        "c1",
        "M",
        AssessmentType.MIDTERM,
        30.0,
        due,
        120,
        (AssessmentTopic("t1", 40), AssessmentTopic("t2", 60)),
    )
    assert est.base_minutes(midterm) == 720
    assert est.raw_topic_minutes(midterm, 0.4, Difficulty.MEDIUM, 0.0) == 290
    # knowing the topic well shrinks it: mastery 80 → gap factor 0.25 + 0.75 × 0.2 = 0.4
    assert est.raw_topic_minutes(midterm, 0.4, Difficulty.MEDIUM, 80.0) == 120


@settings(max_examples=200, deadline=None)
@given(st.integers(3, 400).map(lambda u: u * 5), st.integers(15, 180))
def test_chunks_are_within_block_limits_and_add_up(total: int, preferred: int) -> None:
    sizes = est.chunk_sizes(total, preferred)
    assert sum(sizes) == total
    assert all(15 <= s <= 180 and s % 5 == 0 for s in sizes)
    assert max(sizes) - min(sizes) <= 5


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0, 30 * 1440),
    st.floats(0, 30 * 1440),
    st.floats(0, 100),
    st.floats(0, 100),
    st.sampled_from(("easy", "medium", "hard", "exam_level")),
    st.sampled_from(("gentle", "balanced", "aggressive")),
)
def test_a_nearer_deadline_never_lowers_priority(
    a: float,
    b: float,
    weight: float,
    mastery: float,
    difficulty: Difficulty,
    curve: DifficultyCurve,
) -> None:
    near, far = min(a, b), max(a, b)

    def score(minutes: float) -> float:
        return priority(
            minutes_until_due=minutes,
            weight_percent=weight,
            mastery=mastery,
            difficulty=difficulty,
            curve=curve,
        ).score

    assert score(near) >= score(far)
    assert score(0) > score(30 * 1440)


def test_a_skipped_block_is_not_recreated_under_its_id_but_its_work_is_replanned() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    base = student("UTC", now + timedelta(days=6))
    first = plan(base, now=now)
    victim = first.tasks[0]
    skipped = ExistingTask(
        victim.id,
        victim.course_id,
        victim.assessment_id,
        victim.topic_ids,
        TaskStatus.SKIPPED,
        victim.duration_min,
        victim.scheduled_start,
        victim.scheduled_end,
    )
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    again = plan(PlanInputs(**{**fields, "existing_tasks": (skipped,)}), now=now)
    check_plan(base, now, again)
    assert victim.id not in {t.id for t in again.tasks}
    assert again.placed_minutes == first.placed_minutes
