"""Hypothesis strategies for students and calendars, and an independent checker of a plan's
hard rules (written against the rules, not against the planner's internals)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from planner import (
    Assessment,
    AssessmentTopic,
    BusyInterval,
    Course,
    ExistingTask,
    Mastery,
    Plan,
    PlanInputs,
    Preferences,
    Topic,
    WeeklyWindow,
)
from planner.vocabulary import AssessmentType, Difficulty, DifficultyCurve, TaskStatus

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
# Around the 2026 DST changes of Europe (29 Mar, 25 Oct), the US (8 Mar, 1 Nov), Sydney (5 Apr)
BASE_DAYS = (
    datetime(2026, 3, 3, tzinfo=UTC),
    datetime(2026, 3, 24, tzinfo=UTC),
    datetime(2026, 4, 1, tzinfo=UTC),
    datetime(2026, 10, 20, tzinfo=UTC),
    datetime(2026, 10, 28, tzinfo=UTC),
)


@st.composite
def windows(draw: st.DrawFn) -> tuple[WeeklyWindow, ...]:
    out = []
    for day in range(7):
        for _ in range(draw(st.sampled_from((0, 1, 1, 1, 2)))):
            start = draw(st.integers(6 * 4, 21 * 4)) * 15
            length = draw(st.integers(4, 20)) * 15
            end = min(start + length, 23 * 60 + 45)
            if end > start:
                out.append(
                    WeeklyWindow(day, time(start // 60, start % 60), time(end // 60, end % 60))
                )
    return tuple(out)


@st.composite
def preferences(draw: st.DrawFn) -> Preferences:
    return Preferences(
        max_hours_per_day=draw(st.sampled_from((0.5, 1.5, 2.0, 3.0, 4.0, 4.0, 6.0, 10.0))),
        preferred_block_length_min=draw(st.sampled_from((15, 25, 30, 45, 50, 60, 90, 120))),
        break_length_min=draw(st.sampled_from((0, 5, 7, 10, 15, 30))),
        earliest_start_time=time(draw(st.integers(5, 10)), 0),
        latest_end_time=time(draw(st.integers(19, 23)), 30),
        weekly_availability=draw(windows()),
        difficulty_curve=draw(
            st.sampled_from(
                (DifficultyCurve.GENTLE, DifficultyCurve.BALANCED, DifficultyCurve.AGGRESSIVE)
            )
        ),
        enable_spaced_repetition=draw(st.booleans()),
        min_review_interval_days=draw(st.integers(1, 3)),
    )


@st.composite
def students(draw: st.DrawFn, with_existing: bool = True) -> tuple[PlanInputs, datetime]:
    now = draw(st.sampled_from(BASE_DAYS)) + timedelta(minutes=draw(st.integers(0, 48 * 60)))
    zone = draw(st.sampled_from(ZONES))
    n_courses = draw(st.integers(1, 3))
    courses = tuple(Course(f"c{i}", f"Course {i}", f"C{i}") for i in range(n_courses))
    topics: list[Topic] = []
    for c in courses:
        count = draw(st.integers(1, 5))
        for k in range(count):
            tid = f"{c.id}t{k}"
            earlier = [t.id for t in topics if t.course_id == c.id]
            pres = (
                tuple(draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)))
                if earlier
                else ()
            )
            diff: Difficulty = draw(
                st.sampled_from(
                    (Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD, Difficulty.EXAM_LEVEL)
                )
            )
            topics.append(Topic(tid, c.id, f"Topic {tid}", diff, pres, k))
    assessments = []
    for i in range(draw(st.integers(1, 4))):
        course = draw(st.sampled_from(courses))
        own = [t.id for t in topics if t.course_id == course.id]
        chosen = draw(st.lists(st.sampled_from(own), min_size=0, max_size=3, unique=True))
        weights = [draw(st.one_of(st.none(), st.floats(5, 100))) for _ in chosen]
        due = now + timedelta(minutes=draw(st.integers(6 * 60, 20 * 1440)))
        assessments.append(
            Assessment(
                f"a{i}",
                course.id,
                f"Assessment {i}",
                draw(
                    st.sampled_from(
                        (
                            AssessmentType.QUIZ,
                            AssessmentType.ASSIGNMENT,
                            AssessmentType.MIDTERM,
                            AssessmentType.FINAL,
                            AssessmentType.PROJECT,
                        )
                    )
                ),
                draw(st.sampled_from((5.0, 10.0, 20.0, 30.0, 40.0))),
                due,
                draw(st.integers(15, 150)),
                tuple(AssessmentTopic(t, w) for t, w in zip(chosen, weights, strict=True)),
                is_completed=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    mastery = []
    for t in topics:
        if draw(st.booleans()):
            review = None
            if draw(st.booleans()):
                review = (now + timedelta(days=draw(st.integers(-2, 10)))).date()
            mastery.append(Mastery(t.id, draw(st.floats(0, 100)), draw(st.floats(0, 30)), review))
    busy = []
    for _ in range(draw(st.integers(0, 12))):
        start = now + timedelta(minutes=draw(st.integers(-600, 15 * 1440)))
        if draw(st.integers(0, 6)) == 0:
            day = start.date()
            busy.append(
                BusyInterval(
                    datetime.combine(day, time(0), tzinfo=UTC),
                    datetime.combine(
                        day + timedelta(days=draw(st.integers(1, 2))), time(0), tzinfo=UTC
                    ),
                    all_day=True,
                )
            )
        else:
            busy.append(BusyInterval(start, start + timedelta(minutes=draw(st.integers(5, 240)))))
    existing = []
    if with_existing:
        for i in range(draw(st.integers(0, 4))):
            a = draw(st.sampled_from(assessments)) if assessments else None
            tids = tuple(t.topic_id for t in a.topics[:1]) if a else ()
            status: TaskStatus = draw(
                st.sampled_from(
                    (
                        TaskStatus.COMPLETED,
                        TaskStatus.IN_PROGRESS,
                        TaskStatus.SCHEDULED,
                        TaskStatus.SKIPPED,
                    )
                )
            )
            start = now + timedelta(minutes=draw(st.integers(-300, 10 * 1440)) // 5 * 5)
            length = draw(st.integers(3, 18)) * 5
            existing.append(
                ExistingTask(
                    f"x{i}",
                    a.course_id if a else "c0",
                    a.id if a else None,
                    tids,
                    status,
                    length,
                    start,
                    start + timedelta(minutes=length),
                    pinned=draw(st.booleans()),
                    minutes_done=draw(st.one_of(st.none(), st.integers(0, length))),
                )
            )
    inputs = PlanInputs(
        timezone=zone,
        preferences=draw(preferences()),
        courses=courses,
        topics=tuple(topics),
        assessments=tuple(assessments),
        mastery=tuple(mastery),
        existing_tasks=tuple(existing),
        busy=tuple(busy),
        horizon_days=draw(st.sampled_from((3, 7, 14))),
    )
    return inputs, now


# ------------------------------------------------------------------------------------------------
# the independent checker


def _overlaps(a0: datetime, a1: datetime, b0: datetime, b1: datetime, pad: timedelta) -> bool:
    return a0 < b1 + pad and b0 < a1 + pad


def _all_day_dates(b: BusyInterval) -> set[date]:
    first = b.start.astimezone(UTC).date()
    last = max(first, (b.end.astimezone(UTC) - timedelta(microseconds=1)).date())
    return {first + timedelta(days=k) for k in range((last - first).days + 1)}


def fixed_blocks(inputs: PlanInputs, now: datetime) -> list[tuple[datetime, datetime]]:
    out = []
    for t in inputs.existing_tasks:
        if t.is_fixed and t.scheduled_start and t.scheduled_end and t.scheduled_end > now:
            out.append((t.scheduled_start, t.scheduled_end))
    return out


def in_availability(inputs: PlanInputs, start: datetime, end: datetime) -> bool:
    """Inside the day's availability (touching windows count as one), clipped to
    earliest/latest, all in the user's zone."""
    zone = ZoneInfo(inputs.timezone)
    prefs = inputs.preferences
    day = start.astimezone(zone).date()
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)

    def until(moment: time) -> datetime:  # an end of 00:00 is the midnight after the day
        return midnight if moment == time(0) else datetime.combine(day, moment, tzinfo=zone)

    spans = sorted(
        (
            datetime.combine(day, max(w.start, prefs.earliest_start_time), tzinfo=zone),
            min(until(w.end), until(prefs.latest_end_time)),
        )
        for w in prefs.weekly_availability
        if w.weekday == day.weekday()
    )
    merged: list[list[datetime]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return any(lo <= start and end <= hi for lo, hi in merged)


def check_plan(inputs: PlanInputs, now: datetime, plan: Plan) -> None:
    """Assert every hard rule of issue 4 on ``plan``."""
    zone = ZoneInfo(inputs.timezone)
    prefs = inputs.preferences
    brk = timedelta(minutes=prefs.break_length_min)
    horizon_end = now + timedelta(days=inputs.horizon_days)
    assessments = {a.id: a for a in inputs.assessments}
    topics = {t.id: t for t in inputs.topics}
    fixed = fixed_blocks(inputs, now)
    fixed_ids = {t.id for t in inputs.existing_tasks if t.is_fixed or t.status == "completed"}
    tasks = sorted(plan.tasks, key=lambda t: t.scheduled_start)
    assert len({t.id for t in tasks}) == len(tasks), "duplicate task ids"

    for t in tasks:
        assert t.id not in fixed_ids, "a completed/fixed task was re-planned"
        assert 15 <= t.duration_min <= 180, t
        assert t.scheduled_end - t.scheduled_start == timedelta(minutes=t.duration_min)
        assert t.scheduled_start.utcoffset() == timedelta(0)
        assert now <= t.scheduled_start and t.scheduled_end <= horizon_end, t
        assert in_availability(inputs, t.scheduled_start, t.scheduled_end), t
        for b in inputs.busy:
            if b.all_day:
                local = {
                    t.scheduled_start.astimezone(zone).date(),
                    (t.scheduled_end - timedelta(microseconds=1)).astimezone(zone).date(),
                }
                assert not (local & _all_day_dates(b)), (t, b)
            else:
                assert not _overlaps(
                    t.scheduled_start, t.scheduled_end, b.start, b.end, timedelta(0)
                ), (t, b)
        for f0, f1 in fixed:
            assert not _overlaps(t.scheduled_start, t.scheduled_end, f0, f1, brk), (t, f0, f1)
        if t.assessment_id is not None:
            assert t.scheduled_end <= assessments[t.assessment_id].due, t
        assert t.reason and t.title

    for first, second in pairwise(tasks):
        assert second.scheduled_start >= first.scheduled_end + brk, (first, second)

    cap = prefs.max_hours_per_day * 60
    per_day: dict[date, int] = defaultdict(int)
    fixed_day: dict[date, int] = defaultdict(int)
    for t in tasks:
        per_day[t.scheduled_start.astimezone(zone).date()] += t.duration_min
    for f0, f1 in fixed:
        fixed_day[f0.astimezone(zone).date()] += int((f1 - f0).total_seconds() // 60)
    for day, minutes in per_day.items():
        assert minutes + fixed_day[day] <= cap + 1e-9, (day, minutes, fixed_day[day], cap)

    # prerequisites: within an assessment, a topic's blocks come after all its prerequisites'
    by_key: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    ends: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for t in tasks:
        if t.assessment_id and t.topic_ids:
            by_key[(t.assessment_id, t.topic_ids[0])].append(t.scheduled_start)
            ends[(t.assessment_id, t.topic_ids[0])].append(t.scheduled_end)
    risk_keys = {
        (r.assessment_id, r.topic_id) for r in plan.at_risk if r.reason_code != "after_horizon"
    }
    for (aid, tid), starts in by_key.items():
        covered = {at.topic_id for at in assessments[aid].topics}
        for pre in _closure(tid, topics):
            if pre not in covered:
                continue
            assert (aid, pre) not in risk_keys, (
                f"{tid} placed although prerequisite {pre} is at risk"
            )
            for end in ends.get((aid, pre), []):
                assert end <= min(starts), (aid, tid, pre)

    # accounting: fixed + placed + at-risk = required, and the numbers match the lists
    placed_by: dict[tuple[str | None, str | None], int] = defaultdict(int)
    for t in tasks:
        placed_by[(t.assessment_id, t.topic_ids[0] if t.topic_ids else None)] += t.duration_min
    risk_by: dict[tuple[str | None, str | None], int] = defaultdict(int)
    for r in plan.at_risk:
        assert r.minutes_missing > 0 and r.reason
        risk_by[(r.assessment_id, r.topic_id)] += r.minutes_missing
    seen: set[tuple[str | None, str | None]] = set()
    for acc in plan.accounts:
        key = (acc.assessment_id, acc.topic_id)
        assert acc.fixed_min + acc.placed_min + acc.at_risk_min == acc.required_min, acc
        if acc.assessment_id is not None:
            assert key not in seen
            seen.add(key)
            assert acc.placed_min == placed_by[key], acc
            assert acc.at_risk_min == risk_by[key], acc
    assert sum(a.placed_min for a in plan.accounts) == plan.placed_minutes
    assert sum(a.at_risk_min for a in plan.accounts) == plan.at_risk_minutes


def _closure(tid: str, topics: dict[str, Topic]) -> set[str]:
    seen: set[str] = set()
    stack = [tid]
    while stack:
        topic = topics.get(stack.pop())
        for p in topic.prerequisite_ids if topic else ():
            if p not in seen and p != tid:
                seen.add(p)
                stack.append(p)
    return seen


def as_existing(plan: Plan) -> tuple[ExistingTask, ...]:
    """The plan's tasks as the shell would store them (scheduled, not pinned)."""
    return tuple(
        ExistingTask(
            t.id,
            t.course_id,
            t.assessment_id,
            t.topic_ids,
            TaskStatus.SCHEDULED,
            t.duration_min,
            t.scheduled_start,
            t.scheduled_end,
        )
        for t in plan.tasks
    )
