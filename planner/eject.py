"""The last chunks: place what is still unplaced by moving blocks of full gaps aside.

After the repair, a chunk may stay unplaced although the whole plan fits: every gap before its
deadline is too full by a few minutes, while a block in one of them could sit in another gap
(one due later, or one with room the chunk cannot use). Telling a student that work does not
fit when it does is the worst error the planner can make, so for every unplaced chunk:

1. **direct**: the latest gap before its deadline where it fits with the gap's blocks laid out
   in deadline order (exact for one gap whose chunks are all released by its start);
2. **a chain of moves**: a gap where it fits once one block leaves, that block placed the same
   way in another gap, and so on (``depth`` moves at most).

Chunks are taken tightest first (earliest deadline): one due soon has the fewest gaps to go to.

Gaps are the repair's (``Gap``: start, end, local day, member chunk ids); frozen gaps (locked
chunks: prerequisite links, late releases) are left alone, and the daily cap is checked for every
day a move touches. ``budget`` bounds the gap checks so an instance that cannot fit anyway
(load above 1) stays fast.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from planner.placement import Chunk


@dataclass(slots=True)
class Gap:
    start: int
    end: int
    day: int
    members: list[str]
    changed: bool = False


def fits(gap: Gap, members: list[Chunk], brk: int) -> bool:
    """Do ``members``, laid out from the gap's start in deadline order, all meet their deadline?"""
    t = gap.start
    for chunk in sorted(members, key=lambda c: (c.deadline, c.id)):
        if t + chunk.duration > chunk.deadline:
            return False
        t += chunk.duration + brk
    return t - brk <= gap.end


class _Packing:
    """The gaps' members with their spare room and the minutes used per day, kept in step."""

    def __init__(
        self,
        gaps: list[Gap],
        frozen: set[int],
        used: dict[int, int],
        cap: int,
        brk: int,
        by_id: dict[str, Chunk],
        budget: int,
    ) -> None:
        self.gaps, self.frozen, self.used, self.cap, self.brk = gaps, frozen, used, cap, brk
        self.by_id = by_id
        self.starts = [g.start for g in gaps]
        self.room = [
            g.end - g.start + brk - sum(by_id[m].duration + brk for m in g.members) for g in gaps
        ]
        self.budget = budget

    def candidates(self, chunk: Chunk, exclude: int = -1) -> list[int]:
        """Gaps the chunk may use (released, ends by its deadline), latest first."""
        out = []
        for gi in range(bisect_right(self.starts, chunk.deadline - chunk.duration) - 1, -1, -1):
            self.budget -= 1
            gap = self.gaps[gi]
            if gap.start < chunk.release:
                break
            if gi != exclude and gi not in self.frozen and chunk.duration <= gap.end - gap.start:
                out.append(gi)
        return out

    def _fits_with(self, gi: int, chunk: Chunk, without: str | None = None) -> bool:
        self.budget -= 1
        gap = self.gaps[gi]
        members = [self.by_id[m] for m in gap.members if m != without]
        return fits(gap, [*members, chunk], self.brk)

    def _add(self, gi: int, chunk: Chunk) -> None:
        gap = self.gaps[gi]
        gap.members.append(chunk.id)
        # the repair lays a changed gap out in this order: keep it the deadline order
        gap.members.sort(key=lambda m: (self.by_id[m].deadline, m))
        gap.changed = True
        self.room[gi] -= chunk.duration + self.brk
        self.used[gap.day] = self.used.get(gap.day, 0) + chunk.duration

    def _remove(self, gi: int, chunk: Chunk) -> None:
        gap = self.gaps[gi]
        gap.members.remove(chunk.id)
        self.room[gi] += chunk.duration + self.brk
        self.used[gap.day] -= chunk.duration

    def direct(self, chunk: Chunk, exclude: int = -1) -> int:
        cost = chunk.duration + self.brk
        for gi in self.candidates(chunk, exclude):
            if self.budget <= 0:
                return -1
            if self.room[gi] < cost:
                continue
            if self.used.get(self.gaps[gi].day, 0) + chunk.duration > self.cap:
                continue
            if self._fits_with(gi, chunk):
                self._add(gi, chunk)
                return gi
        return -1

    def insert(
        self, chunk: Chunk, depth: int, came_from: int = -1, moved_ids: frozenset[str] = frozenset()
    ) -> bool:
        """Place ``chunk`` directly, or in a gap whose block of another length or a later
        deadline moves on (recursively, ``depth`` moves at most) to make room. A chain may pass
        through a gap twice but moves each block once (``moved_ids``), so it cannot cycle."""
        if self.direct(chunk, exclude=came_from) >= 0:
            return True
        if depth == 0:
            return False
        cost = chunk.duration + self.brk
        options = sorted(
            (gi for gi in self.candidates(chunk) if gi != came_from),
            key=lambda gi: (-self.room[gi], -gi),
        )
        for gi in options:
            gap = self.gaps[gi]
            # of the blocks of one length only the latest-due one is worth moving: it has the
            # most gaps to go to
            movable: dict[int, Chunk] = {}
            for mid in gap.members:
                if mid in moved_ids:
                    continue
                other = self.by_id[mid]
                best = movable.get(other.duration)
                if best is None or (other.deadline, other.id) > (best.deadline, best.id):
                    movable[other.duration] = other
            for moved in sorted(movable.values(), key=lambda c: (-c.deadline, c.id)):
                if self.budget <= 0:
                    return False
                if moved.duration == chunk.duration and moved.deadline <= chunk.deadline:
                    continue  # a twin due no later: it could go nowhere the chunk cannot
                if self.room[gi] + moved.duration + self.brk < cost:
                    continue
                if self.used.get(gap.day, 0) - moved.duration + chunk.duration > self.cap:
                    continue
                if not self._fits_with(gi, chunk, without=moved.id):
                    continue
                was_changed = gap.changed
                self._remove(gi, moved)
                self._add(gi, chunk)
                if self.insert(moved, depth - 1, gi, moved_ids | {chunk.id}):
                    return True
                self._remove(gi, chunk)
                self._add(gi, moved)
                gap.changed = was_changed
        return False


def place_remaining(
    gaps: list[Gap],
    frozen: set[int],
    unplaced: list[Chunk],
    used: dict[int, int],
    cap: int,
    brk: int,
    by_id: dict[str, Chunk],
    budget: int = 5000,
    depth: int = 20,
) -> list[Chunk]:
    """Place what it can of ``unplaced`` (best first); returns what is still unplaced.

    ``gaps`` and ``used`` are updated in place; a changed gap is marked for the repair's layout.
    """
    packing = _Packing(gaps, frozen, used, cap, brk, by_id, budget)
    # moves merge small rooms, so all of it counts; when even that is too little, the plan is
    # over-full and the value-driven repair has already done the useful work
    if sum(c.duration + brk for c in unplaced) > sum(packing.room):
        return unplaced
    # tightest first: a chunk due soon has the fewest gaps, so it takes the room it needs
    # before a chunk with more choices fills it
    left = []
    for chunk in sorted(unplaced, key=lambda c: (c.deadline, -c.duration, c.id)):
        if not packing.insert(chunk, depth):
            left.append(chunk)
    return left
