"""Never a false "at risk": whenever every chunk can be placed, the planner places every chunk.

The instances are tight on purpose (short windows, a few busy events, work near the free time
available) and tiny, so that an exhaustive search (``exact_fit``) can answer exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from planner import (
    Assessment,
    AssessmentTopic,
    BusyInterval,
    Course,
    PlanInputs,
    Preferences,
    Topic,
    WeeklyWindow,
    build_problem,
    plan,
)
from planner.vocabulary import AssessmentType, Difficulty
from tests.unit.planner.exact_fit import everything_fits
from tests.unit.planner.students import check_plan

NOW = datetime(2026, 3, 26, 6, 0, tzinfo=UTC)


@st.composite
def tight_students(draw: st.DrawFn) -> PlanInputs:
    windows = []
    for day in range(7):
        start = draw(st.integers(8 * 4, 18 * 4)) * 15
        length = draw(st.integers(2, 6)) * 15
        windows.append(
            WeeklyWindow(
                day,
                time(start // 60, start % 60),
                time((start + length) // 60, (start + length) % 60),
            )
        )
    prefs = Preferences(
        max_hours_per_day=draw(st.sampled_from((1.0, 1.5, 2.0, 3.0))),
        preferred_block_length_min=draw(st.sampled_from((15, 20, 25, 35))),
        break_length_min=draw(st.sampled_from((0, 5, 10))),
        earliest_start_time=time(6, 0),
        latest_end_time=time(23, 0),
        weekly_availability=tuple(windows),
        enable_spaced_repetition=False,
    )
    count = draw(st.integers(2, 6))
    topics = tuple(
        Topic(f"t{i}", "c0", f"Topic {i}", Difficulty.MEDIUM, (), i) for i in range(count)
    )
    assessments = tuple(
        Assessment(
            f"a{i}",
            "c0",
            f"Assignment {i}",
            AssessmentType.ASSIGNMENT,
            draw(st.sampled_from((5.0, 10.0, 20.0, 30.0))),
            NOW + timedelta(minutes=draw(st.integers(12 * 60, 3 * 1440)) // 5 * 5),
            draw(st.integers(3, 12)) * 5,
            (AssessmentTopic(f"t{i}", 100.0),),
        )
        for i in range(count)
    )
    busy = []
    for _ in range(draw(st.integers(0, 8))):
        begin = NOW + timedelta(minutes=draw(st.integers(0, 4 * 1440)) // 5 * 5)
        busy.append(BusyInterval(begin, begin + timedelta(minutes=draw(st.integers(2, 12)) * 5)))
    return PlanInputs(
        timezone=draw(st.sampled_from(("UTC", "Europe/Berlin"))),
        preferences=prefs,
        courses=(Course("c0", "Course", "C0"),),
        topics=topics,
        assessments=assessments,
        busy=tuple(busy),
        horizon_days=3,
    )


@settings(max_examples=300, deadline=None)
@given(tight_students())
def test_everything_is_placed_whenever_it_fits(inputs: PlanInputs) -> None:
    problem = build_problem(inputs, NOW)
    chunks = [i for i in problem.chunks if not i.after_horizon]
    if len(chunks) > 12:
        return  # beyond what the exhaustive oracle answers quickly
    result = plan(inputs, now=NOW)
    check_plan(inputs, NOW, result)
    if everything_fits(problem):
        assert len(result.tasks) == len(chunks), result.at_risk
        assert result.at_risk_minutes == 0


def test_the_bench_instances_cp_sat_fills_are_filled() -> None:
    """medium-s6 and heavy-s1 of the bench suite: CP-SAT places every chunk, and so must we (the
    planner used to leave one chunk at risk on each; a valid full plan proves they fit)."""
    from bench.planner.generator import make_instance

    for size, seed in (("medium", 6), ("heavy", 1)):
        instance = make_instance(size, seed, 0.9)
        problem = build_problem(instance.inputs, instance.now)
        result = plan(instance.inputs, now=instance.now)
        check_plan(instance.inputs, instance.now, result)
        assert len(result.tasks) == len(problem.chunks)
        assert result.at_risk == ()
