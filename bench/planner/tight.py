"""``python -m bench.planner.tight [--count N] [--time-limit S]``: false "at risk" near load 1.0.

``N`` seeded instances (``generator.make_instance``, small and medium, loads 0.90–1.00 in steps
of 0.025, seeds 100…) where work and free time are nearly equal. For each: does the planner place
every chunk? If not, CP-SAT decides whether every chunk *can* be placed (``exact.fits_all``, the
same gap model as the suite with "every chunk placed" as a constraint). A false alarm is an
instance CP-SAT fills and the planner does not; its at-risk minutes are false at-risk minutes.
Prints JSON lines per instance and a summary.
"""

from __future__ import annotations

import argparse

from bench.planner.__main__ import emit
from bench.planner.exact import fits_all, model_of
from bench.planner.generator import make_instance
from planner.core import plan
from planner.problem import build_problem

LOADS = (0.9, 0.925, 0.95, 0.975, 1.0)
SIZES = ("small", "medium")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.planner.tight")
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--time-limit", type=float, default=20.0, help="CP-SAT seconds/instance")
    args = parser.parse_args()
    false_alarms = false_minutes = planner_all = proved_full = unknown = 0
    for k in range(args.count):
        size, load, seed = SIZES[k % 2], LOADS[(k // 2) % len(LOADS)], 100 + k
        inst = make_instance(size, seed, load)
        name = f"tight-{size}-s{seed}-l{load:.3f}"
        result = plan(inst.inputs, now=inst.now)
        model = model_of(build_problem(inst.inputs, inst.now))
        placed_all = len(result.tasks) == len(model.chunk_ids)
        emit("planner_placed_all", placed_all, "bool", name)
        emit("at_risk_minutes", result.at_risk_minutes, "min", name)
        if placed_all:
            planner_all += 1
            continue
        status = fits_all(model, args.time_limit)
        emit("cpsat_fits_all", status, "", name)
        if status in ("FEASIBLE", "OPTIMAL"):
            proved_full += 1
            false_alarms += 1
            false_minutes += result.at_risk_minutes
        elif status != "INFEASIBLE":
            unknown += 1
    emit("instances", args.count, "count", "tight")
    emit("planner_places_all", planner_all, "count", "tight")
    emit("cpsat_fills_where_planner_does_not", false_alarms, "count", "tight")
    emit("false_at_risk_minutes", false_minutes, "min", "tight")
    emit("cpsat_undecided", unknown, "count", "tight")


if __name__ == "__main__":
    main()
