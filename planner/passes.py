"""The order of placement passes: stability first, then spread, quality, repair and a fill.

* **stability**: every still-open, unpinned task whose id is a chunk id of this plan keeps its
  start if the block (with the new duration) is still valid — inside free time, before the
  deadline, under the daily cap, and after those of its prerequisites that stay. A prerequisite
  that has to move gets the start of its earliest kept dependent as its deadline; only if it
  still finds no place there is that dependent released (the earliest first) and the plan made
  again. So a block moves only when the change overlaps it or its prerequisite cannot end
  before it. Kept blocks are placed first, in time order;
* the rest is placed by ``placement.greedy`` (spread, else quality + ``repair`` + a final fill),
  in priority order where a prerequisite inherits the priority of its dependents;
* a stable plan that places fewer minutes than a fresh one (no existing tasks) gives way to it:
  a moved block costs the student less than work reported as not fitting.
"""

from __future__ import annotations

from dataclasses import replace

from planner.freetime import to_minutes, to_minutes_ceil
from planner.placement import Chunk, State, greedy, value
from planner.problem import ChunkInfo, PlacementProblem
from planner.repair import repair
from planner.values import ExistingTask, PlanInputs

OPEN_STATUSES = ("pending", "scheduled")
# rounds that release one stranded dependent at a time before all of them go at once
CALM_ROUNDS = 8


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
    state: State, existing: tuple[ExistingTask, ...], by_id: dict[str, Chunk], moving: set[str]
) -> tuple[set[str], dict[str, int]]:
    """Pre-place still-valid existing placements (but none of ``moving``).

    Returns the kept chunk ids and, for each prerequisite that is not kept, the start of its
    earliest kept dependent: it must be placed to end by then. A dependent stays where it is
    while its prerequisites either stay before it or can still be placed before it; it moves
    only when a prerequisite now ends after it.
    """
    kept: set[str] = set()
    must_end_by: dict[str, int] = {}
    candidates = sorted(
        (
            t
            for t in existing
            if t.id in by_id
            and t.id not in moving
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
        if start + chunk.duration > must_end_by.get(chunk.id, start + chunk.duration):
            continue  # a kept dependent starts before this block would end
        if any(p in kept and state.placed[p] + by_id[p].duration > start for p in chunk.prereqs):
            continue
        idx = state.segment_at(start, chunk.duration)
        if idx < 0 or state.starts[idx] > start:
            continue
        if state.used.get(state.days[idx], 0) + chunk.duration > state.cap:
            continue
        state.occupy(idx, start, chunk.duration)
        state.placed[chunk.id] = start
        kept.add(chunk.id)
        for pre in chunk.prereqs:
            if pre not in kept:
                must_end_by[pre] = min(must_end_by.get(pre, start), start)
    return kept, {p: end for p, end in must_end_by.items() if p not in kept}


def _bounded(chunk: Chunk, end_by: int | None) -> Chunk:
    if end_by is None or end_by >= chunk.deadline:
        return chunk
    return replace(
        chunk,
        deadline=end_by,
        target=min(chunk.target, end_by),
        alap_limit=min(chunk.alap_limit, end_by),
    )


def _place_with(
    problem: PlacementProblem, existing: tuple[ExistingTask, ...]
) -> tuple[State, set[str]]:
    """Stability + both greedy passes; while a kept dependent's prerequisite finds no place before
    it, the earliest such dependent is released and everything is placed again."""
    infos = list(problem.chunks)
    by_id = {info.chunk.id: info.chunk for info in infos}
    moving: set[str] = set()
    for round_no in range(len(by_id) + 1):
        state = State.build(list(problem.segments), dict(problem.used), problem.cap, problem.brk)
        kept, end_by = _keep_existing(state, existing, by_id, moving)
        bounded = {cid: _bounded(c, end_by.get(cid)) for cid, c in by_id.items()}
        order = [bounded[c.id] for c in processing_order(infos)]
        best = _passes(problem, state, order, bounded, kept)
        stranded = {cid for cid in kept if any(p not in best.placed for p in by_id[cid].prereqs)}
        if not stranded:
            return best, kept
        if round_no >= CALM_ROUNDS:  # each round is a whole placement: bound the replan's cost
            moving |= stranded
        else:
            # release the earliest only: the room it frees may be enough for the later ones
            moving.add(min(stranded, key=lambda cid: (state.placed[cid], cid)))
    raise AssertionError("unreachable: every round releases at least one kept block")


def _passes(
    problem: PlacementProblem,
    state: State,
    order: list[Chunk],
    by_id: dict[str, Chunk],
    kept: set[str],
) -> State:
    base = state.segments()
    locked = (
        kept
        | {c.id for c in order if c.prereqs or c.release > problem.now}
        | {p for c in order for p in c.prereqs}
    )
    spread = greedy(state, order, "spread", by_id)
    if all(c.id in spread.placed for c in order):
        return spread  # everything fits: nothing to gain from the quality pass
    quality = greedy(state, order, "quality", by_id)
    quality = repair(quality, base, order, by_id, locked, kept)
    # a last greedy pass over what is still unplaced: after it no unplaced chunk fits
    # anywhere, which is what makes re-planning a plan with itself a fixed point
    quality = greedy(quality, order, "quality", by_id)
    return spread if value(spread, by_id) >= value(quality, by_id) - 1e-9 else quality


def _minutes(state: State, problem: PlacementProblem) -> int:
    return sum(i.chunk.duration for i in problem.chunks if i.chunk.id in state.placed)


def place(problem: PlacementProblem, inputs: PlanInputs) -> tuple[State, set[str]]:
    """The chosen state and the kept ids.

    A stable replan (existing blocks stay) that places fewer minutes than a fresh one would is
    not kept: moving a block the student had is better than telling them work does not fit.
    """
    stable, kept = _place_with(problem, inputs.existing_tasks)
    if not kept or all(i.chunk.id in stable.placed for i in problem.chunks if not i.after_horizon):
        return stable, kept
    fresh, _ = _place_with(problem, ())
    if _minutes(fresh, problem) > _minutes(stable, problem):
        return fresh, set()
    return stable, kept
