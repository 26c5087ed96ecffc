"""OAuth scopes: which ones the consent page knows, and which ones each Calendar call accepts.

A token without an accepted scope gets Google's 403 `insufficientPermissions`: with granular
consent the user may grant less than the app asked for, and the app must notice (the token
answer's `scope`), not find out on the first write.
"""

from __future__ import annotations

from emulators.google.entities import ApiError

_AUTH = "https://www.googleapis.com/auth/"
CALENDAR = _AUTH + "calendar"
CALENDAR_READONLY = _AUTH + "calendar.readonly"
EVENTS = _AUTH + "calendar.events"
EVENTS_READONLY = _AUTH + "calendar.events.readonly"
FREEBUSY = _AUTH + "calendar.freebusy"
CALENDARLIST_READONLY = _AUTH + "calendar.calendarlist.readonly"
EMAIL = _AUTH + "userinfo.email"
PROFILE = _AUTH + "userinfo.profile"

# scope -> what the consent page says about it
KNOWN: dict[str, str] = {
    CALENDAR: "See, edit, share, and permanently delete all the calendars you can access",
    CALENDAR_READONLY: "See and download any calendar you can access",
    EVENTS: "View and edit events on all your calendars",
    EVENTS_READONLY: "View events on all your calendars",
    FREEBUSY: "See the free/busy information of your calendars",
    CALENDARLIST_READONLY: "See the list of Google calendars you're subscribed to",
    EMAIL: "See your primary Google Account email address",
    PROFILE: "See your personal info",
    "openid": "Associate you with your personal info on Google",
    "email": "See your primary Google Account email address",
    "profile": "See your personal info",
}
# Granted without a checkbox: Google does not let the user untick sign-in scopes.
BASIC = frozenset({"openid", "email", "profile", EMAIL, PROFILE})
FULL = frozenset({CALENDAR})

_READ = frozenset({CALENDAR, CALENDAR_READONLY, EVENTS, EVENTS_READONLY})
_WRITE = frozenset({CALENDAR, EVENTS})
ACCEPTED: dict[str, frozenset[str]] = {
    "calendarList.list": frozenset({CALENDAR, CALENDAR_READONLY, CALENDARLIST_READONLY}),
    "calendars.insert": frozenset({CALENDAR}),
    "calendars.get": frozenset({CALENDAR, CALENDAR_READONLY}),
    "events.list": _READ,
    "events.get": _READ,
    "events.watch": _READ,
    "events.insert": _WRITE,
    "events.patch": _WRITE,
    "events.update": _WRITE,
    "events.delete": _WRITE,
    "freebusy.query": _READ | {FREEBUSY},
    "channels.stop": _READ,
}


def check(operation: str, granted: frozenset[str]) -> None:
    accepted = ACCEPTED.get(operation)
    if accepted is None or granted & accepted:
        return
    raise ApiError(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
            f'error="insufficient_scope", scope="{" ".join(sorted(accepted))}"'
        },
    )


def parse(raw: str | None) -> list[str]:
    """A `scope` parameter: space-separated (Google also takes commas), order kept, no repeats."""
    return list(dict.fromkeys((raw or "").replace(",", " ").split()))
