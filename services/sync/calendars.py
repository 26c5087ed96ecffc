"""Whose busy time the planner respects: by default every calendar the student owns or has
selected (shown) in Google Calendar — their class schedule in a second calendar, a shared team
calendar they show — and never our own study calendar, whose events are the plan itself.

Pure: calendar-list entries in, a decision per calendar out (what `connect google` prints and
what the sync asks free/busy for). `--calendar` replaces the default with an explicit list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from integrations.google_calendar.values import CalendarInfo

# freeBusyReader is enough: free/busy is all we read from the others' calendars.
READABLE_ROLES = frozenset({"owner", "writer", "reader", "freeBusyReader"})


@dataclass(frozen=True, slots=True)
class CalendarChoice:
    calendar: CalendarInfo
    used: bool
    why: str


def choose_busy_calendars(
    calendars: Sequence[CalendarInfo],
    *,
    study_calendar_id: str | None,
    explicit: Sequence[str] = (),
) -> list[CalendarChoice]:
    """Primary first, then by name."""
    wanted = set(explicit)
    ordered = sorted(calendars, key=lambda c: (not c.primary, c.summary.lower(), c.id))
    return [CalendarChoice(cal, *_decide(cal, study_calendar_id, wanted)) for cal in ordered]


def _decide(cal: CalendarInfo, study_calendar_id: str | None, wanted: set[str]) -> tuple[bool, str]:
    if cal.ours or cal.id == study_calendar_id:
        return False, "our study calendar: the plan itself"
    if wanted:
        named = cal.id in wanted or (cal.primary and "primary" in wanted)
        return named, "named with --calendar" if named else "not named with --calendar"
    if cal.access_role not in READABLE_ROLES:
        return False, f"no access to its times ({cal.access_role or 'none'})"
    if cal.access_role == "owner":
        return True, "yours"
    if cal.selected:
        return True, "shown in your Google Calendar"
    return False, "hidden in your Google Calendar"


def busy_calendar_ids(
    calendars: Sequence[CalendarInfo], *, study_calendar_id: str | None
) -> list[str]:
    chosen = choose_busy_calendars(calendars, study_calendar_id=study_calendar_id)
    return [c.calendar.id for c in chosen if c.used]
