"""The placement problem: free time, work items and chunks, built from ``PlanInputs``.

``build_problem`` is what both the planner and the benchmark's exact model start from: the
free segments (``freetime``), the minutes already used per local day by fixed blocks, the work
items (``work``) and their chunks. A chunk carries its priority (``priority``) and its soft
target from the difficulty curve: the k-th of N chunks of an assessment aims to end by
``now + (due − now) × ((k + 1) / (N + 1)) ** γ`` with ``γ = gentle 1.4, balanced 1,
aggressive 0.7`` (gentle finishes early, aggressive studies close to the exam). Chunks of an
assessment due after the horizon whose target lies after the horizon are deferred (reported
``after_horizon``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from planner import estimate as est
from planner.freetime import (
    Segment,
    ceil_grid,
    floor_grid,
    free_segments,
    load_zone,
    local_day,
    to_minutes,
    to_minutes_ceil,
)
from planner.placement import Chunk
from planner.priority import Breakdown, priority
from planner.values import ExistingTask, PlanInputError, PlanInputs, Topic
from planner.work import review_done, work_items

CURVE_GAMMA = {"gentle": 1.4, "balanced": 1.0, "aggressive": 0.7}


@dataclass(frozen=True, slots=True)
class ChunkInfo:
    """A chunk plus what is needed to describe it to the student."""

    chunk: Chunk
    item: est.WorkItem
    index: int
    breakdown: Breakdown
    after_horizon: bool


@dataclass(frozen=True, slots=True)
class PlacementProblem:
    """Everything placement needs; also what the benchmark's exact model is built from."""

    zone: ZoneInfo
    now: int
    horizon_end: int
    segments: tuple[Segment, ...]
    used: tuple[tuple[int, int], ...]
    cap: int
    brk: int
    items: tuple[est.WorkItem, ...]
    chunks: tuple[ChunkInfo, ...]


def _fixed_blocks(tasks: Iterable[ExistingTask], now: int) -> list[tuple[int, int]]:
    blocks = []
    for task in tasks:
        if task.is_fixed and task.scheduled_start and task.scheduled_end:
            lo, hi = to_minutes(task.scheduled_start), to_minutes_ceil(task.scheduled_end)
            if hi > now:
                blocks.append((lo, hi))
    return sorted(blocks)


def _prereq_closure(tid: str, topics: dict[str, Topic], present: list[str]) -> list[str]:
    """Prerequisites of ``tid``, transitively (also through topics the assessment does not
    cover), restricted to the topics in ``present``."""
    seen: list[str] = []
    stack = [tid]
    while stack:
        topic = topics.get(stack.pop())
        for pre in topic.prerequisite_ids if topic else ():
            if pre not in seen and pre != tid:
                seen.append(pre)
                stack.append(pre)
    return [p for p in seen if p in present]


