"""In-memory Google Calendar: users, grants, calendars, events, sync tokens.

Everything here runs under the emulator's lock (see `routes.py`). Operations raise `ApiError`
with Google's status, reason and message; the dispatcher turns it into Google's error JSON.
The semantics follow Calendar v3 as documented in ../../../shared/API-FACTS.md, including the
surprising parts: a deleted event keeps its id forever (insert → 409), incremental lists return
cancelled tombstones with little more than the id, PUT drops every omitted field.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from emulators.google.entities import (
    EVENT_ID_RE,
    FULL_SCOPES,
    MAX_PAGE_CURSORS,
    MAX_SYNC_TOKENS,
    REPLACED_ON_PATCH,
    ROLE_RANK,
    WRITABLE_EVENT_FIELDS,
    AccessToken,
    ApiError,
    Authorization,
    Calendar,
    Grant,
    JsonDict,
    ListEntry,
    PageCursor,
    StoredEvent,
    SyncToken,
    _auth_error,
    _merge,
    _parse_event_time,
    _random_event_id,
    _rfc3339,
    _utcnow,
    _zone,
)


@dataclass
class CalendarState:
    """The whole emulated account world. Not thread-safe on its own: callers hold the lock."""

    now: Callable[[], datetime] = field(default_factory=lambda: _utcnow)
    users: set[str] = field(default_factory=set)
    grants: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    events: dict[str, dict[str, StoredEvent]] = field(default_factory=dict)
    sync_tokens: dict[str, SyncToken] = field(default_factory=dict)
    page_cursors: dict[str, PageCursor] = field(default_factory=dict)
    # user -> calendar id -> the user's entry (owned calendars and the ones shared with them)
    calendar_lists: dict[str, dict[str, ListEntry]] = field(default_factory=dict)
    authorizations: dict[tuple[str, str], Authorization] = field(default_factory=dict)
    # Called with a calendar id after every change to its events (push notifications).
    on_change: Callable[[str], None] | None = None
    seq: int = 0

    # ---- identity ----------------------------------------------------------------------------

    def add_user(self, email: str, *, time_zone: str = "UTC") -> None:
        if email in self.users:
            return
        self.users.add(email)
        self.calendars[email] = Calendar(
            id=email,
            owner=email,
            summary=email,
            description="",
            time_zone=time_zone,
            etag=self._next_etag(),
            primary=True,
        )
        self.events[email] = {}
        self.calendar_lists[email] = {email: ListEntry("owner")}

    def add_grant(
        self,
        user: str,
        client_id: str,
        refresh_token: str | None = None,
        scopes: frozenset[str] = FULL_SCOPES,
    ) -> Grant:
        token = refresh_token or "1//" + secrets.token_urlsafe(24)
        grant = Grant(refresh_token=token, user=user, client_id=client_id, scopes=scopes)
        self.grants[token] = grant
        consent = self.authorizations.setdefault(
            (user, client_id), Authorization(user, client_id, set())
        )
        consent.scopes |= scopes
        consent.refresh_issued = True
        return grant

    def issue_access_token(self, grant: Grant, ttl_seconds: int) -> AccessToken:
        return self.issue_bare_access_token(
            grant.user, grant.client_id, grant.scopes, ttl_seconds, grant.refresh_token
        )

    def issue_bare_access_token(
        self,
        user: str,
        client_id: str,
        scopes: frozenset[str],
        ttl_seconds: int,
        refresh_token: str | None = None,
    ) -> AccessToken:
        access = AccessToken(
            token="ya29." + secrets.token_urlsafe(24),
            user=user,
            refresh_token=refresh_token,
            expires_at=self.now() + timedelta(seconds=ttl_seconds),
            scopes=scopes,
            client_id=client_id,
        )
        self.access_tokens[access.token] = access
        return access

    def access_for_bearer(self, authorization: str | None) -> AccessToken:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise _auth_error("Login Required.", reason="required")
        access = self.access_tokens.get(authorization[7:].strip())
        if access is None or access.expires_at <= self.now():
            raise _auth_error("Request had invalid authentication credentials.")
        if access.refresh_token is not None:
            grant = self.grants.get(access.refresh_token)
            if grant is None or grant.revoked:
                raise _auth_error("Request had invalid authentication credentials.")
        return access

    def user_for_bearer(self, authorization: str | None) -> str:
        return self.access_for_bearer(authorization).user

    def revoke(self, grant: Grant) -> None:
        grant.revoked = True
        for token in [
            t for t, a in self.access_tokens.items() if a.refresh_token == grant.refresh_token
        ]:
            del self.access_tokens[token]

    def revoke_consent(self, user: str, client_id: str) -> int:
        """The user removes the app's access: every grant and token of that client dies, and
        the next consent counts as a first one again (a new refresh token)."""
        grants = [g for g in self.grants.values() if g.user == user and g.client_id == client_id]
        for grant in grants:
            self.revoke(grant)
        for token in [
            t for t, a in self.access_tokens.items() if a.user == user and a.client_id == client_id
        ]:
            del self.access_tokens[token]
        self.authorizations.pop((user, client_id), None)
        return len(grants)

    # ---- calendars ---------------------------------------------------------------------------

    def resolve_calendar_id(self, user: str, calendar_id: str) -> str:
        return user if calendar_id == "primary" else calendar_id

    def role_of(self, user: str, calendar_id: str) -> str | None:
        entry = self.calendar_lists.get(user, {}).get(calendar_id)
        return entry.access_role if entry is not None and calendar_id in self.calendars else None

    def calendar_for(self, user: str, calendar_id: str, need: str = "reader") -> Calendar:
        """The calendar if the user may `need` it: 404 without access, 403 with too little."""
        cal = self.calendars.get(self.resolve_calendar_id(user, calendar_id))
        role = None if cal is None else self.role_of(user, cal.id)
        if cal is None or role is None:
            raise ApiError(404, "notFound", "Not Found")
        if ROLE_RANK[role] < ROLE_RANK[need]:
            raise ApiError(
                403, "requiredAccessLevel", f"You need to have {need} access to this calendar."
            )
        return cal

    def insert_calendar(self, user: str, body: JsonDict) -> JsonDict:
        summary = body.get("summary")
        if not isinstance(summary, str) or not summary:
            raise ApiError(400, "required", "Missing title.")
        time_zone = body.get("timeZone") or "UTC"
        _zone(time_zone)
        cal_id = "c_" + secrets.token_hex(16) + "@group.calendar.google.com"
        self.calendars[cal_id] = Calendar(
            id=cal_id,
            owner=user,
            summary=summary,
            description=str(body.get("description") or ""),
            time_zone=time_zone,
            etag=self._next_etag(),
        )
        self.events[cal_id] = {}
        self.calendar_lists.setdefault(user, {})[cal_id] = ListEntry("owner")
        return self.calendar_resource(self.calendars[cal_id])

    def delete_calendar(self, calendar_id: str) -> None:
        self.calendars.pop(calendar_id, None)
        self.events.pop(calendar_id, None)
        for entries in self.calendar_lists.values():
            entries.pop(calendar_id, None)
        for token in [t for t, s in self.sync_tokens.items() if s.calendar_id == calendar_id]:
            del self.sync_tokens[token]

    def calendar_resource(self, cal: Calendar) -> JsonDict:
        resource: JsonDict = {
            "kind": "calendar#calendar",
            "etag": cal.etag,
            "id": cal.id,
            "summary": cal.summary,
            "timeZone": cal.time_zone,
        }
        if cal.description:
            resource["description"] = cal.description
        return resource

    def calendar_list_entry(self, cal: Calendar, listed: ListEntry) -> JsonDict:
        entry = self.calendar_resource(cal)
        entry.update(kind="calendar#calendarListEntry", accessRole=listed.access_role)
        # Like Google, false booleans are left out: `selected` and `primary` appear when true.
        if listed.selected:
            entry["selected"] = True
        if cal.primary and listed.access_role == "owner":
            entry["primary"] = True
        return entry

    def list_calendars(self, user: str) -> list[JsonDict]:
        entries = self.calendar_lists.get(user, {})
        return [
            self.calendar_list_entry(self.calendars[cal_id], entries[cal_id])
            for cal_id in sorted(entries)
            if cal_id in self.calendars
        ]

    # ---- events: writes ----------------------------------------------------------------------

    def insert_event(self, user: str, calendar_id: str, body: JsonDict) -> JsonDict:
        cal = self.calendar_for(user, calendar_id, "writer")
        events = self.events[cal.id]
        event_id = body.get("id")
        if event_id is None:
            event_id = _random_event_id()
        elif not isinstance(event_id, str) or not EVENT_ID_RE.match(event_id):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        if event_id in events:
            # Also when the event is cancelled: a deleted event keeps its id (API-FACTS).
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        now = _rfc3339(self.now())
        resource: JsonDict = {
            "kind": "calendar#event",
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://calendar.example.invalid/event?eid={event_id}",
            "created": now,
            "creator": {"email": user, "self": True},
            "organizer": {"email": cal.id, "displayName": cal.summary, "self": True},
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
        }
        for name in WRITABLE_EVENT_FIELDS:
            if body.get(name) is not None:
                resource[name] = copy.deepcopy(body[name])
        self._validate_and_normalise(cal, resource)
        stored = StoredEvent(calendar_id=cal.id, resource=resource, seq=0)
        events[event_id] = stored
        self._touch(stored)
        return self.event_resource(stored)

    def get_event(self, user: str, calendar_id: str, event_id: str) -> JsonDict:
        cal = self.calendar_for(user, calendar_id)
        stored = self.events[cal.id].get(event_id)
        if stored is None:
            raise ApiError(404, "notFound", "Not Found")
        # GET of a deleted event answers 200 with status "cancelled" (API-FACTS).
        return self.event_resource(stored)

    def patch_event(
        self, user: str, calendar_id: str, event_id: str, body: JsonDict, if_match: str | None
    ) -> JsonDict:
        cal, stored = self._writable_event(user, calendar_id, event_id, if_match)
        resource = copy.deepcopy(stored.resource)
        for name in WRITABLE_EVENT_FIELDS:
            if name not in body:
                continue
            if name in REPLACED_ON_PATCH or not isinstance(body[name], dict):
                if body[name] is None:
                    resource.pop(name, None)
                else:
                    resource[name] = copy.deepcopy(body[name])
            else:
                resource[name] = _merge(resource.get(name) or {}, body[name])
        self._validate_and_normalise(cal, resource)
        stored.resource = resource
        self._touch(stored, bump_sequence="start" in body or "end" in body)
        return self.event_resource(stored)

    def update_event(
        self, user: str, calendar_id: str, event_id: str, body: JsonDict, if_match: str | None
    ) -> JsonDict:
        cal, stored = self._writable_event(user, calendar_id, event_id, if_match)
        # PUT replaces the event: every writable field not in the body is dropped, including
        # extendedProperties — the reason the adapter never uses update (API-FACTS).
        keep = {k: v for k, v in stored.resource.items() if k not in WRITABLE_EVENT_FIELDS}
        resource = copy.deepcopy(keep)
        resource["status"] = "confirmed"
        resource["reminders"] = {"useDefault": True}
        for name in WRITABLE_EVENT_FIELDS:
            if body.get(name) is not None:
                resource[name] = copy.deepcopy(body[name])
        self._validate_and_normalise(cal, resource)
        stored.resource = resource
        self._touch(stored, bump_sequence=True)
        return self.event_resource(stored)

    def delete_event(
        self, user: str, calendar_id: str, event_id: str, if_match: str | None
    ) -> None:
        _cal, stored = self._writable_event(user, calendar_id, event_id, if_match)
        if stored.cancelled:
            raise ApiError(410, "deleted", "Resource has been deleted")
        stored.resource["status"] = "cancelled"
        self._touch(stored)

    def _writable_event(
        self, user: str, calendar_id: str, event_id: str, if_match: str | None
    ) -> tuple[Calendar, StoredEvent]:
        cal = self.calendar_for(user, calendar_id, "writer")
        stored = self.events[cal.id].get(event_id)
        if stored is None:
            raise ApiError(404, "notFound", "Not Found")
        if if_match is not None and if_match.strip() not in ("*", stored.resource["etag"]):
            raise ApiError(412, "conditionNotMet", "Precondition Failed", domain="global")
        return cal, stored

    def _touch(self, stored: StoredEvent, *, bump_sequence: bool = False) -> None:
        self.seq += 1
        stored.seq = self.seq
        stored.resource["etag"] = self.etag_for(self.seq)
        stored.resource["updated"] = _rfc3339(self.now())
        if bump_sequence:
            stored.resource["sequence"] = int(stored.resource.get("sequence", 0)) + 1
        if self.on_change is not None:
            self.on_change(stored.calendar_id)

    def _validate_and_normalise(self, cal: Calendar, resource: JsonDict) -> None:
        if "start" not in resource:
            raise ApiError(400, "required", "Missing start time.")
        if "end" not in resource:
            raise ApiError(400, "required", "Missing end time.")
        start, start_all_day, resource["start"] = _parse_event_time(resource["start"], cal, "start")
        end, end_all_day, resource["end"] = _parse_event_time(resource["end"], cal, "end")
        if start_all_day != end_all_day:
            raise ApiError(
                400, "invalid", "Start and end times must either both be date or both be dateTime."
            )
        if end <= start:
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        status = resource.get("status", "confirmed")
        if status not in ("confirmed", "tentative", "cancelled"):
            raise ApiError(400, "invalid", "Invalid value for: status")
        props = resource.get("extendedProperties")
        if props is not None:
            for scope in ("private", "shared"):
                values = props.get(scope) or {}
                if not all(isinstance(v, str) for v in values.values()):
                    raise ApiError(400, "invalid", "Invalid extended property value.")

    # ---- events: reads -----------------------------------------------------------------------

    def event_resource(self, stored: StoredEvent) -> JsonDict:
        return copy.deepcopy(stored.resource)

    def tombstone(self, stored: StoredEvent) -> JsonDict:
        """What a list shows for a deleted event: only the id is guaranteed (API-FACTS)."""
        res = stored.resource
        return {
            "kind": "calendar#event",
            "etag": res["etag"],
            "id": res["id"],
            "status": "cancelled",
            "updated": res["updated"],
        }

    def event_span(self, stored: StoredEvent) -> tuple[datetime, datetime]:
        cal = self.calendars[stored.calendar_id]
        start, _, _ = _parse_event_time(stored.resource["start"], cal, "start")
        end, _, _ = _parse_event_time(stored.resource["end"], cal, "end")
        return start, end

    def issue_sync_token(self, calendar_id: str, user: str, seq: int) -> str:
        token = "CP" + secrets.token_urlsafe(18)
        self.sync_tokens[token] = SyncToken(calendar_id=calendar_id, user=user, seq=seq)
        # Bounded memory for long chaos runs: the oldest tokens expire first (Google may expire
        # any token at any time, so clients must cope with 410 anyway).
        if len(self.sync_tokens) > MAX_SYNC_TOKENS:
            del self.sync_tokens[next(iter(self.sync_tokens))]
        return token

    def remember_cursor(self, token: str, cursor: PageCursor) -> None:
        self.page_cursors[token] = cursor
        if len(self.page_cursors) > MAX_PAGE_CURSORS:
            del self.page_cursors[next(iter(self.page_cursors))]

    def expire_sync_tokens(self) -> int:
        count = len(self.sync_tokens)
        self.sync_tokens.clear()
        return count

    def _next_etag(self) -> str:
        self.seq += 1
        return self.etag_for(self.seq)

    @staticmethod
    def etag_for(seq: int) -> str:
        return f'"{3_390_000_000_000_000 + seq}"'


# ---- helpers --------------------------------------------------------------------------------
