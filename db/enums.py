"""Enumerations stored in the database (as strings with a CHECK constraint, not native enums,
so adding a value is a plain migration on PostgreSQL and SQLite alike).

The task lifecycle enums live with the pure state machine in `planner.lifecycle`.
"""

from __future__ import annotations

from enum import StrEnum

# The pure mastery module owns the trend values; re-exported here for the models.
from planner.mastery import Trend as Trend
from planner.vocabulary import AssessmentType as AssessmentType
from planner.vocabulary import Difficulty as Difficulty
from planner.vocabulary import DifficultyCurve as DifficultyCurve
from planner.vocabulary import TaskType as TaskType


class AcademicLevel(StrEnum):
    HIGH_SCHOOL = "high_school"
    UNDERGRADUATE = "undergraduate"
    GRADUATE = "graduate"
    OTHER = "other"


class AssessmentStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"  # gone from its LMS feed: kept for the student's history


class PathStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class IntegrationHealth(StrEnum):
    OK = "ok"
    NEEDS_REAUTH = "needs_reauth"  # grant revoked / token invalid: the user must reconnect
    NEEDS_ATTENTION = "needs_attention"  # unshared database, remote looks empty: an admin decides


class Provider(StrEnum):
    GOOGLE = "google"
    NOTION = "notion"
    FEED = "feed"
    PLANNER = "planner"


class SyncOutcome(StrEnum):
    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"  # one provider failed, the others went through
    FAILED = "failed"
    SKIPPED = "skipped"  # another sync of the same user held the lock


class ChannelStatus(StrEnum):
    """A Google push channel: `pending` while its watch call is in flight, `active` once Google
    accepted it, `stopped` when we ended it (renewed, disconnected, calendar no longer watched),
    `failed` when the watch was refused or the channel went silent."""

    PENDING = "pending"
    ACTIVE = "active"
    STOPPED = "stopped"
    FAILED = "failed"
