"""The order of placement passes: stability first, then spread, quality, repair and a fill.

* **stability**: every still-open, unpinned task whose id is a chunk id of this plan keeps its
  start if the block (with the new duration) is still valid — inside free time, before the
  deadline, after its prerequisites, under the daily cap. Kept blocks are placed first, in
  time order;
* the rest is placed by ``placement.greedy`` (spread, else quality + ``repair`` + a final fill),
  in priority order where a prerequisite inherits the priority of its dependents.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from planner.freetime import to_minutes, to_minutes_ceil
from planner.placement import Chunk, State, greedy, value
from planner.problem import ChunkInfo, PlacementProblem
from planner.repair import repair
from planner.values import PlanInputs

OPEN_STATUSES = ("pending", "scheduled")


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


def place(problem: PlacementProblem, inputs: PlanInputs) -> tuple[State, set[str]]:
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
