"""events.list (full and incremental, paged) and freeBusy.query over a `CalendarState`."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from emulators.google.entities import ApiError, JsonDict, PageCursor, StoredEvent, parse_rfc3339
from emulators.google.state import (
    CalendarState,
)

# Google refuses these together with syncToken: the token already encodes the query.
_NOT_WITH_SYNC_TOKEN = (
    "timeMin",
    "timeMax",
    "updatedMin",
    "q",
    "orderBy",
    "privateExtendedProperty",
)


def list_events(
    state: CalendarState,
    user: str,
    calendar_id: str,
    params: dict[str, list[str]],
    *,
    default_page_size: int,
    max_page_size: int,
) -> JsonDict:
    cal = state.calendar_for(user, calendar_id)
    page_size = _page_size(params, default_page_size, max_page_size)
    page_token = _one(params, "pageToken")
    if page_token is not None:
        cursor = state.page_cursors.get(page_token)
        if cursor is None or cursor.calendar_id != cal.id or cursor.user != user:
            raise ApiError(400, "invalid", "Invalid page token value.")
        if cursor.fingerprint != _fingerprint(params):
            raise ApiError(400, "invalid", "The page token does not match the query.")
        del state.page_cursors[page_token]
    else:
        cursor = _start_listing(state, user, cal.id, params)

    events = state.events[cal.id]
    chunk = cursor.event_ids[cursor.offset : cursor.offset + page_size]
    items = [_render(state, events[event_id]) for event_id in chunk if event_id in events]
    body: JsonDict = {
        "kind": "calendar#events",
        "etag": state.etag_for(cursor.as_of_seq),
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "updated": _latest_update(events.values()),
        "accessRole": state.role_of(user, cal.id),
        "defaultReminders": [],
        "items": items,
    }
    next_offset = cursor.offset + page_size
    if next_offset < len(cursor.event_ids):
        token = "EP" + secrets.token_urlsafe(18)
        cursor.offset = next_offset
        state.remember_cursor(token, cursor)
        body["nextPageToken"] = token
    else:
        # Only the last page carries nextSyncToken (API-FACTS); it marks the moment the listing
        # started, so changes made while paging come back in the next incremental list.
        body["nextSyncToken"] = state.issue_sync_token(cal.id, user, cursor.as_of_seq)
    return body


def _start_listing(
    state: CalendarState, user: str, calendar_id: str, params: dict[str, list[str]]
) -> PageCursor:
    events = state.events[calendar_id]
    sync_token = _one(params, "syncToken")
    if sync_token is not None:
        bad = [name for name in _NOT_WITH_SYNC_TOKEN if name in params]
        if bad:
            raise ApiError(400, "invalid", f"Sync token cannot be used with {bad[0]}.")
        known = state.sync_tokens.get(sync_token)
        if known is None or known.calendar_id != calendar_id or known.user != user:
            raise ApiError(
                410,
                "fullSyncRequired",
                "Sync token is no longer valid, a full sync is required.",
                domain="calendar",
            )
        # Incremental lists always include deletions, whatever showDeleted says.
        changed = sorted((e for e in events.values() if e.seq > known.seq), key=lambda e: e.seq)
        ids = [e.resource["id"] for e in changed]
    else:
        ids = [e.resource["id"] for e in _full_selection(state, events.values(), params)]
    return PageCursor(
        calendar_id=calendar_id,
        user=user,
        fingerprint=_fingerprint(params),
        event_ids=ids,
        as_of_seq=state.seq,
        offset=0,
    )


def _full_selection(
    state: CalendarState, events: Iterable[StoredEvent], params: dict[str, list[str]]
) -> list[StoredEvent]:
    show_deleted = _one(params, "showDeleted") == "true"
    time_min = _maybe_time(params, "timeMin")
    time_max = _maybe_time(params, "timeMax")
    if time_min and time_max and time_min >= time_max:
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
    wanted_props = [_split_property(p) for p in params.get("privateExtendedProperty", [])]
    selected: list[StoredEvent] = []
    for stored in events:
        if stored.cancelled and not show_deleted:
            continue
        start, end = state.event_span(stored)
        if time_min is not None and end <= time_min:
            continue
        if time_max is not None and start >= time_max:
            continue
        private = (stored.resource.get("extendedProperties") or {}).get("private") or {}
        if any(private.get(key) != value for key, value in wanted_props):
            continue
        selected.append(stored)
    return sorted(selected, key=lambda e: (state.event_span(e)[0], e.resource["id"]))


def _render(state: CalendarState, stored: StoredEvent) -> JsonDict:
    return state.tombstone(stored) if stored.cancelled else state.event_resource(stored)


def freebusy(
    state: CalendarState, user: str, body: JsonDict, *, max_calendars: int, max_days: int
) -> JsonDict:
    time_min = parse_rfc3339(body.get("timeMin"), "timeMin")
    time_max = parse_rfc3339(body.get("timeMax"), "timeMax")
    if time_min >= time_max:
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
    if time_max - time_min > timedelta(days=max_days):
        raise ApiError(400, "timeRangeTooLong", "The requested time range is too long.")
    items = body.get("items") or []
    if len(items) > max_calendars:
        raise ApiError(
            400, "tooManyCalendarsRequested", "Too many calendars requested in a single query."
        )
    calendars: JsonDict = {}
    for item in items:
        requested = str(item.get("id", ""))
        cal = state.calendars.get(state.resolve_calendar_id(user, requested))
        if cal is None or state.role_of(user, cal.id) is None or cal.unreadable:
            # Inside a 200, with an empty busy list: reading this as "free" is the trap.
            calendars[requested] = {
                "errors": [{"domain": "global", "reason": "notFound"}],
                "busy": [],
            }
            continue
        spans = []
        for stored in state.events[cal.id].values():
            if stored.cancelled or stored.resource.get("transparency") == "transparent":
                continue
            start, end = state.event_span(stored)
            if end > time_min and start < time_max:
                spans.append((max(start, time_min), min(end, time_max)))
        calendars[requested] = {
            "busy": [{"start": _z(s), "end": _z(e)} for s, e in _merge_spans(spans)]
        }
    return {
        "kind": "calendar#freeBusy",
        "timeMin": _z(time_min),
        "timeMax": _z(time_max),
        "calendars": calendars,
    }


def _merge_spans(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def _maybe_time(params: dict[str, list[str]], name: str) -> datetime | None:
    value = _one(params, name)
    return None if value is None else parse_rfc3339(value, name)


def _page_size(params: dict[str, list[str]], default: int, maximum: int) -> int:
    raw = _one(params, "maxResults")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, "invalid", "Invalid value for: maxResults") from exc
    if value < 1:
        raise ApiError(400, "invalid", "Invalid value for: maxResults")
    return min(value, maximum)


def _split_property(raw: str) -> tuple[str, str]:
    key, sep, value = raw.partition("=")
    if not sep:
        raise ApiError(400, "invalid", "Invalid extended property constraint.")
    return key, value


def _fingerprint(params: dict[str, list[str]]) -> str:
    ignored = {"pageToken", "maxResults", "alt", "prettyPrint", "fields"}
    return repr(sorted((k, sorted(v)) for k, v in params.items() if k not in ignored))


def _latest_update(events: Iterable[StoredEvent]) -> str:
    stamps = [str(e.resource.get("updated", "")) for e in events]
    return max(stamps) if stamps else "1970-01-01T00:00:00.000Z"
