"""Hypothesis properties: every hard rule of the planner over generated students and calendars."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from planner import BusyInterval, PlanInputs, PlannedTask, plan
from tests.unit.planner.students import as_existing, check_plan, students

SETTINGS = settings(max_examples=150, deadline=None)


@SETTINGS
@given(students())
def test_every_hard_rule_holds(case: tuple[PlanInputs, datetime]) -> None:
    inputs, now = case
    check_plan(inputs, now, plan(inputs, now=now))


@SETTINGS
@given(students())
def test_same_inputs_same_plan(case: tuple[PlanInputs, datetime]) -> None:
    inputs, now = case
    first = plan(inputs, now=now)
    # the same values, built again in another order, must not change anything
    shuffled = dataclasses.replace(
        inputs,
        topics=tuple(reversed(inputs.topics)),
        assessments=tuple(reversed(inputs.assessments)),
        mastery=tuple(reversed(inputs.mastery)),
        busy=tuple(reversed(inputs.busy)),
        existing_tasks=tuple(reversed(inputs.existing_tasks)),
    )
    assert plan(inputs, now=now) == first
    assert plan(shuffled, now=now) == first


@SETTINGS
@given(students(with_existing=False))
def test_replanning_a_plan_keeps_it(case: tuple[PlanInputs, datetime]) -> None:
    inputs, now = case
    first = plan(inputs, now=now)
    again = plan(dataclasses.replace(inputs, existing_tasks=as_existing(first)), now=now)
    check_plan(inputs, now, again)
    assert [(t.id, t.scheduled_start) for t in again.tasks] == [
        (t.id, t.scheduled_start) for t in first.tasks
    ]
    assert all(t.kept for t in again.tasks)
    assert again.at_risk == first.at_risk


@SETTINGS
@given(students(with_existing=False), st.data())
def test_one_new_busy_event_moves_only_what_it_overlaps(
    case: tuple[PlanInputs, datetime], data: st.DataObject
) -> None:
    """A block moves only if it overlaps the change or its prerequisite now ends after it — or
    when staying would place less than a fresh replan, which is then the plan; and a replan
    never places less than a fresh one."""
    inputs, now = case
    first = plan(inputs, now=now)
    if not first.tasks:
        return
    victim = data.draw(st.sampled_from(first.tasks))
    offset = data.draw(st.integers(-30, victim.duration_min - 5))
    start = victim.scheduled_start + timedelta(minutes=offset)
    event = BusyInterval(start, start + timedelta(minutes=data.draw(st.integers(5, 90))))
    changed = dataclasses.replace(
        inputs, busy=(*inputs.busy, event), existing_tasks=as_existing(first)
    )
    second = plan(changed, now=now)
    check_plan(changed, now, second)
    fresh = plan(dataclasses.replace(changed, existing_tasks=()), now=now)
    assert second.placed_minutes >= fresh.placed_minutes
    brk = timedelta(minutes=inputs.preferences.break_length_min)
    hit = {
        t.id
        for t in first.tasks
        if t.scheduled_start < event.end + brk and event.start < t.scheduled_end + brk
    }
    assert victim.id in hit or victim.scheduled_start >= event.end + brk
    after = {t.id: t for t in second.tasks}
    for t in first.tasks:  # what the event really overlaps had to move
        if t.scheduled_start < event.end and event.start < t.scheduled_end:
            assert t.id not in after or after[t.id].scheduled_start != t.scheduled_start, t
    if not any(t.kept for t in second.tasks) and _starts(second) == _starts(fresh):
        return  # the fresh plan was taken: keeping blocks would have placed less
    for t in first.tasks:
        if t.id in hit:
            continue
        moved = t.id not in after or after[t.id].scheduled_start != t.scheduled_start
        if moved:
            assert _prerequisite_now_after(inputs, t, first, after, brk), t


def _starts(result: object) -> list[tuple[str, datetime]]:
    from planner import Plan

    assert isinstance(result, Plan)
    return [(t.id, t.scheduled_start) for t in result.tasks]


def _prerequisite_now_after(
    inputs: PlanInputs,
    task: PlannedTask,
    first: object,
    after: dict[str, PlannedTask],
    brk: timedelta,
) -> bool:
    """Does a block of one of the task's prerequisite topics (same assessment) now end after the
    task's old start less a break (blocks are a break apart), or no longer have a place?"""
    from planner import Plan

    assert isinstance(first, Plan)
    if not task.topic_ids or task.assessment_id is None:
        return False
    topics = {t.id: t for t in inputs.topics}
    stack, prereqs = [task.topic_ids[0]], set()
    while stack:
        topic = topics.get(stack.pop())
        for p in topic.prerequisite_ids if topic else ():
            if p not in prereqs:
                prereqs.add(p)
                stack.append(p)
    for block in first.tasks:
        if block.assessment_id != task.assessment_id or not block.topic_ids:
            continue
        if block.topic_ids[0] in prereqs and block.topic_ids[0] != task.topic_ids[0]:
            now_at = after.get(block.id)
            if now_at is None or now_at.scheduled_end + brk > task.scheduled_start:
                return True
    return False


@SETTINGS
@given(students())
def test_fixed_tasks_are_never_moved_or_replanned(case: tuple[PlanInputs, datetime]) -> None:
    inputs, now = case
    result = plan(inputs, now=now)
    untouchable = {t.id for t in inputs.existing_tasks if t.is_fixed or t.status == "completed"}
    assert not untouchable & {t.id for t in result.tasks}
