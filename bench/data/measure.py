"""The four measurements of issue 3 ("Performance"), each timed around the real project call.

Every sample picks a random user. Each measurement starts with unrecorded warm-up samples (the
first queries of a pooled connection prepare nothing and fill caches; production workers are
warm). Latencies are wall-clock milliseconds around the call, connection checkout included
(the engine pings a pooled connection before handing it out, as in production).
"""

from __future__ import annotations

import math
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.enums import Difficulty
from db.models import Course, MasteryRecord, PerformanceRecord, Topic, User
from db.plan_inputs import load_plan_inputs
from db.session import session_scope
from planner.lifecycle import TaskStatus
from planner.mastery import recompute_mastery
from services.history import TaskFilter, task_history
from services.performance import recompute_topic_mastery, record_performance, topic_history
from services.schemas import PerformanceIn

Metric = dict[str, Any]
WARMUP = 50
WRITERS = 8
MASTERY_TOPICS = 100


@dataclass(frozen=True, slots=True)
class Subject:
    id: uuid.UUID
    timezone: str
    course_codes: tuple[str, ...]
    topics_by_course: tuple[tuple[uuid.UUID, tuple[uuid.UUID, ...]], ...]

    @property
    def topics(self) -> list[uuid.UUID]:
        return [t for _, topics in self.topics_by_course for t in topics]


def load_subjects(engine: Engine) -> list[Subject]:
    """Users with their course codes and topics, read back from the database."""
    with Session(engine) as s:
        courses: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
        for course_id, user_id, code in s.execute(
            select(Course.id, Course.user_id, Course.code).order_by(Course.code)
        ):
            courses.setdefault(user_id, []).append((course_id, code))
        topics: dict[uuid.UUID, list[uuid.UUID]] = {}
        for topic_id, course_id in s.execute(
            select(Topic.id, Topic.course_id).order_by(Topic.course_id, Topic.order_index)
        ):
            topics.setdefault(course_id, []).append(topic_id)
        return [
            Subject(
                user_id,
                zone,
                tuple(code for _, code in courses.get(user_id, [])),
                tuple((c, tuple(topics.get(c, []))) for c, _ in courses.get(user_id, [])),
            )
            for user_id, zone in s.execute(select(User.id, User.timezone).order_by(User.email))
        ]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1): the smallest value with ≥ q of the samples ≤ it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def latency_metrics(name: str, values: list[float]) -> list[Metric]:
    return [
        {
            "metric": f"{name}.{label}",
            "value": round(percentile(values, q), 3),
            "unit": "ms",
            "n": len(values),
        }
        for label, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
    ]


