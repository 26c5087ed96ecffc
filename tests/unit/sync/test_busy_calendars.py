"""Which calendars' busy time the planner reads by default (services/sync/calendars.py)."""

from __future__ import annotations

from integrations.google_calendar.values import CalendarInfo
from services.sync.calendars import busy_calendar_ids, choose_busy_calendars

PRIMARY = CalendarInfo("maya@example.edu", "maya@example.edu", True, "owner", selected=True)
CLASSES = CalendarInfo("classes@group", "Classes & work", False, "owner", selected=False)
TEAM = CalendarInfo("team@group", "Lab team", False, "reader", selected=True)
HOLIDAYS = CalendarInfo("holidays@group", "Holidays", False, "reader", selected=False)
ADVISOR = CalendarInfo("advisor@x", "Advisor", False, "freeBusyReader", selected=True)
STUDY = CalendarInfo("study@group", "Study plan", False, "owner", selected=True, ours=True)
ODD = CalendarInfo("odd@group", "Odd", False, "none", selected=True)
ALL = [STUDY, HOLIDAYS, TEAM, CLASSES, ADVISOR, ODD, PRIMARY]


def test_owned_or_shown_calendars_are_read_and_never_the_study_calendar() -> None:
    ids = busy_calendar_ids(ALL, study_calendar_id=None)
    assert ids == [PRIMARY.id, ADVISOR.id, CLASSES.id, TEAM.id]  # primary first, then by name
    reasons = {c.calendar.id: c.why for c in choose_busy_calendars(ALL, study_calendar_id=None)}
    assert reasons[CLASSES.id] == "yours"  # owned counts even when hidden
    assert reasons[TEAM.id] == "shown in your Google Calendar"
    assert reasons[HOLIDAYS.id] == "hidden in your Google Calendar"
    assert reasons[STUDY.id] == "our study calendar: the plan itself"
    assert reasons[ODD.id].startswith("no access")


def test_the_study_calendar_is_left_out_by_id_too() -> None:
    unmarked = CalendarInfo("study@group", "Study plan", False, "owner", selected=True)
    assert busy_calendar_ids([PRIMARY, unmarked], study_calendar_id="study@group") == [PRIMARY.id]


def test_named_calendars_replace_the_default() -> None:
    chosen = choose_busy_calendars(ALL, study_calendar_id=None, explicit=["primary", TEAM.id])
    assert [c.calendar.id for c in chosen if c.used] == [PRIMARY.id, TEAM.id]
    explicit_study = choose_busy_calendars(ALL, study_calendar_id=None, explicit=[STUDY.id])
    assert not any(c.used for c in explicit_study)  # not even when named
