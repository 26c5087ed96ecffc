"""Seeded benchmark instances for the planner.

An instance is a ``PlanInputs`` (so the planner is timed end to end, free-time computation
included) built so that its chunk count and load are controlled:

* ``n_chunks`` chunks: one-topic assessments are added until the estimator (``planner.estimate``,
  used directly so the count is exact) yields exactly that many chunks (1–3 per assessment, the
  last one sized to hit the count); dues spread uniformly over the 14-day horizon on the
  5-minute grid;
* ``n_busy`` busy events of 10–30 minutes (5-minute resolution) at any time of day;
* availability is one window per day starting at 00:00 local whose length is searched
  (5-minute steps)
  so that ``Σ(chunk + break) / Σ(free segment + break) ≈ load`` (a block costs its break);
* the daily cap is 1.3 × the mean free minutes per day (rounded up to 30 min), so it binds
  on the busiest days only.

Sizes per issue 4: small 50 chunks / 20 busy, medium 200 / 100, heavy 500 / 300.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from planner import (
    Assessment,
    AssessmentTopic,
    BusyInterval,
    Course,
    Mastery,
    PlanInputs,
    Preferences,
    Topic,
    WeeklyWindow,
)
from planner import estimate as est
from planner.freetime import Segment
from planner.problem import build_problem
from planner.vocabulary import AssessmentType, Difficulty, DifficultyCurve

SIZES: dict[str, tuple[int, int]] = {"small": (50, 20), "medium": (200, 100), "heavy": (500, 300)}
LOADS = (0.8, 0.9, 1.0, 1.1, 1.2)
ZONE = "Europe/Berlin"
NOW = datetime(2026, 3, 23, 5, 0, tzinfo=UTC)  # a Monday; the horizon spans the DST change
HORIZON_DAYS = 14
PREFERRED = 20
BREAK = 5


@dataclass(frozen=True, slots=True)
class Instance:
    name: str
    size: str
    seed: int
    load: float
    inputs: PlanInputs
    now: datetime


def _prefs(window_min: int, cap_hours: float) -> Preferences:
    start = time(0, 0)
    end_total = window_min
    end = time(0, 0) if end_total >= 24 * 60 else time(end_total // 60, end_total % 60)
    windows = tuple(WeeklyWindow(day, start, end) for day in range(7))
    return Preferences(
        max_hours_per_day=cap_hours,
        preferred_block_length_min=PREFERRED,
        break_length_min=BREAK,
        earliest_start_time=time(0, 0),
        latest_end_time=time(0, 0),
        weekly_availability=windows,
        difficulty_curve=DifficultyCurve.BALANCED,
    )


def _assessments(
    rng: random.Random, n_chunks: int
) -> tuple[list[Assessment], list[Topic], list[Mastery]]:
    assessments: list[Assessment] = []
    topics: list[Topic] = []
    mastery: list[Mastery] = []
    kinds: tuple[AssessmentType, ...] = (
        AssessmentType.QUIZ,
        AssessmentType.ASSIGNMENT,
        AssessmentType.MIDTERM,
        AssessmentType.FINAL,
        AssessmentType.PROJECT,
    )
    diffs: tuple[Difficulty, ...] = (
        Difficulty.EASY,
        Difficulty.MEDIUM,
        Difficulty.HARD,
        Difficulty.EXAM_LEVEL,
    )
    count = 0
    index = 0
    while count < n_chunks:
        want = min(rng.randint(1, 3), n_chunks - count)
        kind = rng.choice(kinds)
        diff = rng.choice(diffs)
        weight = float(rng.choice((5, 10, 15, 20, 25, 30, 40)))
        score = float(rng.randint(0, 95))
        m = est.effective_mastery(Mastery("x", score, 10.0))
        # pick an estimated duration whose estimate yields exactly ``want`` chunks
        target_minutes = want * PREFERRED
        per_min = (
            est.TYPE_MULTIPLIER[kind]
            * est.weight_factor(weight)
            * est.DIFFICULTY_FACTOR[diff]
            * est.gap_factor(kind, m)
        )
        duration = max(1, round(target_minutes / per_min))
        a_id = f"a{index:04d}"
        t_id = f"t{index:04d}"
        due_min = rng.randrange(24 * 60, HORIZON_DAYS * 24 * 60, 5)
        due = NOW + timedelta(minutes=due_min)
        assessment = Assessment(
            a_id,
            f"c{index % 4}",
            f"{kind} {index}",
            kind,
            weight,
            due,
            duration,
            (AssessmentTopic(t_id, 100.0),),
        )
        raw = est.raw_topic_minutes(assessment, 1.0, diff, m)
        got = len(est.chunk_sizes(max(15, est.ceil5(raw)), PREFERRED))
        if got != want or got == 0:
            continue
        assessments.append(assessment)
        topics.append(Topic(t_id, f"c{index % 4}", f"topic {index}", diff, (), index))
        mastery.append(Mastery(t_id, score, 10.0))
        count += got
        index += 1
    return assessments, topics, mastery


def _busy(rng: random.Random, n_busy: int) -> list[BusyInterval]:
    out = []
    for _ in range(n_busy):
        day = rng.randrange(HORIZON_DAYS)
        start = NOW + timedelta(days=day, minutes=rng.randrange(0, 24 * 60, 5))
        length = rng.randrange(10, 35, 5)
        out.append(BusyInterval(start, start + timedelta(minutes=length)))
    return out


def make_instance(size: str, seed: int, load: float) -> Instance:
    n_chunks, n_busy = SIZES[size]
    rng = random.Random(f"{size}:{seed}:{load}")
    assessments, topics, mastery = _assessments(rng, n_chunks)
    busy = _busy(rng, n_busy)
    courses = tuple(Course(f"c{i}", f"Course {i}", f"C{i}") for i in range(4))

    def inputs(window_min: int, cap_hours: float) -> PlanInputs:
        return PlanInputs(
            timezone=ZONE,
            preferences=_prefs(window_min, cap_hours),
            courses=courses,
            topics=tuple(topics),
            assessments=tuple(assessments),
            mastery=tuple(mastery),
            busy=tuple(busy),
            horizon_days=HORIZON_DAYS,
        )

    probe = build_problem(inputs(24 * 60, 24.0), NOW)
    # load counts the break each block needs: Σ(d + break) / Σ(segment + break)
    chunk_minutes = sum(c.chunk.duration + BREAK for c in probe.chunks)
    want_free = chunk_minutes / load

    def free_of(problem_segments: tuple[Segment, ...]) -> int:
        return sum(s.length + BREAK for s in problem_segments)

    lo, hi = 3, 24 * 12  # window length in 5-minute units
    while lo < hi:  # smallest window with free minutes >= want_free
        mid = (lo + hi) // 2
        free = free_of(build_problem(inputs(mid * 5, 24.0), NOW).segments)
        if free >= want_free:
            hi = mid
        else:
            lo = mid + 1
    hi *= 5
    final_free = sum(s.length for s in build_problem(inputs(hi, 24.0), NOW).segments)
    cap = math.ceil(1.3 * final_free / HORIZON_DAYS / 30) * 30 / 60
    name = f"{size}-s{seed}-l{load:.1f}"
    return Instance(name, size, seed, load, inputs(hi, cap), NOW)


def suite(seeds: int = 8) -> list[Instance]:
    """The fixed suite: ``seeds`` instances per size, loads cycling 0.8..1.2 (24 by default)."""
    out = []
    for size in SIZES:
        for seed in range(seeds):
            out.append(make_instance(size, seed, LOADS[seed % len(LOADS)]))
    return out