def _timed(call: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = call()
    return (time.perf_counter() - t0) * 1000, result


# --- 1. plan load ---------------------------------------------------------------------------------


def plan_load(
    engine: Engine, subjects: list[Subject], now: datetime, samples: int, rng: random.Random
) -> list[Metric]:
    times: list[float] = []
    tasks_loaded: list[int] = []
    for n in range(WARMUP + samples):
        subject = rng.choice(subjects)
        with Session(engine) as s:
            ms, inputs = _timed(lambda: load_plan_inputs(s, subject.id, now=now))  # noqa: B023
        if n >= WARMUP:
            times.append(ms)
            tasks_loaded.append(len(inputs.existing_tasks))  # type: ignore[attr-defined]
    return [
        *latency_metrics("plan_load", times),
        {
            "metric": "plan_load.tasks_per_load_mean",
            "value": round(sum(tasks_loaded) / len(tasks_loaded), 1),
            "unit": "rows",
            "n": len(tasks_loaded),
        },
    ]


# --- 2. history query -----------------------------------------------------------------------------


def history_filters(subject: Subject, now: datetime, rng: random.Random) -> dict[str, TaskFilter]:
    """One filter of each kind the CLI offers, on this subject's data."""
    since = now + timedelta(days=rng.randint(-180, 150))
    until = since + timedelta(days=30)
    status = TaskStatus.COMPLETED if until <= now else TaskStatus.SCHEDULED
    return {
        "date_status": TaskFilter(since=since, until=until, status=status),
        "course": TaskFilter(course_code=rng.choice(subject.course_codes)),
        "difficulty": TaskFilter(difficulty=rng.choice(list(Difficulty))),
    }


def history_query(
    engine: Engine,
    subjects: list[Subject],
    now: datetime,
    samples: int,
    rng: random.Random,
    *,
    limit: int | None = None,
) -> list[Metric]:
    name = "history_query" if limit is None else f"history_query_limit{limit}"
    kinds = ("date_status", "course", "difficulty")
    times: dict[str, list[float]] = {k: [] for k in kinds}
    rows: list[int] = []
    for n in range(WARMUP + samples):
        subject = rng.choice(subjects)
        kind = kinds[n % len(kinds)]
        flt = history_filters(subject, now, rng)[kind]
        if limit is not None:
            flt = TaskFilter(**{**_fields(flt), "limit": limit})
        with Session(engine) as s:
            user = s.get(User, subject.id)
            assert user is not None
            ms, result = _timed(lambda: task_history(s, user, flt))  # noqa: B023
        if n >= WARMUP:
            times[kind].append(ms)
            rows.append(len(result))  # type: ignore[arg-type]
    everything = [t for k in kinds for t in times[k]]
    metrics = latency_metrics(name, everything)
    for kind in kinds:
        metrics += latency_metrics(f"{name}.{kind}", times[kind])
    metrics.append(
        {
            "metric": f"{name}.rows_mean",
            "value": round(sum(rows) / len(rows), 1),
            "unit": "rows",
            "n": len(rows),
        }
    )
    return metrics


def _fields(flt: TaskFilter) -> dict[str, Any]:
    return {name: getattr(flt, name) for name in TaskFilter.__slots__}


# --- 3. mastery recompute -------------------------------------------------------------------------


def mastery_recompute(
    engine: Engine, subjects: list[Subject], now: datetime, samples: int, rng: random.Random
) -> list[Metric]:
    times: list[float] = []
    warmup = min(WARMUP, max(1, samples // 10))
    for n in range(warmup + samples):
        subject = rng.choice(subjects)
        topics = subject.topics[:MASTERY_TOPICS]
        with Session(engine) as s:
            user = s.get(User, subject.id)
            assert user is not None

            def recompute_all(s: Session = s, user: User = user) -> None:
                for topic_id in topics:  # noqa: B023
                    recompute_topic_mastery(s, user, topic_id, now=now)
                s.commit()

            ms, _ = _timed(recompute_all)
        if n >= warmup:
            times.append(ms * MASTERY_TOPICS / max(1, len(topics)))
    return latency_metrics(f"mastery_recompute_{MASTERY_TOPICS}_topics", times)


# --- 4. concurrent writers ------------------------------------------------------------------------


def concurrent_writers(
    engine: Engine, subject: Subject, now: datetime, iterations: int
) -> list[Metric]:
    """WRITERS threads record results for the same user and topic; then prove nothing was lost."""
    course_id, course_topics = subject.topics_by_course[0]
    topic_id = course_topics[0]
    barrier = threading.Barrier(WRITERS)
    latencies: list[list[float]] = [[] for _ in range(WRITERS)]
    failures: list[BaseException] = []
    # Generated history is at least an hour old: these instants cannot collide with it (a
    # record with the same completed_at would be deduplicated as a re-run, not a new result).
    base = now - timedelta(minutes=30)

    def writer(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            for i in range(iterations):
                at = base - timedelta(microseconds=index * iterations + i + 1)
                correct = (index * 7 + i * 3) % 11
                t0 = time.perf_counter()
                with session_scope(engine) as s:
                    user = s.get(User, subject.id)
                    assert user is not None
                    record_performance(
                        s,
                        user,
                        course_id=course_id,
                        result=PerformanceIn(
                            score=correct, max_score=10, time_spent_min=15, completed_at=at
                        ),
                        topic_breakdown={topic_id: {"correct": correct, "total": 10}},
                        assessment=None,
                        now=now,
                    )
                latencies[index].append((time.perf_counter() - t0) * 1000)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    if failures:
        raise RuntimeError(f"{len(failures)} writer(s) failed") from failures[0]
    everything = [ms for per_thread in latencies for ms in per_thread]
    return [
        {
            "metric": "concurrent_writers.throughput",
            "value": round(len(everything) / wall, 1),
            "unit": "records/s",
            "n": len(everything),
        },
        *latency_metrics("concurrent_writers.latency", everything),
        {
            "metric": "lost_updates",
            "value": lost_updates(engine, subject, topic_id, now),
            "unit": "count",
            "n": len(everything),
        },
    ]


def lost_updates(engine: Engine, subject: Subject, topic_id: uuid.UUID, now: datetime) -> int:
    """Results missing from the topic's mastery row: its counters must count every stored result
    for the topic, and its score must equal the pure fold over the stored history (a score
    mismatch with equal counters still counts as one lost update)."""
    key = str(topic_id)
    with Session(engine) as s:
        row = s.scalars(
            select(MasteryRecord).where(
                MasteryRecord.user_id == subject.id, MasteryRecord.topic_id == topic_id
            )
        ).one()
        stored = sum(
            1
            for breakdown in s.scalars(
                select(PerformanceRecord.topic_breakdown).where(
                    PerformanceRecord.user_id == subject.id
                )
            )
            if key in breakdown
        )
        expected = recompute_mastery(
            topic_history(s, subject.id, topic_id), now=now, tz=ZoneInfo(subject.timezone)
        )
    counted = row.practice_count + row.quiz_count
    missing = abs(stored - counted)
    if expected is None or abs(row.mastery_score - round(expected.mastery_score, 6)) > 1e-6:
        missing = max(missing, 1)
    return missing
