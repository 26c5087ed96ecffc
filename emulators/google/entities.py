"""What the Google Calendar emulator stores — grants, tokens, calendars, events, sync tokens and
page cursors — with the limits, error and time formats its state and routes share."""

from __future__ import annotations

import copy
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

JsonDict = dict[str, Any]


MAX_SYNC_TOKENS = 200_000
MAX_PAGE_CURSORS = 20_000
EVENT_ID_RE = re.compile(r"^[0-9a-v]{5,1024}$")
# Fields a client may write on an event; anything else in a body is ignored, like Google does
# for read-only fields (id, etag, created, updated, organizer, creator, iCalUID, sequence).
WRITABLE_EVENT_FIELDS = (
    "summary",
    "description",
    "location",
    "colorId",
    "transparency",
    "visibility",
    "status",
    "start",
    "end",
    "recurrence",
    "attendees",
    "source",
    "reminders",
    "extendedProperties",
)
# start/end are replaced wholesale on patch: merging {"date"} into {"dateTime"} would leave both.
REPLACED_ON_PATCH = ("start", "end", "recurrence", "attendees")


class ApiError(Exception):
    """A refusal with Google's status, reason and message."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.headers = headers or {}


# What a grant made by the admin API (or the default user's) holds: Calendar, read and write.
FULL_SCOPES = frozenset({"https://www.googleapis.com/auth/calendar"})
# A user's access to a calendar, weakest first (Calendar's ACL roles).
ROLE_RANK = {"freeBusyReader": 1, "reader": 2, "writer": 3, "owner": 4}


@dataclass
class Grant:
    """One refresh token: what an offline consent gave the client."""

    refresh_token: str
    user: str
    client_id: str
    revoked: bool = False
    scopes: frozenset[str] = FULL_SCOPES


@dataclass
class AccessToken:
    token: str
    user: str
    refresh_token: str | None  # None: issued by an online consent, no grant behind it
    expires_at: datetime
    scopes: frozenset[str] = FULL_SCOPES
    client_id: str = ""


@dataclass
class Authorization:
    """What a user has consented to for one client: the scopes so far (include_granted_scopes
    adds to them) and whether a refresh token was issued since the last revocation — Google
    hands out a refresh token on the first offline consent only, or again with prompt=consent."""

    user: str
    client_id: str
    scopes: set[str]
    refresh_issued: bool = False


@dataclass
class ListEntry:
    """A calendar on a user's calendar list, with the user's access role to it."""

    access_role: str  # owner, writer, reader, freeBusyReader
    selected: bool = True


@dataclass
class Calendar:
    id: str
    owner: str
    summary: str
    description: str
    time_zone: str
    etag: str
    primary: bool = False
    unreadable: bool = False


@dataclass
class StoredEvent:
    calendar_id: str
    resource: JsonDict
    seq: int  # global change number of the last modification: what sync tokens compare against

    @property
    def cancelled(self) -> bool:
        return bool(self.resource.get("status") == "cancelled")


@dataclass
class SyncToken:
    calendar_id: str
    user: str
    seq: int


@dataclass
class PageCursor:
    """A listing in progress: ids fixed at the first page, the token issued on the last."""

    calendar_id: str
    user: str
    fingerprint: str
    event_ids: list[str]
    as_of_seq: int
    offset: int


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _auth_error(message: str, *, reason: str = "authError") -> ApiError:
    return ApiError(401, reason, message, headers={"WWW-Authenticate": 'Bearer realm="emulator"'})


def _random_event_id() -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    return "".join(secrets.choice(alphabet) for _ in range(26))


def _merge(base: JsonDict, patch: JsonDict) -> JsonDict:
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ApiError(400, "invalid", f"Invalid time zone definition: {name}") from exc


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_rfc3339(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise ApiError(400, "required", f"Missing {what}.")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ApiError(400, "invalid", f"Bad Request: invalid {what}") from exc
    if moment.tzinfo is None:
        raise ApiError(400, "invalid", f"Bad Request: {what} needs an offset")
    return moment


def _parse_event_time(raw: object, cal: Calendar, which: str) -> tuple[datetime, bool, JsonDict]:
    """Return (instant, all_day, normalised resource). Timed values are rendered in the event's or
    the calendar's zone, like Google does — clients must compare instants, not strings."""
    if not isinstance(raw, dict):
        raise ApiError(400, "required", f"Missing {which} time.")
    if raw.get("date") is not None:
        try:
            day = date.fromisoformat(str(raw["date"]))
        except ValueError as exc:
            raise ApiError(400, "invalid", f"Invalid {which} date.") from exc
        zone = _zone(cal.time_zone)
        return datetime.combine(day, datetime.min.time(), zone), True, {"date": day.isoformat()}
    if raw.get("dateTime") is None:
        raise ApiError(400, "required", f"Missing {which} time.")
    text = str(raw["dateTime"])
    zone_name = raw.get("timeZone")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(400, "invalid", f"Invalid {which} time.") from exc
    if moment.tzinfo is None:
        if not zone_name:
            raise ApiError(400, "required", f"Missing time zone definition for {which} time.")
        moment = moment.replace(tzinfo=_zone(str(zone_name)))
    display = _zone(str(zone_name) if zone_name else cal.time_zone)
    rendered: JsonDict = {"dateTime": moment.astimezone(display).isoformat()}
    if zone_name:
        rendered["timeZone"] = zone_name
    return moment.astimezone(UTC), False, rendered
