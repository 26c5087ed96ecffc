"""What the resource routes send back (courses, topics, assessments, results, imports), and the
few request bodies that wrap a product schema with the ids of seed 004's signatures.

Request bodies are the product's own models (`services.schemas`, `services.study_tasks`)
wherever one fits, so the API checks exactly what the CLI checks.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from db.enums import AssessmentStatus, AssessmentType, Difficulty
from db.models import Assessment, Course, Topic
from services.ingest.all_or_nothing import ImportReport
from services.ingest.csv_rows import MAX_ROWS
from services.schemas import CourseIn, PerformanceIn, Strict, TopicResult


class CourseCreate(CourseIn):
    user_id: uuid.UUID | None = Field(
        default=None, description="Whose course (default: the caller's; another's answers 404)."
    )


class CourseOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    path_id: uuid.UUID | None = Field(description="The course's study path (seed 003).")
    code: str
    name: str
    semester: str
    start_date: date
    end_date: date
    instructor_name: str | None
    credit_hours: float
    description: str | None
    color: str
    assessments_complete: bool
    is_archived: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, course: Course, path_id: uuid.UUID | None) -> CourseOut:
        return cls(
            id=course.id,
            user_id=course.user_id,
            path_id=path_id,
            code=course.code,
            name=course.name,
            semester=course.semester,
            start_date=course.start_date,
            end_date=course.end_date,
            instructor_name=course.instructor_name,
            credit_hours=course.credit_hours,
            description=course.description,
            color=course.color,
            assessments_complete=course.assessments_complete,
            is_archived=course.is_archived,
            created_at=course.created_at,
            updated_at=course.updated_at,
        )


class TopicOut(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    name: str
    description: str | None
    estimated_difficulty: Difficulty
    order_index: int
    prerequisites: list[str] = Field(description="Names of the topics this one needs first.")
    prerequisite_ids: list[uuid.UUID]

    @classmethod
    def of(cls, topic: Topic, names: dict[str, str]) -> TopicOut:
        ids = [str(t) for t in topic.prerequisite_topic_ids]
        return cls(
            id=topic.id,
            course_id=topic.course_id,
            name=topic.name,
            description=topic.description,
            estimated_difficulty=topic.estimated_difficulty,
            order_index=topic.order_index,
            prerequisites=[names.get(t, t) for t in ids],
            prerequisite_ids=[uuid.UUID(t) for t in ids],
        )


class AssessmentOut(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    name: str
    type: AssessmentType
    weight_percent: float
    due_date: datetime
    estimated_duration_min: int
    max_score: float
    description: str | None
    status: AssessmentStatus
    is_completed: bool
    from_feed: bool
    topic_weights: dict[str, float] = Field(description="Topic name → share of the assessment.")

    @classmethod
    def of(cls, assessment: Assessment, names: dict[uuid.UUID, str]) -> AssessmentOut:
        return cls(
            id=assessment.id,
            course_id=assessment.course_id,
            name=assessment.name,
            type=assessment.type,
            weight_percent=assessment.weight_percent,
            due_date=assessment.due_date,
            estimated_duration_min=assessment.estimated_duration_min,
            max_score=assessment.max_score,
            description=assessment.description,
            status=assessment.status,
            is_completed=assessment.is_completed,
            from_feed=assessment.feed_id is not None,
            # Sorted by name: the links come back in no fixed order, and clients diff answers.
            topic_weights=dict(
                sorted(
                    (names.get(link.topic_id, str(link.topic_id)), link.weight_in_assessment or 0.0)
                    for link in assessment.topic_links
                )
            ),
        )


class PerformanceCreate(PerformanceIn):
    """One scored attempt (seed 004's `record_performance`). Give the assessment, or the course
    for practice that belongs to no assessment. `topic_breakdown` keys are topic names or ids
    of that course."""

    user_id: uuid.UUID | None = Field(default=None, description="Default: the caller.")
    course_id: uuid.UUID | None = None
    assessment_id: uuid.UUID | None = None


class MasteryOut(BaseModel):
    topic_id: uuid.UUID
    topic: str
    mastery_score: float
    confidence_interval: float
    next_review_date: date | None


class PerformanceOut(BaseModel):
    record_id: uuid.UUID
    created: bool = Field(description="False when this exact result was already recorded.")
    mastery: list[MasteryOut]


class ImportOut(BaseModel):
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    cancelled: int

    @classmethod
    def of(cls, report: ImportReport) -> ImportOut:
        return cls(
            kind=report.kind,
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            cancelled=report.cancelled,
        )


FEED_SCHEMES = ("http://", "https://", "webcal://")


class FeedCreate(Strict):
    """An LMS calendar feed (Canvas, Moodle, Blackboard): registered and imported at once."""

    user_id: uuid.UUID | None = Field(default=None, description="Default: the caller.")
    label: str = Field(default="LMS", min_length=1, max_length=200)
    url: str = Field(
        min_length=10, max_length=2000, description="http(s) or webcal URL; kept encrypted."
    )
    default_course_id: uuid.UUID | None = Field(
        default=None, description="Course for events whose course code matches none of yours."
    )

    @field_validator("url")
    @classmethod
    def _remote(cls, value: str) -> str:
        # The CLI also reads a local file; over HTTP that would let a client make the server
        # (and later the worker's periodic refresh) read its own files.
        if not value.lower().startswith(FEED_SCHEMES):
            raise ValueError("must be an http://, https:// or webcal:// URL")
        return value


class FeedOut(BaseModel):
    id: uuid.UUID
    label: str
    host: str = Field(description="Scheme and host only: the rest of a feed URL is a secret.")
    default_course_id: uuid.UUID | None
    last_fetched_at: datetime | None
    report: ImportOut


class GradeIn(Strict):
    """One result of seed 004's grade history; the same rules as a row of grades.csv."""

    assessment_name: str = Field(min_length=1, max_length=300)
    score: float
    max_score: float
    date: str = Field(
        min_length=1, max_length=40, description="2026-10-01, or 2026-10-01T14:00[+01:00]."
    )
    topics: dict[str, TopicResult | None] | list[str] = Field(
        default_factory=dict,
        description="Topic name → {correct, total}, or null (the overall score); or names only.",
    )
    time_spent_min: int | None = Field(default=None, ge=1)
    attempt: int | None = Field(default=None, ge=1)
    course_code: str | None = Field(default=None, max_length=64)


class GradesImport(Strict):
    user_id: uuid.UUID | None = Field(default=None, description="Default: the caller.")
    course_id: uuid.UUID | None = Field(
        default=None, description="The course of every result (else each names course_code)."
    )
    grades: list[GradeIn] = Field(min_length=1, max_length=MAX_ROWS)


def grade_cells(grade: GradeIn, course_code: str | None) -> dict[str, str]:
    """A JSON result written as the cells of a grades.csv row (topics aside: they are typed)."""

    def cell(value: Any) -> str:
        return "" if value is None else str(value)

    return {
        "assessment_name": grade.assessment_name,
        "score": repr(grade.score),
        "max_score": repr(grade.max_score),
        "date": grade.date,
        "course_code": cell(course_code or grade.course_code),
        "time_spent_min": cell(grade.time_spent_min),
        "attempt": cell(grade.attempt),
        "topics": "",
    }
