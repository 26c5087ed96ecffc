"""A realistic, seeded dataset for the data-layer benchmark, loaded with PostgreSQL COPY.

Shape (per user, on average): preferences, ``COURSES_PER_USER`` courses, ``topics_per_user``
topics spread over them (ordered, each with up to two prerequisites among the earlier topics of
its course: a DAG), ``ASSESSMENTS_PER_COURSE`` assessments per course (weights summing to 100,
due over the semester around ``now``, 1–4 topics each), ``tasks / users`` study tasks (±50 % per
user), ``perf / users`` performance records and a mastery row for every topic those records
touched.

Tasks are scheduled uniformly over ``now ± 6 months`` and their status follows their time, as the
lifecycle would leave it: past tasks are completed (70 %), skipped (10 %), expired (15 %) or still
in progress (5 %); future ones are scheduled (80 %) or pending (20 %). ``updated_at`` is the
moment of the last change (completion, or planning for future work), so the planner's
"recently finished" window selects what it would in production.

Rows of all users are interleaved in insertion order (each task picks its user at random), as
they would be after months of use: a user's tasks are spread over the whole heap, not packed in
a few pages, which is what makes the per-user queries honest.

Everything goes through ``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy``): UUIDs are generated
here, JSON columns are serialised here, encrypted columns stay NULL.
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import psycopg
from sqlalchemy import Table, create_engine
from sqlalchemy.engine import make_url

from db.models import (
    Assessment,
    AssessmentTopic,
    Base,
    Course,
    MasteryRecord,
    PerformanceRecord,
    StudyPath,
    StudyTask,
    Topic,
    User,
    UserPreferences,
)

COURSES_PER_USER = 4
ASSESSMENTS_PER_COURSE = 8
HALF_YEAR = timedelta(days=182)
ZONES = ("Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "UTC")
DIFFICULTIES = ("easy", "medium", "hard", "exam_level")
DIFFICULTY_WEIGHTS = (3, 5, 3, 1)
TASK_TYPES = ("reading", "problem_set", "quiz", "review", "project", "flashcards")
PAST_STATUSES = (("completed", 70), ("skipped", 10), ("expired", 15), ("in_progress", 5))
FUTURE_STATUSES = (("scheduled", 80), ("pending", 20))
# (type, weight %) per course: eight assessments summing to 100.
ASSESSMENT_PLAN = (
    ("quiz", 5),
    ("quiz", 5),
    ("quiz", 5),
    ("assignment", 10),
    ("assignment", 10),
    ("project", 15),
    ("midterm", 20),
    ("final", 30),
)
COPY_BATCH_LOG = 200_000
# Indexes this benchmark proposes (not in the migrations; see README.md): created only with
# --proposed-indexes, so their effect can be measured against the migrated schema as it is.
PROPOSED_INDEXES = (
    # Plan load: an index-only scan over one user's open/recent tasks instead of one heap page
    # per task (a user's tasks are spread over the whole table).
    "CREATE INDEX ix_study_tasks_user_id_plan_inputs ON study_tasks (user_id) INCLUDE "
    "(id, status, updated_at, plan_key, course_id, assessment_id, topic_ids, "
    "estimated_duration_min, scheduled_start, scheduled_end, is_pinned, completion_percentage)",
    # History by course / by difficulty, in the history's order: the LIMIT stops the scan.
    "CREATE INDEX ix_study_tasks_user_id_course_id_scheduled_start ON study_tasks "
    "(user_id, course_id, scheduled_start DESC NULLS LAST, id)",
    "CREATE INDEX ix_study_tasks_user_id_difficulty_scheduled_start ON study_tasks "
    "(user_id, difficulty, scheduled_start DESC NULLS LAST, id)",
)


@dataclass(frozen=True, slots=True)
class Sizes:
    users: int = 1000
    tasks: int = 1_000_000
    perf: int = 100_000
    topics_per_user: int = 100
    samples: int = 2000
    proposed_indexes: bool = False
    mastery_samples: int = 100
    writer_iterations: int = 50
    seed: int = 4


@dataclass(slots=True)
class UserData:
    id: uuid.UUID
    timezone: str
    course_ids: list[uuid.UUID] = field(default_factory=list)
    course_codes: list[str] = field(default_factory=list)
    path_ids: list[uuid.UUID] = field(default_factory=list)
    # per course: its topic ids, and its assessments as (id, type)
    topics: list[list[uuid.UUID]] = field(default_factory=list)
    assessments: list[list[tuple[uuid.UUID, str]]] = field(default_factory=list)

    @property
    def all_topics(self) -> list[uuid.UUID]:
        return [t for course in self.topics for t in course]


@dataclass(frozen=True, slots=True)
class Dataset:
    now: datetime
    users: list[UserData]
    row_counts: dict[str, int]
    seconds: float


def log(message: str) -> None:
    print(f"[bench.data] {message}", file=sys.stderr, flush=True)


def psycopg_dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (``postgresql+psycopg://…`` → ``postgresql://…``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Ids:
    """Seeded UUIDs (version 4 layout), so a dataset is reproducible from its seed."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def __call__(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _copy(conn: psycopg.Connection[Any], table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """COPY dict rows into a table; absent nullable columns are NULL, JSON values serialised."""
    columns = [c.name for c in table.columns]
    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    required = {c.name for c in table.columns if not c.nullable}
    names = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with conn.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            if count == 0:
                missing = required - row.keys()
                if missing:
                    raise ValueError(f"{table.name}: no value for NOT NULL {sorted(missing)}")
            copy.write_row(
                [
                    json.dumps(row[c])
                    if c in json_columns and row.get(c) is not None
                    else row.get(c)
                    for c in columns
                ]
            )
            count += 1
            if count % COPY_BATCH_LOG == 0:
                log(f"  {table.name}: {count:,} rows")
    return count


# --- people, courses, topics, assessments ---------------------------------------------------------


def _users(rng: random.Random, ids: Ids, sizes: Sizes) -> list[UserData]:
    users = []
    for _ in range(sizes.users):
        user = UserData(ids(), rng.choice(ZONES))
        per_course = _split(sizes.topics_per_user, COURSES_PER_USER)
        for index in range(COURSES_PER_USER):
            user.course_ids.append(ids())
            user.course_codes.append(f"C{index + 1}{rng.randrange(100, 999)}")
            user.path_ids.append(ids())
            user.topics.append([ids() for _ in range(per_course[index])])
            user.assessments.append(
                [(ids(), kind) for kind, _ in ASSESSMENT_PLAN[:ASSESSMENTS_PER_COURSE]]
            )
        users.append(user)
    return users


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _user_rows(users: list[UserData], now: datetime) -> Iterator[dict[str, Any]]:
    joined = now - timedelta(days=300)
    for n, user in enumerate(users):
        yield {
            "id": user.id,
            "email": f"student{n:06d}@bench.example.edu",
            "full_name": f"Student {n}",
            "academic_level": "undergraduate",
            "timezone": user.timezone,
            "language": "en",
            "is_active": True,
            "is_verified": True,
            "created_at": joined,
            "updated_at": joined,
        }


def _preference_rows(
    rng: random.Random, ids: Ids, users: list[UserData], now: datetime
) -> Iterator[dict[str, Any]]:
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for user in users:
        evening = rng.choice(("17:00", "18:00", "19:00"))
        availability = {day: [{"start": evening, "end": "22:00"}] for day in days[:5]}
        availability["saturday"] = [{"start": "10:00", "end": "14:00"}]
        yield {
            "id": ids(),
            "user_id": user.id,
            "max_hours_per_day": float(rng.choice((3, 4, 5, 6))),
            "preferred_block_length_min": rng.choice((25, 45, 50, 60)),
            "break_length_min": rng.choice((5, 10, 15)),
            "earliest_start_time": clock_time(8, 0),
            "latest_end_time": clock_time(22, 0),
            "weekly_availability": availability,
            "difficulty_curve": rng.choice(("gentle", "balanced", "aggressive")),
            "study_mode_preferences": {
                str(c): rng.sample(["reading", "problem_sets", "flashcards", "review"], 2)
                for c in user.course_ids
            },
            "enable_spaced_repetition": True,
            "min_review_interval_days": 1,
            "created_at": now,
            "updated_at": now,
        }


def _course_rows(users: list[UserData], now: datetime) -> Iterator[dict[str, Any]]:
    start, end = (now - timedelta(days=90)).date(), (now + timedelta(days=90)).date()
    for user in users:
        for index, (course_id, code) in enumerate(
            zip(user.course_ids, user.course_codes, strict=True)
        ):
            yield {
                "id": course_id,
                "user_id": user.id,
                "name": f"Course {index + 1} ({code})",
                "code": code,
                "credit_hours": 3.0,
                "semester": "Bench",
                "start_date": start,
                "end_date": end,
                "color": "#4F46E5",
                "is_archived": False,
                "assessments_complete": True,
                "created_at": now,
                "updated_at": now,
            }


def _path_rows(users: list[UserData], now: datetime) -> Iterator[dict[str, Any]]:
    for user in users:
        for course_id, path_id in zip(user.course_ids, user.path_ids, strict=True):
            yield {
                "id": path_id,
                "user_id": user.id,
                "course_id": course_id,
                "status": "in_progress",
                "completed_topic_ids": [],
                "assessment_results": {},
                "created_at": now,
                "updated_at": now,
            }


def _topic_rows(
    rng: random.Random, users: list[UserData], now: datetime
) -> Iterator[dict[str, Any]]:
    for user in users:
        for course_id, topics in zip(user.course_ids, user.topics, strict=True):
            for order, topic_id in enumerate(topics):
                earlier = topics[max(0, order - 5) : order]
                prerequisites = rng.sample(earlier, min(len(earlier), rng.randint(0, 2)))
                yield {
                    "id": topic_id,
                    "course_id": course_id,
                    "name": f"Topic {order + 1}",
                    "estimated_difficulty": rng.choices(DIFFICULTIES, DIFFICULTY_WEIGHTS)[0],
                    "prerequisite_topic_ids": [str(p) for p in prerequisites],
                    "resource_links": [],
                    "order_index": order,
                    "created_at": now,
                    "updated_at": now,
                }


def _assessment_due(now: datetime, index: int, count: int) -> datetime:
    """Spread over the semester (now − 90 d … now + 90 d), in order, at 23:59 UTC."""
    day = now - timedelta(days=90) + timedelta(days=(index + 1) * 180 / (count + 1))
    return day.replace(hour=23, minute=59, second=0, microsecond=0)


def _assessment_rows(users: list[UserData], now: datetime) -> Iterator[dict[str, Any]]:
    weights = dict(enumerate(w for _, w in ASSESSMENT_PLAN))
    durations = {"quiz": 30, "assignment": 120, "project": 600, "midterm": 90, "final": 120}
    for user in users:
        for course_id, assessments in zip(user.course_ids, user.assessments, strict=True):
            for index, (assessment_id, kind) in enumerate(assessments):
                due = _assessment_due(now, index, len(assessments))
                yield {
                    "id": assessment_id,
                    "course_id": course_id,
                    "name": f"{kind.title()} {index + 1}",
                    "type": kind,
                    "weight_percent": float(weights[index]),
                    "due_date": due,
                    "estimated_duration_min": durations[kind],
                    "max_score": 100.0,
                    "is_completed": due < now,
                    "status": "active",
                    "created_at": now - timedelta(days=100),
                    "updated_at": now - timedelta(days=100),
                }


def _assessment_topic_rows(
    rng: random.Random, ids: Ids, users: list[UserData]
) -> Iterator[dict[str, Any]]:
    for user in users:
        for topics, assessments in zip(user.topics, user.assessments, strict=True):
            for assessment_id, _ in assessments:
                linked = rng.sample(topics, min(len(topics), rng.randint(1, 4)))
                share = round(100.0 / len(linked), 2)
                for topic_id in linked:
                    yield {
                        "id": ids(),
                        "assessment_id": assessment_id,
                        "topic_id": topic_id,
                        "question_count": rng.randint(3, 15),
                        "weight_in_assessment": share,
                    }


# --- performance, mastery, tasks ------------------------------------------------------------------


def _performance_rows(
    rng: random.Random,
    ids: Ids,
    users: list[UserData],
    count: int,
    now: datetime,
    touched: dict[uuid.UUID, set[uuid.UUID]],
) -> Iterator[dict[str, Any]]:
    for _ in range(count):
        user = rng.choice(users)
        course = rng.randrange(len(user.course_ids))
        topics = user.topics[course]
        if not topics:
            continue
        completed = now - timedelta(seconds=rng.randint(3600, int(HALF_YEAR.total_seconds())))
        assessment_id: uuid.UUID | None = None
        if rng.random() < 0.4:
            assessment_id = rng.choice(user.assessments[course])[0]
        breakdown: dict[str, dict[str, int]] = {}
        for topic_id in rng.sample(topics, min(len(topics), rng.randint(1, 4))):
            total = rng.randint(4, 20)
            breakdown[str(topic_id)] = {"correct": rng.randint(0, total), "total": total}
            touched.setdefault(user.id, set()).add(topic_id)
        correct = sum(v["correct"] for v in breakdown.values())
        total = sum(v["total"] for v in breakdown.values())
        yield {
            "id": ids(),
            "user_id": user.id,
            "course_id": user.course_ids[course],
            "assessment_id": assessment_id,
            "attempt_number": 1,
            "score": float(correct),
            "max_score": float(total),
            "percentage": round(100.0 * correct / total, 4),
            "time_spent_min": rng.randint(10, 120),
            "completed_at": completed,
            "topic_breakdown": breakdown,
            "created_at": completed,
        }


def _mastery_rows(
    rng: random.Random, ids: Ids, touched: dict[uuid.UUID, set[uuid.UUID]], now: datetime
) -> Iterator[dict[str, Any]]:
    for user_id in sorted(touched):
        for topic_id in sorted(touched[user_id]):
            practiced = now - timedelta(days=rng.randint(1, 60))
            interval = rng.randint(1, 60)
            yield {
                "id": ids(),
                "user_id": user_id,
                "topic_id": topic_id,
                "mastery_score": round(rng.uniform(20, 95), 2),
                "confidence_interval": round(rng.uniform(5, 20), 2),
                "trend": rng.choice(("improving", "stable", "declining")),
                "last_practiced_at": practiced,
                "next_review_date": (practiced + timedelta(days=interval)).date(),
                "review_interval_days": interval,
                "practice_count": rng.randint(0, 5),
                "quiz_count": rng.randint(1, 5),
                "created_at": practiced,
                "updated_at": practiced,
            }


def _task_rows(
    rng: random.Random, ids: Ids, users: list[UserData], count: int, now: datetime
) -> Iterator[dict[str, Any]]:
    # ±50 % tasks per user around the mean: some students plan much more than others.
    weights = [rng.uniform(0.5, 1.5) for _ in users]
    span = int(HALF_YEAR.total_seconds())
    past_statuses = [s for s, _ in PAST_STATUSES]
    past_weights = [w for _, w in PAST_STATUSES]
    future_statuses = [s for s, _ in FUTURE_STATUSES]
    future_weights = [w for _, w in FUTURE_STATUSES]
    picks = rng.choices(range(len(users)), weights=weights, k=count)
    for n, pick in enumerate(picks):
        user = users[pick]
        course = rng.randrange(len(user.course_ids))
        topics = user.topics[course]
        offset = rng.randint(-span, span)
        start = (now + timedelta(seconds=offset)).replace(second=0, microsecond=0)
        minutes = rng.choice((25, 30, 45, 50, 60, 90))
        end = start + timedelta(minutes=minutes)
        if end <= now:
            status = rng.choices(past_statuses, past_weights)[0]
        else:
            status = rng.choices(future_statuses, future_weights)[0]
        created = min(start, now) - timedelta(days=rng.randint(1, 14))
        updated = created
        actual_start = actual_end = None
        score = None
        completion = 0.0
        if status == "completed":
            actual_start, actual_end = start, end
            updated = end
            completion = 100.0
            score = round(rng.uniform(40, 100), 1)
        elif status == "in_progress":
            actual_start = start
            updated = start
            completion = float(rng.choice((25, 50, 75)))
        elif status in ("skipped", "expired"):
            updated = end
        assessment = rng.choice(user.assessments[course]) if rng.random() < 0.8 else None
        yield {
            "id": ids(),
            "user_id": user.id,
            "course_id": user.course_ids[course],
            "assessment_id": assessment[0] if assessment else None,
            "path_id": user.path_ids[course],
            "plan_key": f"b{n:x}",
            "title": f"Study {user.course_codes[course]} #{n}",
            "description": "",
            "task_type": rng.choice(TASK_TYPES),
            "difficulty": rng.choices(DIFFICULTIES, DIFFICULTY_WEIGHTS)[0],
            "topic_ids": [str(t) for t in rng.sample(topics, min(len(topics), rng.randint(1, 3)))],
            "estimated_duration_min": minutes,
            "scheduled_start": start if status != "pending" else None,
            "scheduled_end": end if status != "pending" else None,
            "actual_start": actual_start,
            "actual_end": actual_end,
            "status": status,
            "completion_percentage": completion,
            "priority_score": round(rng.uniform(0, 10), 3),
            "is_pinned": rng.random() < 0.05,
            "expected_mastery_gain": round(rng.uniform(0, 8), 2),
            "score": score,
            "evaluation": {},
            "plan_reason": "",
            "created_at": created,
            "updated_at": updated,
        }


def generate(url: str, sizes: Sizes, now: datetime | None = None) -> Dataset:
    """Fill the (migrated, empty) database at ``url``; return what the measurements need."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    rng = random.Random(sizes.seed)
    ids = Ids(rng)
    started = time.perf_counter()
    users = _users(rng, ids, sizes)
    touched: dict[uuid.UUID, set[uuid.UUID]] = {}
    counts: dict[str, int] = {}
    steps: list[tuple[Table, Iterable[dict[str, Any]]]] = [
        (_table(User), _user_rows(users, now)),
        (_table(UserPreferences), _preference_rows(rng, ids, users, now)),
        (_table(Course), _course_rows(users, now)),
        (_table(StudyPath), _path_rows(users, now)),
        (_table(Topic), _topic_rows(rng, users, now)),
        (_table(Assessment), _assessment_rows(users, now)),
        (_table(AssessmentTopic), _assessment_topic_rows(rng, ids, users)),
        (_table(PerformanceRecord), _performance_rows(rng, ids, users, sizes.perf, now, touched)),
        # lazily built: it needs the topics the performance records touched
        (_table(MasteryRecord), _LazyRows(lambda: _mastery_rows(rng, ids, touched, now))),
        (_table(StudyTask), _task_rows(rng, ids, users, sizes.tasks, now)),
    ]
    with psycopg.connect(psycopg_dsn(url)) as conn:
        for table, rows in steps:
            t0 = time.perf_counter()
            counts[table.name] = _copy(conn, table, rows)
            conn.commit()
            log(f"{table.name}: {counts[table.name]:,} rows in {time.perf_counter() - t0:.1f} s")
        if sizes.proposed_indexes:
            for statement in PROPOSED_INDEXES:
                conn.execute(statement.encode())
                conn.commit()
                log(f"created {statement.split()[2]}")
    _vacuum_analyze(url)
    seconds = time.perf_counter() - started
    log(f"dataset ready in {seconds:.1f} s")
    return Dataset(now, users, counts, seconds)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


class _LazyRows:
    def __init__(self, make: Callable[[], Iterator[dict[str, Any]]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._make())


def _vacuum_analyze(url: str) -> None:
    """Fresh statistics and a visibility map, as autovacuum would leave a live database."""
    t0 = time.perf_counter()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    log(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s")
