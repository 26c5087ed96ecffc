"""Repair of the quality pass: every gap, latest first, is re-packed exactly.

Each gap is re-packed with a Lawler–Moore dynamic programme over its blocks and the unplaced
chunks that may use it; then neighbouring gaps are re-packed together (the later one may take
blocks from the earlier one, which then refills from the unplaced chunks); moves are kept only
when they add value.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from planner.freetime import Segment
from planner.placement import GRID, Chunk, State
from planner.values import MIN_BLOCK_MIN


@dataclass(slots=True)
class _Gap:
    start: int
    end: int
    day: int
    members: list[str]
    changed: bool = False


def _best_subset(
    gap: _Gap, pool: list[Chunk], brk: int, weight: dict[str, int]
) -> tuple[int, list[str]]:
    """The most valuable subset of ``pool`` that fits the gap with every deadline met.

    Lawler–Moore dynamic programme for one machine: chunks in deadline order, state = cost used
    (a block costs duration + break, the gap offers length + break). Exact for one gap.
    """
    unit = GRID
    capacity = (gap.end - gap.start + brk) // unit
    best = [-1] * (capacity + 1)
    best[0] = 0
    take: list[bytearray] = []
    ordered = sorted(pool, key=lambda c: (c.deadline, c.id))
    for chunk in ordered:
        cost = (chunk.duration + brk) // unit
        limit = min(capacity, (chunk.deadline - gap.start + brk) // unit)
        row = bytearray(capacity + 1)
        v = weight[chunk.id]
        for t in range(limit - cost, -1, -1):
            here = best[t]
            if here >= 0 and here + v > best[t + cost]:
                best[t + cost] = here + v
                row[t + cost] = 1
        take.append(row)
    t = max(range(capacity + 1), key=lambda i: (best[i], -i))
    total = best[t]
    chosen: list[str] = []
    for index in range(len(ordered) - 1, -1, -1):
        if take[index][t]:
            chosen.append(ordered[index].id)
            t -= (ordered[index].duration + brk) // unit
    return total, chosen


def _pool_for(gap: _Gap, unplaced: list[Chunk], brk: int, weight: dict[str, int]) -> list[Chunk]:
    """Unplaced chunks that could use the gap, minus the ones that can never beat their twins.

    Chunks due after the gap ends are interchangeable when they cost the same: only the most
    valuable ``capacity // cost`` of each cost can ever be chosen.
    """
    room = gap.end - gap.start + brk
    out: list[Chunk] = []
    free_count: dict[int, int] = {}
    for chunk in unplaced:  # sorted by value, best first
        if chunk.release > gap.start or gap.start + chunk.duration > chunk.deadline:
            continue
        if chunk.duration > gap.end - gap.start:
            continue
        if chunk.deadline >= gap.end:
            cost = chunk.duration + brk
            seen = free_count.get(cost, 0)
            if seen >= room // cost:
                continue
            free_count[cost] = seen + 1
        out.append(chunk)
    return out


def repair(
    state: State,
    base: list[Segment],
    order: list[Chunk],
    by_id: dict[str, Chunk],
    locked: set[str],
    kept: set[str],
    rounds: int = 2,
    budget: int = 40000,
) -> State:
    """Improve the greedy's packing gap by gap; never lowers Σ priority × minutes.

    Gaps are the free segments *before* the greedy (kept blocks already outside them). For each
    gap, latest first, the best subset of its blocks plus the unplaced chunks that may use it is
    found exactly; blocks it drops become unplaced and may be picked up by an earlier gap.
    Gaps holding a locked chunk (prerequisite links, late release) and gaps where the daily cap
    could bind are left alone. Changed gaps are laid out from their start in deadline order;
    the others keep the greedy's positions.
    """
    # Repacked gaps stay on the 5-minute grid, so an off-grid break is rounded up here.
    brk = state.brk + (-state.brk % GRID)
    # Blocks start on the grid, so a gap starting off it (after a kept block and an odd break)
    # really starts at the next grid point; the DP must not use the minutes before it.
    gaps = [_Gap(s.start + (-s.start % GRID), s.end, s.day, []) for s in base]
    gap_starts = [g.start for g in gaps]
    frozen: set[int] = set()
    for cid, start in state.placed.items():
        if cid in kept:
            continue
        gi = bisect_right(gap_starts, start) - 1
        gaps[gi].members.append(cid)
        if cid in locked:
            frozen.add(gi)
    weight = {c.id: round(c.priority * 100) * c.duration for c in order}
    placed = set(state.placed)
    unplaced = sorted(
        (c for c in order if c.id not in placed and c.id not in locked),
        key=lambda c: (-weight[c.id], c.deadline, c.id),
    )
    used = dict(state.used)
    for _ in range(rounds):
        improved = False
        for gi in range(len(gaps) - 1, -1, -1):
            gap = gaps[gi]
            if gi in frozen:
                continue
            own = sum(by_id[m].duration for m in gap.members)
            if used.get(gap.day, 0) - own + (gap.end - gap.start) > state.cap:
                continue
            pool = _pool_for(gap, unplaced, brk, weight)
            if not pool:
                continue
            current = sum(weight[m] for m in gap.members)
            total, chosen = _best_subset(gap, [by_id[m] for m in gap.members] + pool, brk, weight)
            if total <= current:
                continue
            chosen_set = set(chosen)
            dropped = [m for m in gap.members if m not in chosen_set]
            gap.members = sorted(chosen, key=lambda m: (by_id[m].deadline, m))
            gap.changed = True
            used[gap.day] = used.get(gap.day, 0) - own + sum(by_id[m].duration for m in chosen)
            unplaced = sorted(
                [c for c in unplaced if c.id not in chosen_set] + [by_id[m] for m in dropped],
                key=lambda c: (-weight[c.id], c.deadline, c.id),
            )
            improved = True
        if not improved:
            break
    unplaced = _pair_pass(gaps, frozen, unplaced, used, state.cap, brk, by_id, weight, budget)
    if not any(g.changed for g in gaps):
        return state
    return _rebuild(state, gaps, by_id, used, kept, brk)


def _pair_pass(
    gaps: list[_Gap],
    frozen: set[int],
    unplaced: list[Chunk],
    used: dict[int, int],
    cap: int,
    brk: int,
    by_id: dict[str, Chunk],
    weight: dict[str, int],
    budget: int,
) -> list[Chunk]:
    """Re-pack neighbouring gaps together: the later one may take blocks from the earlier one,
    whose freed room is then filled from the unplaced chunks. A move is kept only when the two
    gaps together gain value, so the pass never lowers the objective. ``budget`` bounds the
    dynamic-programming work (items × capacity cells) so heavy instances stay fast.
    """
    spent = 0

    def order_key(c: Chunk) -> tuple[int, int, str]:
        return (-weight[c.id], c.deadline, c.id)

    for gi in range(len(gaps) - 1, 0, -1):
        late, early = gaps[gi], gaps[gi - 1]
        if gi in frozen or gi - 1 in frozen or not early.members:
            continue
        own_late = sum(by_id[m].duration for m in late.members)
        own_early = sum(by_id[m].duration for m in early.members)
        spans = (late.end - late.start) + (early.end - early.start)
        if late.day == early.day:
            if used.get(late.day, 0) - own_late - own_early + spans > cap:
                continue
        elif (
            used.get(late.day, 0) - own_late + (late.end - late.start) > cap
            or used.get(early.day, 0) - own_early + (early.end - early.start) > cap
        ):
            continue
        movable = [
            by_id[m]
            for m in early.members
            if late.start + by_id[m].duration <= by_id[m].deadline
            and by_id[m].duration <= late.end - late.start
        ]
        if not movable:
            continue
        pool_late = [by_id[m] for m in late.members] + movable
        pool_late += _pool_for(late, unplaced, brk, weight)
        spent += len(pool_late) * ((late.end - late.start) // GRID + 1)
        if spent > budget:
            break
        before = sum(weight[m] for m in late.members) + sum(weight[m] for m in early.members)
        total_late, chosen_late = _best_subset(late, pool_late, brk, weight)
        taken = set(chosen_late)
        dropped = [by_id[m] for m in late.members if m not in taken]
        rest = [by_id[m] for m in early.members if m not in taken]
        left_over = [c for c in unplaced if c.id not in taken] + dropped
        left_over.sort(key=order_key)
        pool_early = rest + _pool_for(early, left_over, brk, weight)
        spent += len(pool_early) * ((early.end - early.start) // GRID + 1)
        total_early, chosen_early = _best_subset(early, pool_early, brk, weight)
        if total_late + total_early <= before:
            continue
        now_placed = taken | set(chosen_early)
        lost = [by_id[m] for m in late.members + early.members if m not in now_placed]
        unplaced = [c for c in unplaced if c.id not in now_placed] + lost
        unplaced.sort(key=order_key)
        for gap, chosen in ((late, chosen_late), (early, chosen_early)):
            old = sum(by_id[m].duration for m in gap.members)
            gap.members = sorted(chosen, key=lambda m: (by_id[m].deadline, m))
            gap.changed = True
            used[gap.day] = used.get(gap.day, 0) - old + sum(by_id[m].duration for m in chosen)
    return unplaced


def _layout(gap: _Gap, members: list[Chunk], brk: int) -> list[int]:
    t = gap.start
    starts = []
    for chunk in members:
        starts.append(t)
        t += chunk.duration + brk
    return starts


def _rebuild(
    state: State,
    gaps: list[_Gap],
    by_id: dict[str, Chunk],
    used: dict[int, int],
    kept: set[str],
    grid_brk: int,
) -> State:
    """A new State: changed gaps laid out EDF from their start, others as the greedy left them."""
    brk = state.brk
    new = State([], [], [], used, state.cap, brk, {c: state.placed[c] for c in sorted(kept)})
    for gap in gaps:
        if gap.changed:
            chunks = [by_id[m] for m in gap.members]
            starts = _layout(gap, chunks, grid_brk)
            blocks = [(s, c.duration) for s, c in zip(starts, chunks, strict=True)]
            for (s, _), c in zip(blocks, chunks, strict=True):
                new.placed[c.id] = s
        else:
            blocks = sorted((state.placed[m], by_id[m].duration) for m in gap.members)
            for m in gap.members:
                new.placed[m] = state.placed[m]
        cursor = gap.start
        for s, d in sorted(blocks):
            if s - brk - cursor >= MIN_BLOCK_MIN:
                new.starts.append(cursor)
                new.ends.append(s - brk)
                new.days.append(gap.day)
            cursor = s + d + brk
        if gap.end - cursor >= MIN_BLOCK_MIN:
            new.starts.append(cursor)
            new.ends.append(gap.end)
            new.days.append(gap.day)
    return new
