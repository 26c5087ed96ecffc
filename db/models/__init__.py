"""SQLAlchemy 2.0 models: every entity of seed 004, plus study paths and the task event log of
seed 003, sync bookkeeping, LMS feeds, worker heartbeats and push (channels, debounce, webhooks).

Conventions: UUID primary keys; timestamps are aware UTC (`UTCDateTime`); enums are strings with a
CHECK constraint; secrets use `EncryptedString`; constraint names follow `NAMING_CONVENTION` so
migrations are reviewable and identical on SQLite and PostgreSQL. Index names from seed 004 are
kept as written there.
"""

from db.models.base import (
    NAMING_CONVENTION,
    Base,
    TimestampMixin,
    str_enum,
    time_ordered_uuid,
    utcnow,
)
from db.models.catalog import (
    Assessment,
    AssessmentTopic,
    Course,
    MasteryRecord,
    PerformanceRecord,
    Topic,
    User,
    UserPreferences,
)
from db.models.operations import (
    AssessmentFeed,
    IntegrationSettings,
    SyncError,
    SyncRun,
    WorkerHeartbeat,
)
from db.models.plan import (
    CalendarBlock,
    NotionTask,
    StudyPath,
    StudyTask,
    TaskEvent,
    TaskEventArchive,
)
from db.models.realtime import NotionWebhookEvent, PushChannel, SyncRequest, WebhookSecret
from db.models.web import OAuthState, SignInLink, WebSession

__all__ = [
    "NAMING_CONVENTION",
    "Assessment",
    "AssessmentFeed",
    "AssessmentTopic",
    "Base",
    "CalendarBlock",
    "Course",
    "IntegrationSettings",
    "MasteryRecord",
    "NotionTask",
    "NotionWebhookEvent",
    "OAuthState",
    "PerformanceRecord",
    "PushChannel",
    "SignInLink",
    "StudyPath",
    "StudyTask",
    "SyncError",
    "SyncRequest",
    "SyncRun",
    "TaskEvent",
    "TaskEventArchive",
    "TimestampMixin",
    "Topic",
    "User",
    "UserPreferences",
    "WebSession",
    "WebhookSecret",
    "WorkerHeartbeat",
    "str_enum",
    "time_ordered_uuid",
    "utcnow",
]
