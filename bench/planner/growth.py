"""``python -m bench.planner.growth [--repeat R]``: CPU time of ``plan()`` as the work grows.

Instances of 800, 2,000 and 5,000 chunks (each 2.5× the last) over 28, 70 and 175 days (28.6
chunks a day, so the free time per day stays the same as the horizon grows), busy events 3 per
5 chunks, at loads 0.9 and 1.1 (a little more work than fits, and clearly more — the repair
path). CPU time per ``plan()`` (median of ``R`` runs) and the ratio between neighbouring sizes.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.planner.__main__ import emit
from bench.planner.generator import make_instance
from planner.core import plan

STEPS = ((800, 28), (2000, 70), (5000, 175))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.planner.growth")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loads", type=float, nargs="*", default=[0.9, 1.1])
    args = parser.parse_args()
    for load in args.loads:
        previous = 0.0
        for chunks, days in STEPS:
            inst = make_instance("growth", 0, load, chunks=chunks, days=days)
            name = f"growth-{chunks}-l{load}"
            cpu = []
            for _ in range(args.repeat):
                c0 = time.process_time()
                result = plan(inst.inputs, now=inst.now)
                cpu.append((time.process_time() - c0) * 1000)
            median = statistics.median(cpu)
            emit("plan_cpu_ms_median", round(median, 1), "ms", name)
            emit("at_risk_minutes", result.at_risk_minutes, "min", name)
            if previous:
                emit("cpu_ratio_vs_previous", round(median / previous, 2), "ratio", name)
            previous = median


if __name__ == "__main__":
    main()
