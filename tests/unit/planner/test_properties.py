"""Hypothesis properties: every hard rule of the planner over generated students and calendars."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from planner import BusyInterval, PlanInputs, plan
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
    brk = timedelta(minutes=inputs.preferences.break_length_min)
    hit = {
        t.id
        for t in first.tasks
        if t.scheduled_start < event.end + brk and event.start < t.scheduled_end + brk
    }
    assert victim.id in hit or victim.scheduled_start >= event.end + brk
    # blocks of a topic that depends on a moved one must wait for it, so they may move too
    dependents = _dependents(inputs, first, hit)
    after = {t.id: t.scheduled_start for t in second.tasks}
    for t in first.tasks:
        if t.id not in hit and t.id not in dependents:
            assert after.get(t.id) == t.scheduled_start, t
    for t in first.tasks:  # what the event really overlaps had to move
        if t.scheduled_start < event.end and event.start < t.scheduled_end:
            assert after.get(t.id) != t.scheduled_start, t


def _dependents(inputs: PlanInputs, first_plan: object, moved: set[str]) -> set[str]:
    from planner import Plan

    assert isinstance(first_plan, Plan)
    topics = {t.id: t for t in inputs.topics}
    moved_keys = {
        (t.assessment_id, t.topic_ids[0]) for t in first_plan.tasks if t.id in moved and t.topic_ids
    }
    out: set[str] = set()
    for t in first_plan.tasks:
        if not t.topic_ids or t.assessment_id is None:
            continue
        stack, seen = [t.topic_ids[0]], set()
        while stack:
            topic = topics.get(stack.pop())
            for p in topic.prerequisite_ids if topic else ():
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        if any((t.assessment_id, p) in moved_keys for p in seen):
            out.add(t.id)
    return out


@SETTINGS
@given(students())
def test_fixed_tasks_are_never_moved_or_replanned(case: tuple[PlanInputs, datetime]) -> None:
    inputs, now = case
    result = plan(inputs, now=now)
    untouchable = {t.id for t in inputs.existing_tasks if t.is_fixed or t.status == "completed"}
    assert not untouchable & {t.id for t in result.tasks}