def build_problem(inputs: PlanInputs, now: datetime) -> PlacementProblem:
    """Free time, work items and chunks — the abstraction both the planner and the bench use."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise PlanInputError("now must be timezone-aware")
    zone = load_zone(inputs.timezone)
    prefs = inputs.preferences
    now_min = ceil_grid(to_minutes_ceil(now))
    horizon_end = floor_grid(to_minutes(now) + inputs.horizon_days * 1440)
    topics = {t.id: t for t in sorted(inputs.topics, key=lambda t: t.id)}
    mastery = {m.topic_id: m for m in sorted(inputs.mastery, key=lambda m: m.topic_id)}
    tasks = sorted(inputs.existing_tasks, key=lambda t: t.id)
    end_of = {t.id: to_minutes_ceil(t.scheduled_end) for t in tasks if t.scheduled_end}

    fixed_blocks = _fixed_blocks(tasks, now_min)
    segments = free_segments(prefs, zone, now_min, horizon_end, inputs.busy, fixed_blocks)
    used: dict[int, int] = {}
    for lo, hi in fixed_blocks:
        day = local_day(lo, zone)
        used[day] = used.get(day, 0) + (hi - lo)

    done, fixed = est.done_and_fixed(tasks, now_min, end_of)
    review_keys = {
        est.review_id(m.topic_id, m.next_review_date.toordinal())
        for m in inputs.mastery
        if m.next_review_date is not None
    }
    done = {**done, **review_done(tasks, review_keys)}
    items = work_items(inputs, now_min, horizon_end, zone, topics, mastery, done, fixed)

    # Ids of finished, fixed, skipped or expired tasks are never handed out again: a block the
    # user deleted (skipped) must not come back under the same id; its work gets a new one.
    used_ids = {
        t.id for t in tasks if t.status in ("completed", "skipped", "expired") or t.is_fixed
    }
    chunks = _chunks(inputs, items, topics, now_min, horizon_end, used_ids)
    cap = round(prefs.max_hours_per_day * 60)
    return PlacementProblem(
        zone=zone,
        now=now_min,
        horizon_end=horizon_end,
        segments=tuple(segments),
        used=tuple(sorted(used.items())),
        cap=cap,
        brk=prefs.break_length_min,
        items=tuple(item for item, _ in items),
        chunks=tuple(chunks),
    )


def _chunks(
    inputs: PlanInputs,
    items: list[tuple[est.WorkItem, list[str]]],
    topics: dict[str, Topic],
    now: int,
    horizon_end: int,
    used_ids: set[str],
) -> list[ChunkInfo]:
    prefs = inputs.preferences
    gamma = CURVE_GAMMA[prefs.difficulty_curve]
    brk = prefs.break_length_min
    by_assessment: dict[str, list[tuple[est.WorkItem, list[str]]]] = {}
    reviews: list[est.WorkItem] = []
    for item, order in items:
        if item.assessment is None:
            reviews.append(item)
        else:
            by_assessment.setdefault(item.assessment.id, []).append((item, order))

    out: list[ChunkInfo] = []
    scores: dict[str, Breakdown] = {}
    for group in by_assessment.values():
        assessment = group[0][0].assessment
        assert assessment is not None
        topic_order = group[0][1]
        due = to_minutes(assessment.due)
        deadline = min(due, horizon_end)
        sized = [
            (item, est.chunk_sizes(item.to_place_min, prefs.preferred_block_length_min))
            for item, _ in group
        ]
        total = sum(len(sizes) for _, sizes in sized)
        ids_by_topic: dict[str | None, list[str]] = {}
        seq = 0
        planned: list[tuple[est.WorkItem, int, int, str, int]] = []
        for item, sizes in sized:
            ids = est.chunk_ids(item.key, len(sizes), used_ids)
            tid = item.topic.id if item.topic else None
            ids_by_topic[tid] = ids
            for index, (cid, size) in enumerate(zip(ids, sizes, strict=True)):
                planned.append((item, index, size, cid, seq))
                seq += 1
        sizes_by_id = {cid: size for _, _, size, cid, _ in planned}
        closure = {t: _prereq_closure(t, topics, topic_order) for t in topic_order}
        prereqs_of = {
            t: tuple(c for p in sorted(closure[t]) for c in ids_by_topic.get(p, []))
            for t in topic_order
        }
        tail_of = {
            t: sum(
                sizes_by_id[c] + brk
                for other in topic_order
                if t in closure[other]
                for c in ids_by_topic.get(other, [])
            )
            for t in topic_order
        }
        for item, index, size, cid, seq_no in planned:
            tid = item.topic.id if item.topic else None
            prereqs = prereqs_of.get(tid, ()) if tid else ()
            tail = tail_of.get(tid, 0) if tid else 0
            fraction = ((seq_no + 1) / (total + 1)) ** gamma
            target = floor_grid(now + int((due - now) * fraction))
            breakdown = scores.get(item.key)
            if breakdown is None:
                breakdown = scores[item.key] = priority(
                    minutes_until_due=due - now,
                    weight_percent=assessment.weight_percent,
                    mastery=item.mastery,
                    difficulty=item.difficulty,
                    curve=prefs.difficulty_curve,
                )
            chunk = Chunk(
                id=cid,
                duration=size,
                release=now,
                deadline=deadline,
                target=min(target, deadline),
                alap_limit=max(now, deadline - tail),
                priority=breakdown.score,
                prereqs=prereqs,
            )
            out.append(ChunkInfo(chunk, item, index, breakdown, target > horizon_end))
    for item in reviews:
        assert item.release is not None and item.review_due is not None
        sizes = [item.to_place_min] if item.to_place_min else []
        for index, size in enumerate(sizes):
            breakdown = priority(
                minutes_until_due=item.review_due - now,
                weight_percent=None,
                mastery=item.mastery,
                difficulty=item.difficulty,
                curve=prefs.difficulty_curve,
            )
            chunk = Chunk(
                id=item.key,
                duration=size,
                release=item.release,
                deadline=item.review_due,
                target=item.review_due,
                alap_limit=item.review_due,
                priority=breakdown.score,
            )
            out.append(ChunkInfo(chunk, item, index, breakdown, False))
    return out
