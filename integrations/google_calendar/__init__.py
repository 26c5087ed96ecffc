"""Google Calendar adapter: busy times in, study blocks out, the user's edits read back.

Only this package knows Google's URLs, JSON and error codes; callers see the domain values of
`values.py` and the errors of `integrations.errors` (plus the two subclasses in `errors.py`).
"""

from __future__ import annotations

from integrations.google_calendar.client import (
    FREEBUSY_MAX_CALENDARS,
    FREEBUSY_MAX_WINDOW,
    MAX_BATCH,
    STUDY_CALENDAR_MARKER,
    GoogleCalendarClient,
)
from integrations.google_calendar.credentials import (
    SCOPES,
    build_credentials,
    refresh,
    refresh_if_expired,
    token_state,
)
from integrations.google_calendar.errors import FreeBusyCalendarError, SyncTokenExpiredError
from integrations.google_calendar.ids import (
    InvalidEventIdError,
    block_id_from_event_id,
    event_id_for_block,
    is_valid_event_id,
    validate_event_id,
)
from integrations.google_calendar.values import (
    BLOCK_ID_PROPERTY,
    CalendarInfo,
    ChangeSet,
    EventTime,
    EventWrite,
    EventWriteResult,
    RemoteEvent,
    TokenRefresh,
    WatchChannel,
    WriteKind,
    WriteOutcome,
    content_hash,
)

__all__ = [
    "BLOCK_ID_PROPERTY",
    "FREEBUSY_MAX_CALENDARS",
    "FREEBUSY_MAX_WINDOW",
    "MAX_BATCH",
    "SCOPES",
    "STUDY_CALENDAR_MARKER",
    "CalendarInfo",
    "ChangeSet",
    "EventTime",
    "EventWrite",
    "EventWriteResult",
    "FreeBusyCalendarError",
    "GoogleCalendarClient",
    "InvalidEventIdError",
    "RemoteEvent",
    "SyncTokenExpiredError",
    "TokenRefresh",
    "WatchChannel",
    "WriteKind",
    "WriteOutcome",
    "block_id_from_event_id",
    "build_credentials",
    "content_hash",
    "event_id_for_block",
    "is_valid_event_id",
    "refresh",
    "refresh_if_expired",
    "token_state",
    "validate_event_id",
]
