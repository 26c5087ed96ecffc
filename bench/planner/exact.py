"""The shared chunk/gap abstraction, the exact CP-SAT gap-assignment model and a greedy baseline.

Abstraction (``Model``), built from ``planner.problem.build_problem`` — the very chunks and free
segments the planner places into:

* a *gap* is a free segment ``[a, e)`` on one local day; a *chunk* has a duration ``d``, a
  deadline ``D``, a release ``R`` and a priority ``p``;
* the value of a plan is ``Σ p × d`` over placed chunks — the same number for the planner, the
  greedy baseline and CP-SAT;
* a block costs ``d + break`` of its gap, a gap offers ``(e − a) + break`` (k blocks in one gap
  need ``Σd + (k − 1)·break``), so breaks are exact.

CP-SAT model (issue 4): a boolean per eligible (chunk, gap) pair — eligible when
``max(a, R) + d ≤ min(e, D)``; at most one gap per chunk; ``Σ (d + break)·x ≤ (e − a) + break``
per gap; for every deadline ``D`` that falls inside a gap, the chunks due by ``D`` fit before it:
``Σ_{D_c ≤ D} (d + break)·x ≤ D − a + break``; and the per-day cap ``Σ d·x ≤ cap − used(day)``
(the planner obeys it, so the bound must too). Hinted with the planner's assignment; the
objective is ``Σ round(100·p)·d·x``. Prerequisites and release times after a gap's start are not
modelled (the instances have none), so the model is a relaxation of what the planner must obey
and its bound is a valid upper bound.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from planner.placement import State
from planner.problem import PlacementProblem


@dataclass(frozen=True, slots=True)
class Model:
    chunk_ids: tuple[str, ...]
    duration: tuple[int, ...]
    deadline: tuple[int, ...]
    release: tuple[int, ...]
    weight: tuple[int, ...]  # round(100 × priority)
    gaps: tuple[tuple[int, int, int], ...]  # (start, end, day)
    brk: int
    cap_left: dict[int, int]


def model_of(problem: PlacementProblem) -> Model:
    infos = [i for i in problem.chunks if not i.after_horizon]
    used = dict(problem.used)
    days = sorted({s.day for s in problem.segments})
    return Model(
        chunk_ids=tuple(i.chunk.id for i in infos),
        duration=tuple(i.chunk.duration for i in infos),
        deadline=tuple(i.chunk.deadline for i in infos),
        release=tuple(i.chunk.release for i in infos),
        weight=tuple(round(100 * i.chunk.priority) for i in infos),
        gaps=tuple((s.start, s.end, s.day) for s in problem.segments),
        brk=problem.brk,
        cap_left={d: problem.cap - used.get(d, 0) for d in days},
    )


def objective(model: Model, placed: set[str]) -> int:
    return sum(
        w * d
        for cid, w, d in zip(model.chunk_ids, model.weight, model.duration, strict=True)
        if cid in placed
    )


def assignment(model: Model, starts: dict[str, int]) -> dict[int, int]:
    """Chunk index → gap index for a placement given as chunk id → start minute."""
    gap_starts = [g[0] for g in model.gaps]
    out: dict[int, int] = {}
    for c, cid in enumerate(model.chunk_ids):
        if cid in starts:
            out[c] = bisect_right(gap_starts, starts[cid]) - 1
    return out


@dataclass(frozen=True, slots=True)
class ExactResult:
    objective: int
    bound: int
    status: str
    placed_all: bool
    seconds: float


def solve_exact(
    model: Model, hint: dict[int, int], time_limit: float, workers: int = 2
) -> ExactResult:
    from ortools.sat.python import cp_model  # bench-only dependency

    m = cp_model.CpModel()
    brk = model.brk
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    by_gap: dict[int, list[int]] = {}
    for c in range(len(model.chunk_ids)):
        d, dl, rel = model.duration[c], model.deadline[c], model.release[c]
        for g, (a, e, _day) in enumerate(model.gaps):
            if max(a, rel) + d <= min(e, dl):
                x[c, g] = m.new_bool_var(f"x{c}_{g}")
                by_gap.setdefault(g, []).append(c)
    for c in range(len(model.chunk_ids)):
        row = [x[c, g] for g in range(len(model.gaps)) if (c, g) in x]
        if len(row) > 1:
            m.add_at_most_one(row)
    by_day: dict[int, list[tuple[int, int]]] = {}
    for g, (a, e, day) in enumerate(model.gaps):
        members = by_gap.get(g, [])
        if not members:
            continue
        m.add(sum((model.duration[c] + brk) * x[c, g] for c in members) <= e - a + brk)
        for cut in sorted({model.deadline[c] for c in members if a < model.deadline[c] < e}):
            due_by = [c for c in members if model.deadline[c] <= cut]
            m.add(sum((model.duration[c] + brk) * x[c, g] for c in due_by) <= cut - a + brk)
        by_day.setdefault(day, []).extend((c, g) for c in members)
    for day, pairs in by_day.items():
        cap_left = model.cap_left.get(day, 0)
        if sum(model.duration[c] for c, _ in pairs) > cap_left:
            m.add(sum(model.duration[c] * x[c, g] for c, g in pairs) <= cap_left)
    m.maximize(sum(model.weight[c] * model.duration[c] * var for (c, _g), var in x.items()))
    for (c, g), var in x.items():
        m.add_hint(var, 1 if hint.get(c) == g else 0)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    status = solver.solve(m)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(0, 0, name, False, solver.wall_time)
    value = round(solver.objective_value)
    placed = {c for (c, _g), var in x.items() if solver.value(var)}
    return ExactResult(
        value,
        round(solver.best_objective_bound),
        name,
        len(placed) == len(model.chunk_ids),
        solver.wall_time,
    )


def _eligible(model: Model) -> list[tuple[int, int]]:
    pairs = []
    for c in range(len(model.chunk_ids)):
        d, dl, rel = model.duration[c], model.deadline[c], model.release[c]
        for g, (a, e, _day) in enumerate(model.gaps):
            if max(a, rel) + d <= min(e, dl):
                pairs.append((c, g))
    return pairs


def lp_bound(model: Model) -> float:
    """The LP relaxation of the same gap-assignment model (GLOP): another valid upper bound.

    CP-SAT's own bound on the heavy instances moves slowly (its LP worker needs most of the time
    limit); the relaxation of the very same constraints is solved directly here so the reported
    gap is not inflated by a bound that has not converged.
    """
    from ortools.linear_solver import pywraplp  # bench-only dependency

    solver = pywraplp.Solver.CreateSolver("GLOP")
    brk = model.brk
    pairs = _eligible(model)
    x = {p: solver.NumVar(0.0, 1.0, "") for p in pairs}
    by_chunk: dict[int, list[int]] = {}
    by_gap: dict[int, list[int]] = {}
    for c, g in pairs:
        by_chunk.setdefault(c, []).append(g)
        by_gap.setdefault(g, []).append(c)
    for c, gs in by_chunk.items():
        solver.Add(sum(x[c, g] for g in gs) <= 1)
    by_day: dict[int, list[tuple[int, int]]] = {}
    for g, members in by_gap.items():
        a, e, day = model.gaps[g]
        solver.Add(sum((model.duration[c] + brk) * x[c, g] for c in members) <= e - a + brk)
        for cut in sorted({model.deadline[c] for c in members if a < model.deadline[c] < e}):
            due_by = [c for c in members if model.deadline[c] <= cut]
            solver.Add(sum((model.duration[c] + brk) * x[c, g] for c in due_by) <= cut - a + brk)
        by_day.setdefault(day, []).extend((c, g) for c in members)
    for day, day_pairs in by_day.items():
        solver.Add(
            sum(model.duration[c] * x[c, g] for c, g in day_pairs) <= model.cap_left.get(day, 0)
        )
    solver.Maximize(sum(model.weight[c] * model.duration[c] * var for (c, _g), var in x.items()))
    status = solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        return float("inf")
    return float(solver.Objective().Value())


def edf_greedy(problem: PlacementProblem) -> set[str]:
    """Earliest-deadline-first baseline: by deadline (then priority), earliest fit."""
    state = State.build(list(problem.segments), dict(problem.used), problem.cap, problem.brk)
    infos = sorted(
        (i for i in problem.chunks if not i.after_horizon),
        key=lambda i: (i.chunk.deadline, -i.chunk.priority, i.chunk.id),
    )
    placed: set[str] = set()
    for info in infos:
        chunk = info.chunk
        idx, start = state.earliest(chunk.duration, chunk.release, chunk.deadline)
        if idx >= 0:
            state.occupy(idx, start, chunk.duration)
            placed.add(chunk.id)
    return placed
