"""Placement: put chunks into free segments.

State: the sorted, disjoint free segments of ``freetime`` (epoch minutes, one local date each)
and the study minutes already used per local date. Placing a block of ``d`` minutes at ``s``
inside segment ``[a, e)`` leaves ``[a, s − break)`` and ``[s + d + break, e)``; pieces shorter than
15 minutes are dropped. Because segments are always a break apart, any two blocks are too.

Each chunk is placed whole in one segment, inside ``[release, limit]``, and only on a local date
whose cap still has room. Two searches:

* ``latest`` — the latest segment that can hold the block ending by ``limit``; the block sits
  flush at the segment's end, or at its start when the limit falls inside the segment (a block in
  the middle would cut the segment into two less useful pieces);
* ``earliest`` — the earliest start ≥ ``release``.

Passes (``core.place`` chains them):

* **spread** — chunks in priority order, each as late as possible before its *soft target*
  (the difficulty curve's point in the days before the deadline), else the earliest after it.
  Work is spread over the days before a deadline instead of crammed into the last one. If every
  chunk is placed, this is the plan.
* **quality** — otherwise: the same order, each chunk as late as its deadline allows (minus the
  minutes its dependent topics still need after it). Late placement keeps early time free for
  work with earlier deadlines, which is what makes a priority-ordered greedy pack well;
* **repair** of the quality result: every gap, latest first, is re-packed exactly with a
  Lawler–Moore dynamic programme over its blocks and the unplaced chunks that may use it; then
  neighbouring gaps are re-packed together (the later one may take blocks from the earlier one,
  which then refills from the unplaced chunks); moves are kept only when they add value;
* a final greedy fill, then the better of spread and quality by Σ priority × minutes (ties go
  to spread).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from planner.freetime import Segment
from planner.values import MIN_BLOCK_MIN

GRID = 5


@dataclass(frozen=True, slots=True)
class Chunk:
    """What placement needs to know about one block of work (times in epoch minutes)."""

    id: str
    duration: int
    release: int
    deadline: int
    target: int
    alap_limit: int
    priority: float
    prereqs: tuple[str, ...] = ()


@dataclass(slots=True)
class State:
    starts: list[int]
    ends: list[int]
    days: list[int]
    used: dict[int, int]
    cap: int
    brk: int
    placed: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, segments: list[Segment], used: dict[int, int], cap: int, brk: int) -> State:
        return cls(
            [s.start for s in segments],
            [s.end for s in segments],
            [s.day for s in segments],
            dict(used),
            cap,
            brk,
        )

    def copy(self) -> State:
        return State(
            list(self.starts),
            list(self.ends),
            list(self.days),
            dict(self.used),
            self.cap,
            self.brk,
            dict(self.placed),
        )

    def segments(self) -> list[Segment]:
        return [Segment(a, e, d) for a, e, d in zip(self.starts, self.ends, self.days, strict=True)]

    # -- search ---------------------------------------------------------------------------------

    def latest(self, duration: int, lo: int, hi: int, check_cap: bool = True) -> tuple[int, int]:
        """(segment index, start) of the latest fit in ``[lo, hi]``, or (-1, -1)."""
        starts, ends, days, used = self.starts, self.ends, self.days, self.used
        limit = self.cap - duration
        idx = bisect_right(starts, hi - duration) - 1
        while idx >= 0:
            end = ends[idx]
            if end <= lo:
                break
            if not check_cap or used.get(days[idx], 0) <= limit:
                a = starts[idx]
                if end <= hi:
                    begin = end - end % GRID - duration
                else:
                    # The limit falls inside the segment: sit flush at its start instead of
                    # just before the limit, so the segment keeps one usable piece, not two.
                    begin = a if a > lo else lo
                    begin += -begin % GRID
                    if begin + duration > hi:
                        begin = -1
                if begin >= a and begin >= lo:
                    return idx, begin
            idx -= 1
        return -1, -1

    def earliest(self, duration: int, lo: int, hi: int, check_cap: bool = True) -> tuple[int, int]:
        """(segment index, start) of the earliest fit in ``[lo, hi]``, or (-1, -1)."""
        starts, ends, days, used = self.starts, self.ends, self.days, self.used
        limit = self.cap - duration
        idx = max(0, bisect_right(starts, lo) - 1)
        count = len(starts)
        while idx < count:
            a = starts[idx]
            if a > hi - duration:
                break
            if not check_cap or used.get(days[idx], 0) <= limit:
                begin = a if a > lo else lo
                begin += -begin % GRID
                end = ends[idx]
                if begin + duration <= end and begin + duration <= hi:
                    return idx, begin
            idx += 1
        return -1, -1

    def segment_at(self, start: int, duration: int) -> int:
        idx = bisect_right(self.starts, start) - 1
        if idx >= 0 and start + duration <= self.ends[idx]:
            return idx
        return -1

    # -- update ---------------------------------------------------------------------------------

    def occupy(self, idx: int, start: int, duration: int) -> None:
        a, e, day = self.starts[idx], self.ends[idx], self.days[idx]
        del self.starts[idx], self.ends[idx], self.days[idx]
        right = (start + duration + self.brk, e)
        left = (a, start - self.brk)
        for lo, hi in (right, left):
            if hi - lo >= MIN_BLOCK_MIN:
                self.starts.insert(idx, lo)
                self.ends.insert(idx, hi)
                self.days.insert(idx, day)
        self.used[day] = self.used.get(day, 0) + duration


def _place_one(state: State, chunk: Chunk, release: int, mode: str) -> int:
    d = chunk.duration
    if mode == "quality":
        idx, start = state.latest(d, release, chunk.alap_limit)
        if idx < 0 and chunk.alap_limit < chunk.deadline:
            idx, start = state.latest(d, release, chunk.deadline)
    else:
        idx, start = state.latest(d, release, min(chunk.target, chunk.deadline))
        if idx < 0:
            idx, start = state.earliest(d, release, chunk.deadline)
    if idx < 0:
        return -1
    state.occupy(idx, start, d)
    return start


def greedy(state: State, order: list[Chunk], mode: str, by_id: dict[str, Chunk]) -> State:
    """Place ``order`` (already priority-sorted) into a copy of ``state``.

    A chunk whose prerequisite chunks are not all placed is skipped (reported as blocked by
    prerequisites); otherwise it starts no earlier than the end of the last of them.
    """
    state = state.copy()
    placed = state.placed
    for chunk in order:
        if chunk.id in placed:
            continue
        release = chunk.release
        if chunk.prereqs:
            if any(pre not in placed for pre in chunk.prereqs):
                continue
            release = max(release, *(placed[p] + by_id[p].duration for p in chunk.prereqs))
        start = _place_one(state, chunk, release, mode)
        if start >= 0:
            placed[chunk.id] = start
    return state


def value(state: State, by_id: dict[str, Chunk]) -> float:
    return sum(by_id[c].priority * by_id[c].duration for c in state.placed)


# ------------------------------------------------------------------------------------------------
# repair: re-pack each gap exactly (Lawler–Moore), latest gap first


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
