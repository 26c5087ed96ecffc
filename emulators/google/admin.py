"""Admin operations: inspect the emulator, inject faults, and act as the user.

The same methods serve the Python handle (`emulator.admin.move_event(...)`) and the HTTP admin
endpoints (`POST /_admin/move_event` with the keyword arguments as a JSON object), so tests and
the demo exercise one piece of logic. Times may be `datetime`/`date` values or ISO strings
("2026-03-02" is an all-day date, anything longer a date-time with an offset).
"""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Any

from emulators.google.accounts import share
from emulators.google.entities import ApiError, JsonDict
from emulators.google.routes import WRITE_OPERATIONS, Dispatcher
from emulators.google.settings import EmulatorSettings, FailRule, LostResponse

TimeLike = datetime | date | str

# The names the HTTP admin endpoint may call; everything else is refused.
HTTP_ACTIONS = frozenset(
    {
        "state",
        "counters",
        "writes",
        "reset_counters",
        "events",
        "get_event",
        "configure",
        "fail_next",
        "clear_faults",
        "lose_next_insert_response",
        "expire_sync_tokens",
        "expire_access_tokens",
        "add_user",
        "grant",
        "revoke_grant",
        "add_calendar",
        "delete_calendar",
        "set_calendar_unreadable",
        "add_busy_event",
        "move_event",
        "resize_event",
        "rename_event",
        "delete_event",
        "share_calendar",
        "set_calendar_selected",
        "channels",
        "expire_channel",
        "push_log",
        "wait_push_idle",
    }
)


class AdminError(ValueError):
    """An admin call that cannot be done (unknown calendar or event, bad argument)."""


