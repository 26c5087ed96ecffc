"""The product's words, defined once: every layer (the pure cores, the database, the adapters,
the CLI and the API) imports them from here. String enums, so a value is also its plain string
(`Difficulty.HARD == "hard"`) in JSON, in SQL and in the seeds' CSV files."""

from __future__ import annotations

from enum import StrEnum


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"
    EXAM_LEVEL = "exam_level"


class AssessmentType(StrEnum):
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"
    MIDTERM = "midterm"
    FINAL = "final"
    PROJECT = "project"


class DifficultyCurve(StrEnum):
    GENTLE = "gentle"
    BALANCED = "balanced"
    AGGRESSIVE = "aggressive"


class TaskType(StrEnum):
    READING = "reading"
    PROBLEM_SET = "problem_set"
    QUIZ = "quiz"
    REVIEW = "review"
    PROJECT = "project"
    FLASHCARDS = "flashcards"


class TaskStatus(StrEnum):
    """A study task's lifecycle state (seed 003); the transitions are in `planner.lifecycle`."""

    PENDING = "pending"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    SKIPPED = "skipped"
    EXPIRED = "expired"


class NotionStatus(StrEnum):
    """The four states a task has in the student's Notion database, whatever the option names."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    SKIPPED = "skipped"
