"""Google accounts as a newly connected student has them: a primary calendar, calendars they
created, and calendars others share with them (each with an access role and a `selected` flag,
as `calendarList.list` shows them)."""

from __future__ import annotations

from typing import Any

from emulators.google.entities import ROLE_RANK, ApiError, Calendar, ListEntry
from emulators.google.state import CalendarState

# Who owns the calendars that exist before any user does (public holiday calendars).
SYSTEM_OWNER = "calendar-system@group.v.calendar.google.com"


def share(
    state: CalendarState, calendar_id: str, user: str, access_role: str, *, selected: bool
) -> None:
    """`calendar_id` appears on `user`'s calendar list with `access_role` (owner, writer,
    reader, freeBusyReader)."""
    if access_role not in ROLE_RANK:
        raise ApiError(400, "invalid", f"Unknown access role {access_role!r}")
    if calendar_id not in state.calendars:
        raise ApiError(404, "notFound", "Not Found")
    state.calendar_lists.setdefault(user, {})[calendar_id] = ListEntry(access_role, selected)


def sign_up(
    state: CalendarState, user: str, *, time_zone: str, calendars: list[dict[str, Any]]
) -> None:
    """A new account: its primary calendar, plus `calendars` — each {"summary", "id"?,
    "access_role" (default owner), "selected" (default true)}; a calendar with an id that
    already exists (a public holiday calendar) is shared, not created again."""
    state.add_user(user, time_zone=time_zone)
    for spec in calendars:
        role = str(spec.get("access_role", "owner"))
        selected = bool(spec.get("selected", True))
        summary = str(spec.get("summary") or "Calendar")
        calendar_id = spec.get("id")
        if calendar_id is None and role == "owner":
            created = state.insert_calendar(user, {"summary": summary, "timeZone": time_zone})
            state.calendar_lists[user][created["id"]].selected = selected
            continue
        calendar_id = str(calendar_id or f"{summary.lower().replace(' ', '.')}@group.calendar")
        if calendar_id not in state.calendars:
            state.calendars[calendar_id] = Calendar(
                id=calendar_id,
                owner=user if role == "owner" else SYSTEM_OWNER,
                summary=summary,
                description="",
                time_zone=time_zone,
                etag=state.etag_for(state.seq + 1),
            )
            state.seq += 1
            state.events[calendar_id] = {}
        share(state, calendar_id, user, role, selected=selected)