class EmulatorAdmin:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self._d = dispatcher

    # ---- inspection ------------------------------------------------------------------------------

    def state(self) -> JsonDict:
        """The whole in-memory state as JSON-ready data (what `GET /_admin/state` returns)."""
        with self._d.lock:
            st = self._d.state
            return {
                "settings": self._d.settings_dict(),
                "users": sorted(st.users),
                "grants": [asdict(g) for g in st.grants.values()],
                "calendars": [asdict(c) for c in st.calendars.values()],
                "events": {
                    cal_id: [e.resource for e in events.values()]
                    for cal_id, events in st.events.items()
                },
                "sync_tokens": len(st.sync_tokens),
                "counters": dict(self._d.counters),
            }

    def counters(self) -> dict[str, int]:
        """Requests seen: "http" (every non-admin HTTP request), "batch", "token", one key per
        Calendar operation ("events.insert", "events.list", … — batch parts included),
        "injected" (faults served) and "rate_limited"."""
        with self._d.lock:
            return dict(self._d.counters)

    def writes(self) -> int:
        """Calendar write operations seen (inserts, patches, updates, deletes, calendar inserts)."""
        with self._d.lock:
            return sum(self._d.counters[name] for name in WRITE_OPERATIONS)

    def reset_counters(self) -> None:
        with self._d.lock:
            self._d.counters.clear()

    def events(self, calendar_id: str) -> list[JsonDict]:
        """Every event of the calendar as stored, cancelled ones included (with all fields)."""
        with self._d.lock:
            return [dict(e.resource) for e in self._events_of(calendar_id).values()]

    def get_event(self, calendar_id: str, event_id: str) -> JsonDict | None:
        with self._d.lock:
            stored = self._events_of(calendar_id).get(event_id)
            return None if stored is None else dict(stored.resource)

    # ---- settings and faults ---------------------------------------------------------------------

    def configure(self, **changes: Any) -> JsonDict:
        known = {f.name for f in fields(EmulatorSettings)}
        unknown = set(changes) - known
        if unknown:
            raise AdminError(f"unknown settings: {sorted(unknown)}")
        with self._d.lock:
            for name, value in changes.items():
                setattr(self._d.settings, name, value)
            if "seed" in changes:
                self._d.rng.seed(changes["seed"])
            if "rate_limit_per_minute" in changes:
                self._d.reset_rate_windows()
            return self._d.settings_dict()

    def fail_next(
        self,
        count: int,
        status: int,
        *,
        method: str | None = None,
        path: str | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next `count` requests (and batch parts) matching `method` and the regular
        expression `path` (searched in the URL path, e.g. "/events$" or "^/batch/") with
        `status`. Without a filter the outer batch request itself is the first match."""
        rule = FailRule(
            remaining=int(count),
            status=int(status),
            method=method,
            path=re.compile(path) if path else None,
            reason=reason,
            retry_after=retry_after,
        )
        with self._d.lock:
            self._d.fail_rules.append(rule)

    def clear_faults(self) -> None:
        with self._d.lock:
            self._d.fail_rules.clear()
            self._d.lose_next_insert = None
            self._d.settings.error_rate = 0.0
            self._d.settings.latency = 0.0

    def lose_next_insert_response(self, mode: str = "timeout", hold_seconds: float = 2.0) -> None:
        """The next HTTP request that inserts an event (alone or in a batch) is applied in full,
        then its response is lost: "timeout" holds the connection `hold_seconds` and closes it
        unanswered; "drop" closes it at once (httplib2 then silently re-sends the request once,
        which meets a 409 — also a real-world outcome)."""
        if mode not in ("timeout", "drop"):
            raise AdminError("mode must be 'timeout' or 'drop'")
        with self._d.lock:
            self._d.lose_next_insert = LostResponse(mode=mode, hold_seconds=float(hold_seconds))

    def expire_sync_tokens(self) -> int:
        """Every sync token issued so far answers 410 fullSyncRequired from now on."""
        with self._d.lock:
            return self._d.state.expire_sync_tokens()

    def expire_access_tokens(self) -> int:
        """Every access token answers 401 from now on; refresh tokens still work."""
        with self._d.lock:
            count = len(self._d.state.access_tokens)
            self._d.state.access_tokens.clear()
            return count

    # ---- identity --------------------------------------------------------------------------------

    def add_user(self, email: str, time_zone: str = "UTC") -> JsonDict:
        """A new user with a primary calendar and a fresh grant; returns `grant(email)`."""
        with self._d.lock:
            if email in self._d.state.users:
                raise AdminError("user exists")
            self._d.state.add_user(email, time_zone=time_zone)
            self._d.state.add_grant(email, self._d.settings.client_id)
            return self.grant(email)

    def grant(self, email: str | None = None) -> JsonDict:
        """The user's live grant and a newly issued access token: what an OAuth consent gives."""
        user = email or self._d.settings.default_user
        with self._d.lock:
            live = [g for g in self._d.state.grants.values() if g.user == user and not g.revoked]
            if not live:
                raise AdminError("no live grant for that user")
            access = self._d.state.issue_access_token(live[0], self._d.settings.access_token_ttl)
            return {
                "email": user,
                "client_id": self._d.settings.client_id,
                "client_secret": self._d.settings.client_secret,
                "refresh_token": live[0].refresh_token,
                "access_token": access.token,
                "token_expiry": access.expires_at.isoformat(),
                "primary_calendar_id": user,
            }

    def revoke_grant(self, email: str | None = None, refresh_token: str | None = None) -> int:
        """The user revokes access: refresh → 400 invalid_grant, access tokens → 401."""
        user = email or self._d.settings.default_user
        with self._d.lock:
            grants = [
                g
                for g in self._d.state.grants.values()
                if (g.refresh_token == refresh_token if refresh_token else g.user == user)
            ]
            for g in grants:
                self._d.state.revoke(g)
            if not refresh_token:
                # Removing the app's access also ends tokens of online consents, and the next
                # consent counts as a first one (a new refresh token).
                self._d.state.revoke_consent(user, self._d.settings.client_id)
            return len(grants)

    # ---- calendars, acting as the user -----------------------------------------------------------

    def add_calendar(
        self,
        summary: str,
        *,
        user: str | None = None,
        calendar_id: str | None = None,
        time_zone: str = "UTC",
    ) -> str:
        owner = user or self._d.settings.default_user
        with self._d.lock:
            created = self._call(
                lambda: self._d.state.insert_calendar(
                    owner, {"summary": summary, "timeZone": time_zone}
                )
            )
            if calendar_id is not None:
                st = self._d.state
                if calendar_id in st.calendars:
                    raise AdminError("calendar exists")
                cal = st.calendars.pop(created["id"])
                cal.id = calendar_id
                st.calendars[calendar_id] = cal
                st.events[calendar_id] = st.events.pop(created["id"])
                listed = st.calendar_lists[owner]
                listed[calendar_id] = listed.pop(created["id"])
            return calendar_id or str(created["id"])

    def delete_calendar(self, calendar_id: str) -> None:
        """The owner deletes the calendar: watch channels on it get `not_exists`, then stop."""
        with self._d.lock:
            self._d.push.calendar_gone(calendar_id)
            self._d.state.delete_calendar(calendar_id)

    def share_calendar(
        self, calendar_id: str, user: str, access_role: str = "reader", selected: bool = True
    ) -> None:
        """Someone shares a calendar with `user`: it joins their calendar list with that role
        (owner, writer, reader, freeBusyReader) and `selected` flag."""
        with self._d.lock:
            self._call(
                lambda: share(self._d.state, calendar_id, user, access_role, selected=selected)
            )

    def set_calendar_selected(
        self, calendar_id: str, selected: bool = True, user: str | None = None
    ) -> None:
        """The user ticks (or unticks) the calendar in Google Calendar's sidebar."""
        with self._d.lock:
            entry = self._d.state.calendar_lists.get(user or self._owner(calendar_id), {})
            if calendar_id not in entry:
                raise AdminError("that calendar is not on the user's list")
            entry[calendar_id].selected = bool(selected)

    # ---- push channels ---------------------------------------------------------------------------

    def channels(self) -> list[JsonDict]:
        with self._d.lock:
            return self._d.push.describe()

    def expire_channel(self, channel_id: str) -> None:
        """The channel reaches its expiration now: nothing more is sent on it."""
        with self._d.lock:
            channel = self._d.push.channels.get(channel_id)
            if channel is None:
                raise AdminError("no such channel")
            channel.expiration_ms = int(self._d.state.now().timestamp() * 1000)

    def push_log(self) -> list[JsonDict]:
        """Every notification attempt: label ("<channel>#<n> <state>"), url, attempt, status,
        error, outcome (delivered, retrying, gave_up, dropped)."""
        return self._d.push.outbox.attempts()

    def wait_push_idle(self, timeout: float = 10.0) -> bool:
        """True once no notification is queued, retrying or in flight."""
        return self._d.push.outbox.wait_idle(float(timeout))

    def set_calendar_unreadable(self, calendar_id: str, unreadable: bool = True) -> None:
        """freeBusy then reports this calendar with errors[notFound] inside a 200."""
        with self._d.lock:
            cal = self._d.state.calendars.get(calendar_id)
            if cal is None:
                raise AdminError("no such calendar")
            cal.unreadable = unreadable

    def add_busy_event(
        self, calendar_id: str, start: TimeLike, end: TimeLike, summary: str = "Busy"
    ) -> str:
        with self._d.lock:
            owner = self._owner(calendar_id)
            body = {"summary": summary, "start": _event_time(start), "end": _event_time(end)}
            created = self._call(lambda: self._d.state.insert_event(owner, calendar_id, body))
            return str(created["id"])

    def move_event(
        self, calendar_id: str, event_id: str, start: TimeLike, end: TimeLike
    ) -> JsonDict:
        """The user drags (and maybe resizes) the event in the Calendar UI."""
        return self._user_patch(
            calendar_id, event_id, {"start": _event_time(start), "end": _event_time(end)}
        )

    def resize_event(self, calendar_id: str, event_id: str, end: TimeLike) -> JsonDict:
        return self._user_patch(calendar_id, event_id, {"end": _event_time(end)})

    def rename_event(
        self,
        calendar_id: str,
        event_id: str,
        summary: str | None = None,
        description: str | None = None,
    ) -> JsonDict:
        patch: JsonDict = {}
        if summary is not None:
            patch["summary"] = summary
        if description is not None:
            patch["description"] = description
        return self._user_patch(calendar_id, event_id, patch)

    def delete_event(self, calendar_id: str, event_id: str) -> JsonDict:
        """The user deletes the event: it becomes a cancelled tombstone, its id stays taken."""
        with self._d.lock:
            owner = self._owner(calendar_id)
            self._call(lambda: self._d.state.delete_event(owner, calendar_id, event_id, None))
            return dict(self._events_of(calendar_id)[event_id].resource)

    # ---- helpers ---------------------------------------------------------------------------------

    def _user_patch(self, calendar_id: str, event_id: str, patch: JsonDict) -> JsonDict:
        with self._d.lock:
            owner = self._owner(calendar_id)
            patched: JsonDict = self._call(
                lambda: self._d.state.patch_event(owner, calendar_id, event_id, patch, None)
            )
            return patched

    def _owner(self, calendar_id: str) -> str:
        cal = self._d.state.calendars.get(calendar_id)
        if cal is None:
            raise AdminError("no such calendar")
        return cal.owner

    def _events_of(self, calendar_id: str) -> dict[str, Any]:
        events = self._d.state.events.get(calendar_id)
        if events is None:
            raise AdminError("no such calendar")
        return events

    @staticmethod
    def _call(operation: Any) -> Any:
        try:
            return operation()
        except ApiError as err:
            raise AdminError(f"{err.status} {err.reason}: {err.message}") from err


def _event_time(value: TimeLike) -> JsonDict:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise AdminError("date-times need a time zone")
        return {"dateTime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if len(value) == 10:
        return {"date": value}
    return {"dateTime": value}
