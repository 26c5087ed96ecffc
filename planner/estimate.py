"""Work estimation: how many minutes each assessment still needs, per topic, and in which chunks.

Formulas (minutes; every figure rounded up to the 5-minute grid):

* ``base(a) = estimated_duration_min × TYPE_MULTIPLIER[type] × weight_factor``, with
  ``TYPE_MULTIPLIER = quiz 2, assignment 1, midterm 3, final 4, project 1`` (for assignments and
  projects the duration *is* the work; for exams it is the sitting time) and
  ``weight_factor = clamp(0.5 + weight_percent / 20, 0.5, 2.0)`` (a 5 % quiz ×0.75, a 30 %
  final ×2).
* the base is shared between the assessment's topics by ``weight_in_assessment`` (topics without a
  weight get the mean of the given ones; no weights at all → equal shares). An assessment with no
  topics is one work item of difficulty ``medium``.
* ``topic_minutes = base × share × DIFFICULTY_FACTOR[difficulty] × gap_factor`` with
  ``DIFFICULTY_FACTOR = easy 0.8, medium 1, hard 1.25, exam_level 1.5``. The mastery gap uses the
  pessimistic mastery ``m = clamp(mastery_score − confidence / 2, 0, 100)`` (unknown topic → 0):
  exams and quizzes ``gap_factor = 0.25 + 0.75 × (100 − m) / 100``; assignments and projects,
  whose work must be done whatever one knows, ``0.75 + 0.25 × (100 − m) / 100``.
* ``required = max(0, topic_minutes − done)`` where ``done`` is the minutes of completed tasks for
  that assessment and topic (``minutes_done`` or, if unset, the task's duration) plus
  ``minutes_done`` of in-progress ones. Fixed blocks (pinned or in progress, still ahead) count as
  already placed: ``to_place = required − fixed``; a remainder under 15 minutes is rounded up to 15.
* **Spaced reviews**: when spaced repetition is on, every mastery record with a
  ``next_review_date`` gives one review chunk of ``clamp(preferred_block, 15, 30)`` minutes,
  released at the start of that local date (or now, if overdue) and due
  ``max(1, min_review_interval_days)`` days later (capped at the horizon end).

Chunking: ``to_place`` minutes are split into ``n`` chunks on the 5-minute grid, where ``n`` is
``round(to_place / preferred)`` clamped so every chunk is between 15 and 180 minutes; sizes differ
by at most 5 minutes. Chunk ids are ``uuid5(NAMESPACE, "<assessment>:<topic>:<k>")`` for the
k-th chunk, skipping ids already used by completed or fixed tasks, so re-planning yields the
same ids.

Task types rotate through the user's study modes for the course (``reading``, ``problem_sets``,
``flashcards``, ``review``, ``quiz``), otherwise a default per assessment type.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from planner.values import (
    MAX_BLOCK_MIN,
    MIN_BLOCK_MIN,
    Assessment,
    AssessmentType,
    Difficulty,
    ExistingTask,
    Mastery,
    TaskType,
    Topic,
)

NAMESPACE = uuid.UUID("6f3c2a0e-5d1b-4e8a-9b7c-2f4d6e8a0c11")

TYPE_MULTIPLIER: dict[AssessmentType, float] = {
    AssessmentType.QUIZ: 2.0,
    AssessmentType.ASSIGNMENT: 1.0,
    AssessmentType.MIDTERM: 3.0,
    AssessmentType.FINAL: 4.0,
    AssessmentType.PROJECT: 1.0,
}
DIFFICULTY_FACTOR: dict[Difficulty, float] = {
    Difficulty.EASY: 0.8,
    Difficulty.MEDIUM: 1.0,
    Difficulty.HARD: 1.25,
    Difficulty.EXAM_LEVEL: 1.5,
}
DEFAULT_MODES: dict[AssessmentType, tuple[TaskType, ...]] = {
    AssessmentType.QUIZ: (TaskType.READING, TaskType.FLASHCARDS, TaskType.QUIZ),
    AssessmentType.ASSIGNMENT: (TaskType.PROBLEM_SET,),
    AssessmentType.MIDTERM: (TaskType.READING, TaskType.PROBLEM_SET, TaskType.QUIZ),
    AssessmentType.FINAL: (TaskType.READING, TaskType.PROBLEM_SET, TaskType.QUIZ),
    AssessmentType.PROJECT: (TaskType.PROJECT,),
}
MODE_ALIASES: dict[str, TaskType] = {
    "reading": TaskType.READING,
    "problem_set": TaskType.PROBLEM_SET,
    "problem_sets": TaskType.PROBLEM_SET,
    "practice": TaskType.PROBLEM_SET,
    "flashcards": TaskType.FLASHCARDS,
    "flashcard": TaskType.FLASHCARDS,
    "review": TaskType.REVIEW,
    "quiz": TaskType.QUIZ,
    "quizzes": TaskType.QUIZ,
    "practice_quiz": TaskType.QUIZ,
    "project": TaskType.PROJECT,
}


@dataclass(frozen=True, slots=True)
class WorkItem:
    """Minutes one (assessment, topic) pair — or one spaced review — still needs."""

    key: str
    assessment: Assessment | None
    topic: Topic | None
    course_id: str
    difficulty: Difficulty
    mastery: float
    required_min: int
    fixed_min: int
    to_place_min: int
    release: int | None = None
    review_due: int | None = None
    share: float = 1.0
    raw_min: int = 0


def ceil5(value: float) -> int:
    return math.ceil(value / 5 - 1e-9) * 5


def effective_mastery(record: Mastery | None) -> float:
    if record is None:
        return 0.0
    return min(100.0, max(0.0, record.mastery_score - record.confidence / 2))


def weight_factor(weight_percent: float) -> float:
    return min(2.0, max(0.5, 0.5 + weight_percent / 20))


def gap_factor(kind: AssessmentType, mastery: float) -> float:
    gap = (100.0 - mastery) / 100.0
    if kind in ("assignment", "project"):
        return 0.75 + 0.25 * gap
    return 0.25 + 0.75 * gap


def topic_shares(assessment: Assessment) -> list[tuple[str, float]]:
    weights = [t.weight for t in assessment.topics if t.weight is not None and t.weight > 0]
    fill = sum(weights) / len(weights) if weights else 1.0
    raw = [
        (t.topic_id, t.weight if t.weight is not None and t.weight > 0 else fill)
        for t in assessment.topics
    ]
    total = sum(w for _, w in raw)
    return [(topic_id, w / total) for topic_id, w in raw]


def base_minutes(assessment: Assessment) -> float:
    return (
        assessment.estimated_duration_min
        * TYPE_MULTIPLIER[assessment.type]
        * weight_factor(assessment.weight_percent)
    )


def raw_topic_minutes(
    assessment: Assessment, share: float, difficulty: Difficulty, mastery: float
) -> int:
    value = (
        base_minutes(assessment)
        * share
        * DIFFICULTY_FACTOR[difficulty]
        * gap_factor(assessment.type, mastery)
    )
    return ceil5(value) if value > 0 else 0


def work_key(assessment_id: str | None, topic_id: str | None) -> str:
    return f"{assessment_id or '-'}:{topic_id or '-'}"


def chunk_sizes(total: int, preferred: int) -> list[int]:
    """Split ``total`` (multiple of 5, ≥ 15) into 15..180-minute chunks near ``preferred``."""
    if total <= 0:
        return []
    preferred = min(MAX_BLOCK_MIN, max(MIN_BLOCK_MIN, preferred))
    count = max(1, round(total / preferred))
    count = min(count, total // MIN_BLOCK_MIN)
    count = max(count, -(-total // MAX_BLOCK_MIN), 1)
    units = total // 5
    q, r = divmod(units, count)
    return [(q + (1 if i < r else 0)) * 5 for i in range(count)]


def chunk_ids(key: str, count: int, used: set[str]) -> list[str]:
    ids: list[str] = []
    index = 0
    while len(ids) < count:
        candidate = str(uuid.uuid5(NAMESPACE, f"{key}:{index}"))
        if candidate not in used:
            ids.append(candidate)
        index += 1
    return ids


def review_id(topic_id: str, day_ordinal: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"review:{topic_id}:{day_ordinal}"))


def done_and_fixed(
    tasks: Iterable[ExistingTask], now: int, end_of: dict[str, int]
) -> tuple[dict[str, int], dict[str, int]]:
    """Minutes already done and minutes held by fixed future blocks, per work key.

    ``end_of`` maps task id → scheduled end (epoch minutes) for tasks with a placement.
    """
    done: dict[str, int] = {}
    fixed: dict[str, int] = {}
    for task in tasks:
        keys = [work_key(task.assessment_id, t) for t in task.topic_ids] or [
            work_key(task.assessment_id, None)
        ]
        share = len(keys)
        if task.status == "completed":
            minutes = task.minutes_done if task.minutes_done is not None else task.duration_min
            for key in keys:
                done[key] = done.get(key, 0) + minutes // share
        elif task.is_fixed:
            already = task.minutes_done or 0
            if task.status == "in_progress":
                for key in keys:
                    done[key] = done.get(key, 0) + already // share
            if end_of.get(task.id, now) > now:
                remaining = max(0, task.duration_min - already)
                for key in keys:
                    fixed[key] = fixed.get(key, 0) + remaining // share
    return done, fixed


def task_type_for(modes: tuple[str, ...], kind: AssessmentType | None, index: int) -> TaskType:
    if kind == "project":
        return TaskType.PROJECT
    known = [MODE_ALIASES[m.strip().lower()] for m in modes if m.strip().lower() in MODE_ALIASES]
    pool: tuple[TaskType, ...] | list[TaskType] = (
        known or DEFAULT_MODES[kind or AssessmentType.QUIZ]
    )
    return pool[index % len(pool)]


def expected_gain(mastery: float, minutes: int, difficulty: Difficulty) -> float:
    """Mastery points (0-100) a block should add: the gap closes exponentially with time."""
    tau = {"easy": 120.0, "medium": 180.0, "hard": 240.0, "exam_level": 300.0}[difficulty]
    return round((100.0 - mastery) * (1.0 - math.exp(-minutes / tau)), 1)
