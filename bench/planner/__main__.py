"""``python -m bench.planner [--time-limit S] [--seeds N] [--repeat R] [--sizes ...]``.

Prints JSON lines ``{"metric", "value", "unit", "instance"}``: planner wall time p50/p95 per size
(``plan()`` end to end, free time included), and per instance the planner's, the EDF greedy's
and CP-SAT's objective, CP-SAT's bound and the optimality gaps ``(bound − x) / bound``; then
mean/max gaps over the suite and whether the planner placed everything whenever CP-SAT did.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from bench.planner.exact import (
    assignment,
    edf_greedy,
    lp_bound,
    model_of,
    objective,
    solve_exact,
)
from bench.planner.generator import SIZES, suite
from planner.core import build_problem, plan


def emit(metric: str, value: float | int | str | bool, unit: str, instance: str) -> None:
    print(
        json.dumps({"metric": metric, "value": value, "unit": unit, "instance": instance}),
        flush=True,
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[rank]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.planner")
    parser.add_argument("--time-limit", type=float, default=60.0, help="CP-SAT seconds/instance")
    parser.add_argument("--seeds", type=int, default=8, help="instances per size (3×N total)")
    parser.add_argument("--repeat", type=int, default=15, help="timed plan() runs per instance")
    parser.add_argument("--sizes", nargs="*", default=list(SIZES))
    parser.add_argument("--no-exact", action="store_true", help="timings only")
    args = parser.parse_args()

    instances = [i for i in suite(args.seeds) if i.size in args.sizes]
    timings: dict[str, list[float]] = {}
    # CPU time too: on a shared 2-core machine wall time also measures the neighbours
    cpu_timings: dict[str, list[float]] = {}
    gaps: list[float] = []
    edf_gaps: list[float] = []
    primal_gaps: list[float] = []
    all_ok = True
    for inst in instances:
        plan(inst.inputs, now=inst.now)  # warm caches (zoneinfo) once
        times = []
        cpu = []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            result = plan(inst.inputs, now=inst.now)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        timings.setdefault(inst.size, []).extend(times)
        cpu_timings.setdefault(inst.size, []).extend(cpu)
        problem = build_problem(inst.inputs, inst.now)
        model = model_of(problem)
        starts = {t.id: int(t.scheduled_start.timestamp()) // 60 for t in result.tasks}
        ours = objective(model, set(starts))
        edf = objective(model, edf_greedy(problem))
        emit("plan_ms_median", round(statistics.median(times), 2), "ms", inst.name)
        emit("chunks", len(model.chunk_ids), "count", inst.name)
        emit("placed_minutes", result.placed_minutes, "min", inst.name)
        emit("at_risk_minutes", result.at_risk_minutes, "min", inst.name)
        emit("objective_planner", ours, "priority*min*100", inst.name)
        emit("objective_edf", edf, "priority*min*100", inst.name)
        if args.no_exact:
            continue
        exact = solve_exact(model, assignment(model, starts), args.time_limit)
        total = objective(model, set(model.chunk_ids))
        lp = lp_bound(model)
        known = exact.status in ("OPTIMAL", "FEASIBLE")
        cp_bound = exact.bound if known else total
        # every bound here is a valid upper bound of the same model; use the tightest
        bound = max(min(cp_bound, lp, total), exact.objective, ours)
        gap = (bound - ours) / bound if bound else 0.0
        edf_gap = (bound - edf) / bound if bound else 0.0
        best = max(exact.objective, ours)
        gaps.append(gap)
        edf_gaps.append(edf_gap)
        primal_gaps.append((best - ours) / best if best else 0.0)
        emit("lp_bound", round(lp), "priority*min*100", inst.name)
        emit("total_value", total, "priority*min*100", inst.name)
        emit("bound_used", bound, "priority*min*100", inst.name)
        emit(
            "gap_planner_vs_cpsat_bound",
            round((cp_bound - ours) / cp_bound, 5) if cp_bound else 0.0,
            "ratio",
            inst.name,
        )
        emit("gap_planner_vs_cpsat_best", round(primal_gaps[-1], 5), "ratio", inst.name)
        planner_all = len(result.tasks) == len(model.chunk_ids)
        if exact.placed_all and not planner_all:
            all_ok = False
        emit("objective_cpsat", exact.objective, "priority*min*100", inst.name)
        emit("bound_cpsat", exact.bound, "priority*min*100", inst.name)
        emit("cpsat_status", exact.status, "", inst.name)
        emit("cpsat_seconds", round(exact.seconds, 2), "s", inst.name)
        emit("gap_planner", round(gap, 5), "ratio", inst.name)
        emit("gap_edf", round(edf_gap, 5), "ratio", inst.name)
        emit("cpsat_placed_all", exact.placed_all, "bool", inst.name)
        emit("planner_placed_all", planner_all, "bool", inst.name)
    for size, values in timings.items():
        emit("plan_ms_p50", round(percentile(values, 0.5), 2), "ms", size)
        emit("plan_ms_p95", round(percentile(values, 0.95), 2), "ms", size)
        cpu_values = cpu_timings[size]
        emit("plan_cpu_ms_p50", round(percentile(cpu_values, 0.5), 2), "ms", size)
        emit("plan_cpu_ms_p95", round(percentile(cpu_values, 0.95), 2), "ms", size)
    if gaps:
        emit("gap_planner_mean", round(statistics.fmean(gaps), 5), "ratio", "suite")
        emit("gap_planner_max", round(max(gaps), 5), "ratio", "suite")
        emit("gap_edf_mean", round(statistics.fmean(edf_gaps), 5), "ratio", "suite")
        emit("gap_edf_max", round(max(edf_gaps), 5), "ratio", "suite")
        emit(
            "gap_planner_vs_cpsat_best_mean",
            round(statistics.fmean(primal_gaps), 5),
            "ratio",
            "suite",
        )
        emit("gap_planner_vs_cpsat_best_max", round(max(primal_gaps), 5), "ratio", "suite")
        emit("planner_places_all_when_cpsat_does", all_ok, "bool", "suite")


if __name__ == "__main__":
    main()
