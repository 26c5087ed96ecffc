"""An exact answer to "can every chunk be placed?" for tiny problems, independent of the planner.

Works on the planner's own abstraction (``planner.problem.build_problem``): gaps are the free
segments (one local day each, a break apart), every chunk goes whole into one gap, and within a
gap the blocks are laid out from its start in deadline order (Jackson's rule: for one gap whose
chunks are all released by its start this order meets every deadline if any order does). Blocks
start on the 5-minute grid, so the break after a block is rounded up to it. The daily cap holds
per local day. The search tries every assignment of chunks to gaps (depth first, chunks in
deadline order, twins in gap order), so it is exponential: keep problems to a handful of chunks.
"""

from __future__ import annotations

from planner.placement import Chunk
from planner.problem import PlacementProblem

GRID = 5


def _ceil_grid(minutes: int) -> int:
    return -(-minutes // GRID) * GRID


def _gap_ok(start: int, end: int, members: list[Chunk], brk: int) -> bool:
    t = start
    for chunk in sorted(members, key=lambda c: (c.deadline, c.id)):
        t = max(t, _ceil_grid(chunk.release))
        if t + chunk.duration > min(chunk.deadline, end):
            return False
        t = _ceil_grid(t + chunk.duration + brk)
    return True


def everything_fits(problem: PlacementProblem) -> bool:
    """True when some placement puts every (in-horizon) chunk before its deadline."""
    chunks = sorted(
        (i.chunk for i in problem.chunks if not i.after_horizon),
        key=lambda c: (c.deadline, c.duration, c.id),
    )
    assert all(not c.prereqs for c in chunks), "the oracle does not model prerequisites"
    gaps = [(_ceil_grid(s.start), s.end, s.day) for s in problem.segments]
    used = dict(problem.used)
    members: list[list[Chunk]] = [[] for _ in gaps]

    def search(k: int, lowest: int) -> bool:
        if k == len(chunks):
            return True
        chunk = chunks[k]
        twin = k > 0 and (chunks[k - 1].deadline, chunks[k - 1].duration) == (
            chunk.deadline,
            chunk.duration,
        )
        for g, (start, end, day) in enumerate(gaps):
            if twin and g < lowest:
                continue
            if used.get(day, 0) + chunk.duration > problem.cap:
                continue
            if not _gap_ok(start, end, [*members[g], chunk], problem.brk):
                continue
            members[g].append(chunk)
            used[day] = used.get(day, 0) + chunk.duration
            if search(k + 1, g):
                return True
            members[g].pop()
            used[day] -= chunk.duration
        return False

    return search(0, 0)
