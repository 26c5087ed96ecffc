"""``python -m bench.planner.wide [--seeds N] [--time-limit S]``: the exact baseline, widened.

Instances the suite does not have (issue 16 item 4): assessments over 2–3 topics of a course
whose topics form prerequisite chains, **two availability windows a day** (a morning and an
evening one), an **earliest start 07:30 and latest end 21:30** that clip them, and **all-day
events** (one day in five, seeded) besides 10–30-minute busy events. Sizes small (~50 chunks) and
medium (~200), loads from the window length (searched as in ``generator``).

The exact model (``exact.solve_exact`` with ``prerequisites=True``) adds, for every
prerequisite pair, *dependent placed ⇒ prerequisite placed* and *prerequisite's gap ≤
dependent's gap* (a relaxation: inside one gap the order is not modelled, so the bound stays
valid). Two objectives, each solved separately:

* ``priority`` — the planner's own ``Σ round(100·p)·d`` (as in the suite);
* ``grade`` — a student's: grade-weighted minutes placed before their deadlines,
  ``Σ weight_percent(assessment) · d`` (every placed block ends by its deadline).

Gap = (bound − planner) / bound with bound = max(CP-SAT bound, our value) per objective; also
against CP-SAT's best solution (of the relaxed model, so a lower estimate of the true gap). The
EDF baseline ignores prerequisites here, so its figure is not that of a valid plan.
"""

from __future__ import annotations

import argparse
import random
import statistics
from datetime import UTC, datetime, time, timedelta

from bench.planner.__main__ import emit
from bench.planner.exact import assignment, edf_greedy, model_of, objective, solve_exact
from bench.planner.generator import BREAK, NOW, PREFERRED, ZONE, _busy
from planner import (
    Assessment,
    AssessmentTopic,
    BusyInterval,
    Course,
    PlanInputs,
    Preferences,
    Topic,
    WeeklyWindow,
)
from planner.core import plan
from planner.problem import build_problem
from planner.vocabulary import AssessmentType, Difficulty, DifficultyCurve

DAYS = 14
SIZES = {"small": (12, 20), "medium": (48, 100)}  # assessments, busy events


def _prefs(window_min: int) -> Preferences:
    half = window_min // 2

    def at(minutes: int) -> time:
        return time(minutes // 60, minutes % 60)

    windows = []
    for day in range(7):
        windows.append(WeeklyWindow(day, at(7 * 60), at(min(7 * 60 + half, 13 * 60))))
        windows.append(WeeklyWindow(day, at(15 * 60), at(min(15 * 60 + half, 23 * 60))))
    return Preferences(
        max_hours_per_day=6.0,
        preferred_block_length_min=PREFERRED,
        break_length_min=BREAK,
        earliest_start_time=time(7, 30),
        latest_end_time=time(21, 30),
        weekly_availability=tuple(windows),
        difficulty_curve=DifficultyCurve.BALANCED,
        enable_spaced_repetition=False,
    )


def make_wide(size: str, seed: int, window_min: int) -> PlanInputs:
    n_assessments, n_busy = SIZES[size]
    rng = random.Random(f"wide:{size}:{seed}")
    courses = tuple(Course(f"c{i}", f"Course {i}", f"C{i}") for i in range(4))
    topics: list[Topic] = []
    for c in courses:
        for k in range(6):
            pres = (f"{c.id}t{k - 1}",) if k and rng.random() < 0.7 else ()
            diff = rng.choice(list(Difficulty))
            topics.append(Topic(f"{c.id}t{k}", c.id, f"topic {c.id}t{k}", diff, pres, k))
    assessments = []
    for i in range(n_assessments):
        course = rng.choice(courses)
        first = rng.randrange(0, 4)
        chosen = [f"{course.id}t{k}" for k in range(first, first + rng.randint(2, 3))]
        assessments.append(
            Assessment(
                f"a{i:03d}",
                course.id,
                f"assessment {i}",
                rng.choice(list(AssessmentType)),
                float(rng.choice((5, 10, 20, 30))),
                NOW + timedelta(minutes=rng.randrange(24 * 60, DAYS * 1440, 5)),
                rng.randrange(20, 60, 5),
                tuple(AssessmentTopic(t, None) for t in chosen),
            )
        )
    busy = list(_busy(rng, n_busy))
    for day in range(DAYS):
        if rng.random() < 0.2:
            local = (NOW + timedelta(days=day)).date()
            start = datetime.combine(local, time(0), tzinfo=UTC)
            busy.append(BusyInterval(start, start + timedelta(days=1), all_day=True))
    return PlanInputs(
        ZONE,
        _prefs(window_min),
        courses,
        tuple(topics),
        tuple(assessments),
        (),
        (),
        tuple(busy),
        DAYS,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.planner.wide")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    gaps: dict[str, list[float]] = {"priority": [], "grade": []}
    edf_gaps: dict[str, list[float]] = {"priority": [], "grade": []}
    # CP-SAT's best *solution* is a relaxation's too, so this is a lower estimate of the true gap
    primal: dict[str, list[float]] = {"priority": [], "grade": []}
    for size in SIZES:
        for seed in range(args.seeds):
            window = (4 + seed % 4) * 60  # 4–7 h of windows a day before clipping
            inputs = make_wide(size, seed, window)
            name = f"wide-{size}-s{seed}"
            result = plan(inputs, now=NOW)
            problem = build_problem(inputs, NOW)
            model = model_of(problem)
            starts = {t.id: int(t.scheduled_start.timestamp()) // 60 for t in result.tasks}
            edf = edf_greedy(problem)
            emit("chunks", len(model.chunk_ids), "count", name)
            emit("prerequisite_pairs", len(model.prereqs), "count", name)
            emit("at_risk_minutes", result.at_risk_minutes, "min", name)
            for kind in ("priority", "grade"):
                ours = objective(model, set(starts), kind)
                exact = solve_exact(
                    model,
                    assignment(model, starts),
                    args.time_limit,
                    kind=kind,
                    prerequisites=True,
                )
                bound = max(exact.bound, ours)
                gap = (bound - ours) / bound if bound else 0.0
                edf_gap = (bound - objective(model, edf, kind)) / bound if bound else 0.0
                gaps[kind].append(gap)
                edf_gaps[kind].append(edf_gap)
                best = max(exact.objective, ours)
                primal[kind].append((best - ours) / best if best else 0.0)
                emit(f"gap_planner_vs_cpsat_best_{kind}", round(primal[kind][-1], 5), "ratio", name)
                emit(f"cpsat_status_{kind}", exact.status, "", name)
                emit(f"gap_planner_{kind}", round(gap, 5), "ratio", name)
                emit(f"gap_edf_{kind}", round(edf_gap, 5), "ratio", name)
    for kind in gaps:
        emit(f"gap_planner_{kind}_mean", round(statistics.fmean(gaps[kind]), 5), "ratio", "wide")
        emit(f"gap_planner_{kind}_max", round(max(gaps[kind]), 5), "ratio", "wide")
        emit(f"gap_edf_{kind}_mean", round(statistics.fmean(edf_gaps[kind]), 5), "ratio", "wide")
        mean_primal = round(statistics.fmean(primal[kind]), 5)
        emit(f"gap_planner_vs_cpsat_best_{kind}_mean", mean_primal, "ratio", "wide")


if __name__ == "__main__":
    main()
