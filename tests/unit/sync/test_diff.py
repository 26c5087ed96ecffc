"""Plan against stored tasks: creates, moves, drops; deleted blocks never come back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from planner.lifecycle import TaskStatus
from planner.values import Plan, PlannedTask
from planner.vocabulary import Difficulty, TaskType
from sync.diff import StoredTask, again_key, diff_plan

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def planned(pid: str, hours: int = 24, minutes: int = 50) -> PlannedTask:
    start = NOW + timedelta(hours=hours)
    return PlannedTask(
        id=pid, title=f"task {pid}", task_type=TaskType.READING, course_id="c", assessment_id="a",
        topic_ids=(), difficulty=Difficulty.MEDIUM, duration_min=minutes, priority_score=1.0,
        expected_mastery_gain=1.0, scheduled_start=start,
        scheduled_end=start + timedelta(minutes=minutes), reason="because",
    )  # fmt: skip


def stored(
    pid: str, status: TaskStatus = TaskStatus.SCHEDULED, hours: int = 24, **kw: object
) -> StoredTask:
    start = NOW + timedelta(hours=hours)
    values: dict[str, object] = {
        "task_id": f"db-{pid}", "plan_key": pid, "status": status, "start": start,
        "end": start + timedelta(minutes=50), "duration_min": 50, "title": f"task {pid}",
    }  # fmt: skip
    values.update(kw)
    return StoredTask(**values)  # type: ignore[arg-type]


def plan_of(*tasks: PlannedTask) -> Plan:
    return Plan(tasks=tasks, at_risk=())


def test_unchanged_plan_writes_nothing() -> None:
    assert (
        diff_plan(plan_of(planned("a"), planned("b", 30)), [stored("a"), stored("b", hours=30)])
        == []
    )


def test_create_move_update_drop() -> None:
    writes = diff_plan(
        plan_of(planned("new"), planned("moved", 40), planned("longer", 24, 60), planned("re")),
        [stored("moved", hours=30), stored("longer"), stored("re", title="old"), stored("gone")],
    )
    assert [(w.kind, w.plan_key) for w in writes] == [
        ("create", "new"),
        ("move", "moved"),
        ("move", "longer"),
        ("update", "re"),
        ("drop", "gone"),
    ]


def test_pinned_in_progress_and_completed_are_never_dropped() -> None:
    keep = [
        stored("p", pinned=True),
        stored("i", TaskStatus.IN_PROGRESS),
        stored("c", TaskStatus.COMPLETED),
    ]
    assert diff_plan(plan_of(), keep) == []


def test_a_block_the_user_deleted_is_placed_again_under_a_new_key() -> None:
    writes = diff_plan(
        plan_of(planned("a")), [stored("a", TaskStatus.SKIPPED, block_tombstoned=True)]
    )
    assert [(w.kind, w.plan_key) for w in writes] == [("create", again_key("a", 1))]
    # and the next sync maps it to the same new key: nothing more to do
    again = stored(again_key("a", 1), title="task a")
    assert diff_plan(plan_of(planned("a")), [stored("a", TaskStatus.SKIPPED), again]) == []


def test_expired_task_is_revived_in_place() -> None:
    writes = diff_plan(plan_of(planned("a", 50)), [stored("a", TaskStatus.EXPIRED, hours=-5)])
    assert [(w.kind, w.task_id) for w in writes] == [("revive", "db-a")]


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(1, 100)), max_size=12, unique_by=lambda t: t[0]
    )
)
def test_applying_the_diff_reaches_a_fixed_point(items: list[tuple[int, int]]) -> None:
    plan = plan_of(*(planned(str(k), hours) for k, hours in items))
    writes = diff_plan(plan, [])
    applied = [
        stored(w.plan_key, hours=int((w.planned.scheduled_start - NOW).total_seconds() // 3600))
        for w in writes if w.planned is not None
    ]  # fmt: skip
    assert diff_plan(plan, applied) == []
