"""The planner's entry point: ``plan(inputs, *, now) -> Plan``.

Steps (each in its own module):

1. **free time** (``freetime``): availability in the user's zone minus busy time and fixed blocks;
2. **work** (``estimate``): minutes each (assessment, topic) still needs, plus spaced reviews,
   split into chunks with stable ids;
3. **priority** (``priority``) of every work item; prerequisites inherit the priority of the
   topics that need them so that they are handled first;
4. **soft targets** from the difficulty curve: the k-th of N chunks of an assessment aims to end
   by ``now + (due − now) × ((k + 1) / (N + 1)) ** γ`` with ``γ = gentle 1.4, balanced 1,
   aggressive 0.7`` (gentle finishes early, aggressive studies close to the exam). Chunks of an
   assessment due after the horizon whose target lies after the horizon are deferred (reported
   ``after_horizon``);
5. **stability**: every still-open, unpinned task whose id is a chunk id of this plan keeps its
   start if the block (with the new duration) is still valid — inside free time, before the
   deadline, after its prerequisites, under the daily cap. Kept blocks are placed first, in
   time order;
6. **placement** (``placement``) of the rest, then at-risk accounting: every chunk that could not
   be placed is reported with the reason (prerequisites not placed; the daily cap — the chunk
   would fit if the cap allowed; otherwise not enough free time before the deadline).

Nothing here reads the clock, touches a database or iterates over a set: the plan is a pure,
deterministic function of ``inputs`` and ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner import estimate as est
from planner.freetime import (
    Segment,
    ceil_grid,
    floor_grid,
    free_segments,
    from_minutes,
    load_zone,
    local_day,
    to_minutes,
    to_minutes_ceil,
)
from planner.placement import Chunk, State, greedy, repair, value
from planner.priority import Breakdown, priority
from planner.values import (
    MIN_BLOCK_MIN,
    AtRisk,
    AtRiskCode,
    Course,
    Difficulty,
    ExistingTask,
    Mastery,
    Plan,
    PlanInputError,
    PlanInputs,
    PlannedTask,
    TaskType,
    Topic,
    WorkAccount,
)

CURVE_GAMMA = {"gentle": 1.4, "balanced": 1.0, "aggressive": 0.7}
OPEN_STATUSES = ("pending", "scheduled")
RISK_ORDER: tuple[AtRiskCode, ...] = ("prerequisites", "daily_cap", "no_free_time", "after_horizon")


@dataclass(frozen=True, slots=True)
class ChunkInfo:
    """A chunk plus what is needed to describe it to the student."""

    chunk: Chunk
    item: est.WorkItem
    index: int
    breakdown: Breakdown
    after_horizon: bool


@dataclass(frozen=True, slots=True)
class Problem:
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


# ------------------------------------------------------------------------------------------------
# building the problem


def _fixed_blocks(tasks: Iterable[ExistingTask], now: int) -> list[tuple[int, int]]:
    blocks = []
    for task in tasks:
        if task.is_fixed and task.scheduled_start and task.scheduled_end:
            lo, hi = to_minutes(task.scheduled_start), to_minutes_ceil(task.scheduled_end)
            if hi > now:
                blocks.append((lo, hi))
    return sorted(blocks)


def _topo_topics(topic_ids: list[str], topics: dict[str, Topic]) -> list[str]:
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


def _work_items(
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
        topic_order = _topo_topics([t for t, _ in shares if t is not None], topics)
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


def _review_done(tasks: Iterable[ExistingTask], review_keys: set[str]) -> dict[str, int]:
    """Reviews are keyed by their own id: a completed/fixed task with that id counts."""
    out: dict[str, int] = {}
    for task in tasks:
        if task.id in review_keys and (task.status == "completed" or task.is_fixed):
            out[task.id] = task.duration_min
    return out


def build_problem(inputs: PlanInputs, now: datetime) -> Problem:
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
    done = {**done, **_review_done(tasks, review_keys)}
    items = _work_items(inputs, now_min, horizon_end, zone, topics, mastery, done, fixed)

    # Ids of finished, fixed, skipped or expired tasks are never handed out again: a block the
    # user deleted (skipped) must not come back under the same id; its work gets a new one.
    used_ids = {
        t.id for t in tasks if t.status in ("completed", "skipped", "expired") or t.is_fixed
    }
    chunks = _chunks(inputs, items, topics, now_min, horizon_end, used_ids)
    cap = round(prefs.max_hours_per_day * 60)
    return Problem(
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


# ------------------------------------------------------------------------------------------------
# placing


def processing_order(chunks: list[ChunkInfo]) -> list[Chunk]:
    """Priority order; a prerequisite inherits the priority of its dependents so it comes first."""
    effective = {info.chunk.id: info.chunk.priority for info in chunks}
    # dependents always come later in an assessment's sequence, so one reverse pass suffices
    for info in reversed(chunks):
        for pre in info.chunk.prereqs:
            if effective[info.chunk.id] > effective[pre]:
                effective[pre] = effective[info.chunk.id]
    position = {info.chunk.id: i for i, info in enumerate(chunks)}
    ordered = sorted(
        (info.chunk for info in chunks if not info.after_horizon),
        key=lambda c: (-effective[c.id], c.deadline, position[c.id]),
    )
    return ordered


def _keep_existing(
    state: State, inputs: PlanInputs, by_id: dict[str, Chunk], zone: ZoneInfo
) -> set[str]:
    """Pre-place still-valid existing placements; returns the kept chunk ids."""
    kept: set[str] = set()
    candidates = sorted(
        (
            t
            for t in inputs.existing_tasks
            if t.id in by_id
            and t.status in OPEN_STATUSES
            and not t.is_fixed
            and t.scheduled_start is not None
        ),
        key=lambda t: (t.scheduled_start, t.id),
    )
    for task in candidates:
        assert task.scheduled_start is not None
        chunk = by_id[task.id]
        start = to_minutes(task.scheduled_start)
        if start != to_minutes_ceil(task.scheduled_start):
            continue
        if start < chunk.release or start + chunk.duration > chunk.deadline:
            continue
        if chunk.prereqs and not all(
            p in kept and state.placed[p] + by_id[p].duration <= start for p in chunk.prereqs
        ):
            continue
        idx = state.segment_at(start, chunk.duration)
        if idx < 0 or state.starts[idx] > start:
            continue
        if state.used.get(state.days[idx], 0) + chunk.duration > state.cap:
            continue
        state.occupy(idx, start, chunk.duration)
        state.placed[chunk.id] = start
        kept.add(chunk.id)
    return kept


def place(problem: Problem, inputs: PlanInputs) -> tuple[State, set[str]]:
    """Run stability + both greedy passes; return the chosen state and the kept ids."""
    infos = list(problem.chunks)
    by_id = {info.chunk.id: info.chunk for info in infos}
    state = State.build(list(problem.segments), dict(problem.used), problem.cap, problem.brk)
    kept = _keep_existing(state, inputs, by_id, problem.zone)
    order = processing_order(infos)
    base = state.segments()
    locked = (
        kept
        | {c.id for c in order if c.prereqs or c.release > problem.now}
        | {p for c in order for p in c.prereqs}
    )
    spread = greedy(state, order, "spread", by_id)
    if all(c.id in spread.placed for c in order):
        return spread, kept  # everything fits: nothing to gain from the quality pass
    quality = greedy(state, order, "quality", by_id)
    quality = repair(quality, base, order, by_id, locked, kept)
    # a last greedy pass over what is still unplaced: after it no unplaced chunk fits
    # anywhere, which is what makes re-planning a plan with itself a fixed point
    quality = greedy(quality, order, "quality", by_id)
    best = spread if value(spread, by_id) >= value(quality, by_id) - 1e-9 else quality
    return best, kept


# ------------------------------------------------------------------------------------------------
# output


def plan(inputs: PlanInputs, *, now: datetime) -> Plan:
    """The study plan for ``inputs`` as of ``now`` (aware). Pure and deterministic."""
    problem = build_problem(inputs, now)
    state, kept = place(problem, inputs)
    courses = {c.id: c for c in inputs.courses}
    topics = {t.id: t for t in inputs.topics}

    tasks: list[PlannedTask] = []
    placed_by_key: dict[str, int] = {}
    missing: dict[tuple[str, AtRiskCode], int] = {}
    reason_cache: dict[str, AtRiskCode] = {}
    infos = {info.chunk.id: info for info in problem.chunks}
    # the k-th block of a topic in time gets the k-th study mode (read first, then practise)
    rank: dict[str, int] = {}
    by_item: dict[str, list[tuple[int, str]]] = {}
    for info in problem.chunks:
        start = state.placed.get(info.chunk.id)
        if start is not None:
            by_item.setdefault(info.item.key, []).append((start, info.chunk.id))
    for entries in by_item.values():
        for position, (_, cid) in enumerate(sorted(entries)):
            rank[cid] = position
    for info in problem.chunks:
        chunk, item = info.chunk, info.item
        start = state.placed.get(chunk.id)
        if start is None:
            code = _why(info, state, infos, reason_cache)
            missing[(item.key, code)] = missing.get((item.key, code), 0) + chunk.duration
            continue
        placed_by_key[item.key] = placed_by_key.get(item.key, 0) + chunk.duration
        tasks.append(_task(info, rank[chunk.id], start, chunk.id in kept, problem, inputs, courses))

    at_risk: list[AtRisk] = []
    accounts: list[WorkAccount] = []
    for item in problem.items:
        aid = item.assessment.id if item.assessment else None
        tid = item.topic.id if item.topic else None
        risk_total = 0
        for code in RISK_ORDER:
            minutes = missing.get((item.key, code), 0)
            if minutes:
                risk_total += minutes
                at_risk.append(
                    AtRisk(
                        aid,
                        tid,
                        minutes,
                        code,
                        _risk_words(code, item, minutes, inputs, topics),
                        item.assessment.due if item.assessment else None,
                    )
                )
        accounts.append(
            WorkAccount(
                aid,
                tid,
                item.required_min,
                item.fixed_min,
                placed_by_key.get(item.key, 0),
                risk_total,
            )
        )
    tasks.sort(key=lambda t: (t.scheduled_start, t.id))
    return Plan(tuple(tasks), tuple(at_risk), tuple(accounts), now)


def _why(
    info: ChunkInfo, state: State, infos: dict[str, ChunkInfo], cache: dict[str, AtRiskCode]
) -> AtRiskCode:
    if info.after_horizon:
        return "after_horizon"
    chunk = info.chunk
    if any(p not in state.placed for p in chunk.prereqs):
        return "prerequisites"
    cached = cache.get(info.item.key)
    if cached is not None:
        return cached
    idx, _ = state.latest(chunk.duration, chunk.release, chunk.deadline, check_cap=False)
    code: AtRiskCode = "daily_cap" if idx >= 0 else "no_free_time"
    cache[info.item.key] = code
    return code


def _label(item: est.WorkItem) -> str:
    if item.topic is not None:
        return item.topic.name
    return item.assessment.name if item.assessment else "review"


def _when(due: int, now: int, zone: ZoneInfo) -> str:
    days = local_day(due, zone) - local_day(now, zone)
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def _task(
    info: ChunkInfo,
    position: int,
    start: int,
    kept: bool,
    problem: Problem,
    inputs: PlanInputs,
    courses: dict[str, Course],
) -> PlannedTask:
    item, chunk, b = info.item, info.chunk, info.breakdown
    course = courses.get(item.course_id)
    course_label = (course.code or course.name if course else "") or item.course_id
    topic_name = _label(item)
    assessment = item.assessment
    modes = inputs.preferences.modes_for(item.course_id)
    if assessment is None:
        task_type: TaskType = TaskType.REVIEW
        title = f"{course_label}: review {topic_name}"
        reason = (
            f"Spaced review of {topic_name}: it is due for review, and recalling it now keeps "
            f"your mastery (about {item.mastery:.0f}/100) from fading. Priority {b.score:.0f}."
        )
    else:
        task_type = est.task_type_for(modes, assessment.type, position)
        kind = task_type.replace("_", " ")
        title = f"{course_label}: {topic_name} — {kind} ({assessment.name})"
        due_words = _when(to_minutes(assessment.due), problem.now, problem.zone)
        reason = (
            f"{assessment.name} ({assessment.type}, {assessment.weight_percent:g}% of the grade) "
            f"is due {due_words}; {topic_name} is {item.difficulty.replace('_', '-')} and your "
            f"mastery is about {item.mastery:.0f}/100, so this gets priority {b.score:.0f}."
        )
    if kept:
        reason += " It stays at the time it already had."
    return PlannedTask(
        id=chunk.id,
        title=title,
        task_type=task_type,
        course_id=item.course_id,
        assessment_id=assessment.id if assessment else None,
        topic_ids=(item.topic.id,) if item.topic else (),
        difficulty=item.difficulty,
        duration_min=chunk.duration,
        priority_score=chunk.priority,
        expected_mastery_gain=est.expected_gain(item.mastery, chunk.duration, item.difficulty),
        scheduled_start=from_minutes(start),
        scheduled_end=from_minutes(start + chunk.duration),
        reason=reason,
        kept=kept,
    )


def _risk_words(
    code: AtRiskCode,
    item: est.WorkItem,
    minutes: int,
    inputs: PlanInputs,
    topics: dict[str, Topic],
) -> str:
    what = _label(item)
    name = item.assessment.name if item.assessment else f"the review of {what}"
    if code == "after_horizon":
        return (
            f"{name} is due after the {inputs.horizon_days}-day planning window; {minutes} min of "
            f"{what} will be planned in a later window."
        )
    if code == "prerequisites":
        pre_names = [
            topics[p].name
            for p in (item.topic.prerequisite_ids if item.topic else ())
            if p in topics
        ]
        needs = ", ".join(pre_names) or "its prerequisites"
        return (
            f"{what} builds on {needs}, which could not all be scheduled first, so {minutes} min "
            f"for {name} have no place before it is due."
        )
    if code == "daily_cap":
        return (
            f"Your daily limit of {inputs.preferences.max_hours_per_day:g} h is already used on "
            f"the free days before {name}: {minutes} min of {what} do not fit."
        )
    return f"Not enough free time before {name}: {minutes} min of {what} could not be placed."
