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

Passes (``passes.place`` chains them):

* **spread** — chunks in priority order, each as late as possible before its *soft target*
  (the difficulty curve's point in the days before the deadline), else the earliest after it.
  Work is spread over the days before a deadline instead of crammed into the last one. If every
  chunk is placed, this is the plan.
* **quality** — otherwise: the same order, each chunk as late as its deadline allows (minus the
  minutes its dependent topics still need after it). Late placement keeps early time free for
  work with earlier deadlines, which is what makes a priority-ordered greedy pack well;
* **repair** (``repair``) of the quality result: every gap, latest first, is re-packed
  exactly with a Lawler–Moore dynamic programme over its blocks and the unplaced chunks that may
  use it; then neighbouring gaps are re-packed together (the later one may take blocks from the
  earlier one, which then refills from the unplaced chunks); moves are kept only when they add
  value;
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
