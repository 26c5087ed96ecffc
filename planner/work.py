"""Work items: the minutes each (assessment, topic) still needs, and the spaced reviews.

The numbers come from ``estimate``; this module walks the inputs in a deterministic order
(assessments by due date, an assessment's topics prerequisites first) and accounts for work
already done or held by fixed blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner import estimate as est
from planner.freetime import to_minutes
from planner.values import (
    MIN_BLOCK_MIN,
    Difficulty,
    ExistingTask,
    Mastery,
    PlanInputs,
    Topic,
)


def topo_topics(topic_ids: list[str], topics: dict[str, Topic]) -> list[str]:
    """Topics of one assessment, prerequisites first, then order_index, then id."""
    present = set(topic_ids)

    def sort_key(tid: str) -> tuple[int, str]:
        topic = topics.get(tid)
        return (topic.order_index if topic else 0, tid)

    ordered: list[str] = []
    state: dict[str, int] = {}

    def visit(tid: str) -> None:
        if state.get(tid) == 2:
            return
        if state.get(tid) == 1:  # a cycle: ignore the back edge
            return
        state[tid] = 1
        topic = topics.get(tid)
        pres = sorted(
            (p for p in (topic.prerequisite_ids if topic else ()) if p in present), key=sort_key
        )
        for pre in pres:
            visit(pre)
        state[tid] = 2
        ordered.append(tid)

    for tid in sorted(topic_ids, key=sort_key):
        visit(tid)
    return ordered


def work_items(
    inputs: PlanInputs,
    now: int,
    horizon_end: int,
    zone: ZoneInfo,
    topics: dict[str, Topic],
    mastery: dict[str, Mastery],
    done: dict[str, int],
    fixed: dict[str, int],
) -> list[tuple[est.WorkItem, list[str]]]:
    """Work items in a deterministic order, each with its assessment's topic order."""
    out: list[tuple[est.WorkItem, list[str]]] = []
    assessments = sorted(inputs.assessments, key=lambda a: (a.due, a.id))
    for assessment in assessments:
        if assessment.is_completed or to_minutes(assessment.due) < now + MIN_BLOCK_MIN:
            continue
        shares: list[tuple[str | None, float]] = [*est.topic_shares(assessment)] or [(None, 1.0)]
        topic_order = topo_topics([t for t, _ in shares if t is not None], topics)
        share_of: dict[str | None, float] = dict(shares)
        ordered: list[str | None] = list(topic_order) if topic_order else [None]
        for tid in ordered:
            topic = topics.get(tid) if tid else None
            difficulty = topic.difficulty if topic else Difficulty.MEDIUM
            m = est.effective_mastery(mastery.get(tid)) if tid else 0.0
            raw = est.raw_topic_minutes(assessment, share_of[tid], difficulty, m)
            key = est.work_key(assessment.id, tid)
            out.append(
                (
                    _item(
                        key,
                        raw,
                        done,
                        fixed,
                        assessment=assessment,
                        topic=topic,
                        course_id=assessment.course_id,
                        difficulty=difficulty,
                        mastery=m,
                    ),
                    topic_order,
                )
            )
    if inputs.preferences.enable_spaced_repetition:
        out.extend(
            (item, [])
            for item in _review_items(inputs, now, horizon_end, zone, topics, mastery, done, fixed)
        )
    return out


def _item(
    key: str,
    raw: int,
    done: dict[str, int],
    fixed: dict[str, int],
    **fields: object,
) -> est.WorkItem:
    remaining = max(0, raw - done.get(key, 0))
    fixed_min = fixed.get(key, 0)
    to_place = max(0, remaining - fixed_min)
    if to_place:
        to_place = max(MIN_BLOCK_MIN, est.ceil5(to_place))
    return est.WorkItem(
        key=key,
        required_min=fixed_min + to_place,
        fixed_min=fixed_min,
        to_place_min=to_place,
        **fields,  # type: ignore[arg-type]
    )


def _review_items(
    inputs: PlanInputs,
    now: int,
    horizon_end: int,
    zone: ZoneInfo,
    topics: dict[str, Topic],
    mastery: dict[str, Mastery],
    done: dict[str, int],
    fixed: dict[str, int],
) -> list[est.WorkItem]:
    prefs = inputs.preferences
    minutes = min(30, max(MIN_BLOCK_MIN, prefs.preferred_block_length_min))
    interval = max(1, prefs.min_review_interval_days)
    items = []
    for record in sorted(inputs.mastery, key=lambda r: r.topic_id):
        topic = topics.get(record.topic_id)
        if record.next_review_date is None or topic is None:
            continue
        day_start = to_minutes(datetime.combine(record.next_review_date, time(0), tzinfo=zone))
        release = max(now, day_start)
        due_day = record.next_review_date + timedelta(days=interval)
        due = min(horizon_end, to_minutes(datetime.combine(due_day, time(0), tzinfo=zone)))
        if due < now + minutes or release >= horizon_end:
            continue
        key = est.review_id(topic.id, record.next_review_date.toordinal())
        items.append(
            _item(
                key,
                minutes,
                done,
                fixed,
                assessment=None,
                topic=topic,
                course_id=topic.course_id,
                difficulty=topic.difficulty,
                mastery=est.effective_mastery(record),
                release=release,
                review_due=due,
            )
        )
    return items


def review_done(tasks: Iterable[ExistingTask], review_keys: set[str]) -> dict[str, int]:
    """Reviews are keyed by their own id: a completed/fixed task with that id counts."""
    out: dict[str, int] = {}
    for task in tasks:
        if task.id in review_keys and (task.status == "completed" or task.is_fixed):
            out[task.id] = task.duration_min
    return out
