"""Domain values the Google adapter hands to the rest of the project (no Google JSON here).

Times: a timed event has aware `datetime` start/end (compare instants — Google renders them in
the calendar's zone, not in the zone we sent); an all-day event has `date` start/end with the
end exclusive, as in Google Calendar.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from uuid import UUID

from integrations.errors import IntegrationError
from integrations.google_calendar.ids import block_id_from_event_id, event_id_for_block

EventTime = datetime | date
WriteKind = Literal["insert", "patch", "delete"]
# ok: done as asked. adopted: an insert met 409 and the existing event is ours and alive (an
# earlier insert whose answer was lost). user_deleted: the event is cancelled — the user deleted
# it; never recreate. already_deleted: a delete found the event gone. error: see `error`.
WriteOutcome = Literal["ok", "adopted", "user_deleted", "already_deleted", "error"]

# The private extended property that marks an event as ours and names its block.
BLOCK_ID_PROPERTY = "studyplanner_block_id"


def content_hash(
    start: EventTime | None, end: EventTime | None, summary: str | None, description: str | None
) -> str:
    """A stable fingerprint of what the user sees, so our own writes coming back (same hash) are
    not mistaken for edits. Instants are compared in UTC; a missing text equals an empty one."""
    payload = json.dumps(
        [_time_key(start), _time_key(end), summary or "", description or ""],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _time_key(value: EventTime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("event times must be timezone-aware")
        return "t:" + value.astimezone(UTC).isoformat()
    return "d:" + value.isoformat()


@dataclass(frozen=True)
class CalendarInfo:
    """An entry of the user's calendar list. `selected`: shown in their Google Calendar;
    `ours`: the study calendar we created (found by its marker)."""

    id: str
    summary: str
    primary: bool
    access_role: str  # owner | writer | reader | freeBusyReader
    selected: bool = False
    ours: bool = False


@dataclass(frozen=True)
class RemoteEvent:
    """An event as Google holds it. A cancelled event from an incremental list may carry only
    its id, etag and status: start/end/summary are then None."""

    id: str
    etag: str | None
    status: str  # "confirmed" | "tentative" | "cancelled"
    start: EventTime | None
    end: EventTime | None
    all_day: bool
    summary: str | None
    description: str | None
    private_props: Mapping[str, str]
    updated: datetime | None

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def block_id(self) -> UUID | None:
        """Our block's id, from the private property, else decoded from our event id."""
        raw = self.private_props.get(BLOCK_ID_PROPERTY)
        if raw:
            try:
                return UUID(raw)
            except ValueError:
                return None
        return block_id_from_event_id(self.id)

    @property
    def content_hash(self) -> str | None:
        if self.start is None or self.end is None:
            return None
        return content_hash(self.start, self.end, self.summary, self.description)


@dataclass(frozen=True)
class EventWrite:
    """One change to push. insert needs start/end; for patch every None field stays unchanged;
    delete needs only the ids. `etag` (patch/delete) makes the write conditional (If-Match)."""

    kind: WriteKind
    block_id: UUID
    event_id: str | None = None  # None: derived from block_id
    etag: str | None = None
    start: EventTime | None = None
    end: EventTime | None = None
    summary: str | None = None
    description: str | None = None
    private_props: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ("insert", "patch", "delete"):
            raise ValueError(f"unknown write kind {self.kind!r}")
        if self.kind == "insert" and (self.start is None or self.end is None):
            raise ValueError("an insert needs start and end")
        if (self.start is None) != (self.end is None):
            raise ValueError("start and end go together")
        if self.start is not None and self.end is not None:
            if isinstance(self.start, datetime) != isinstance(self.end, datetime):
                raise ValueError("start and end must both be datetimes or both be dates")
            _time_key(self.start)
            _time_key(self.end)
            if self.end <= self.start:
                raise ValueError("end must be after start")

    @property
    def target_event_id(self) -> str:
        return self.event_id if self.event_id is not None else event_id_for_block(self.block_id)

    @property
    def content_hash(self) -> str | None:
        if self.start is None or self.end is None:
            return None
        return content_hash(self.start, self.end, self.summary, self.description)


@dataclass(frozen=True)
class EventWriteResult:
    op: EventWrite
    event_id: str
    outcome: WriteOutcome
    # The event as Google now holds it: after ok/adopted/user_deleted, and after a 412 (the
    # re-fetched current version to reconcile against) when that fetch succeeded.
    event: RemoteEvent | None = None
    error: IntegrationError | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome in ("ok", "adopted", "already_deleted")

    @property
    def etag(self) -> str | None:
        return self.event.etag if self.event is not None else None


@dataclass(frozen=True)
class ChangeSet:
    """Every event of one listing, all pages. `full_resync`: this was a full listing (first
    sync, or the token expired) — diff it against the stored mapping to find deletions.
    Store `next_sync_token` only after every change is applied."""

    events: tuple[RemoteEvent, ...]
    next_sync_token: str
    full_resync: bool
    sync_token_expired: bool = False


@dataclass(frozen=True)
class TokenRefresh:
    access_token: str
    expiry: datetime | None  # aware UTC
