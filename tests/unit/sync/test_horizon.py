"""How far a sync plans and what it writes (services/sync/horizon.py): pure values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from planner.values import Plan, PlannedTask, TaskType
from planner.vocabulary import Difficulty
from services.sync.horizon import Horizon, at_risk_line, later_line, planning_horizon, split_near

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def task(day: float, minutes: int = 50) -> PlannedTask:
    start = NOW + timedelta(days=day)
    return PlannedTask(
        id=f"t{day}", title=f"Block on day {day}", task_type=TaskType.PROBLEM_SET,
        course_id="c", assessment_id="a", topic_ids=(), difficulty=Difficulty.MEDIUM,
        duration_min=minutes, priority_score=1.0, expected_mastery_gain=0.0,
        scheduled_start=start, scheduled_end=start + timedelta(minutes=minutes), reason="r",
    )  # fmt: skip


def test_the_plan_reaches_the_last_deadline_within_bounds() -> None:
    final = NOW + timedelta(days=17, hours=3)
    assert planning_horizon(NOW, final, write_days=14, max_days=180) == Horizon(19, 14)
    assert planning_horizon(NOW, None, write_days=14, max_days=180) == Horizon(14, 14)
    assert (
        planning_horizon(NOW, NOW + timedelta(days=3), write_days=14, max_days=180).plan_days == 14
    )
    far = NOW + timedelta(days=400)
    assert planning_horizon(NOW, far, write_days=14, max_days=180).plan_days == 180


def test_only_the_near_window_is_written_and_the_rest_is_reported_later() -> None:
    plan = Plan((task(1), task(13.9), task(14), task(20, 30)), ())
    near, later = split_near(plan, NOW, Horizon(25, 14))
    assert [t.id for t in near.tasks] == ["t1", "t13.9"]
    assert later["block_count"] == 2 and later["minutes"] == 80
    assert later["window_end"] == (NOW + timedelta(days=14)).isoformat()
    line = later_line(later, "America/New_York")
    assert line is not None
    assert line.startswith("80 min in 2 block(s) fit before their deadlines")
    assert "after the 14-day window" in line and "Thu 17 Dec" in line
    assert later_line(split_near(Plan((task(1),), ()), NOW, Horizon(25, 14))[1], "UTC") is None


def test_one_word_for_each_kind_of_unplaced_work() -> None:
    risky = {"minutes_missing": 30, "reason_code": "no_free_time", "reason": "Not enough time."}
    beyond = {"minutes_missing": 90, "reason_code": "after_horizon", "reason": "Due later."}
    assert at_risk_line(risky) == ("at risk", "30 min do not fit — Not enough time.")
    assert at_risk_line(beyond) == ("not planned yet", "90 min — Due later.")
