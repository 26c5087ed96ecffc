"""GoogleCalendarClient: the only code that talks to Google Calendar v3.

Built on google-api-python-client with the packaged (static) discovery document, so it never
fetches discovery over the network, and with `api_endpoint` from configuration, so the same code
talks to Google or to the local emulator. The client retries nothing itself
(`execute(num_retries=0)`): every failure is mapped onto `integrations.errors` and the worker
decides (backoff honouring `retry_after`, or stop).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
from googleapiclient.discovery import build
from googleapiclient.http import HttpRequest

from integrations.errors import ConflictError, IntegrationError, NotFoundError
from integrations.google_calendar import credentials as creds_mod
from integrations.google_calendar import freebusy as fb
from integrations.google_calendar import push as push_channels
from integrations.google_calendar import write_outcomes as outcomes
from integrations.google_calendar.batches import run_batches
from integrations.google_calendar.errors import (
    SyncTokenExpiredError,
    map_status,
    mapped_errors,
)
from integrations.google_calendar.ids import InvalidEventIdError, validate_event_id
from integrations.google_calendar.values import (
    CalendarInfo,
    ChangeSet,
    EventWrite,
    EventWriteResult,
    RemoteEvent,
    TokenRefresh,
    WatchChannel,
    WriteOutcome,
)
from integrations.google_calendar.wire import (
    JsonDict,
    insert_body,
    parse_event,
    patch_body,
)
from planner.values import BusyInterval

log = logging.getLogger(__name__)

MAX_BATCH = 50  # the old documented limit; the current doc says 1000 (API-FACTS)
FREEBUSY_MAX_CALENDARS = 50
FREEBUSY_MAX_WINDOW = timedelta(days=90)
STUDY_CALENDAR_MARKER = "Managed by studyplanner. Events here are placed by your study plan."
_PAGE_SIZE = 250
_Key = TypeVar("_Key")


class GoogleCalendarClient:
    def __init__(
        self,
        base_url: str,
        token_uri: str,
        access_token: str | None,
        refresh_token: str,
        client_id: str,
        client_secret: str,
        token_expiry: datetime | None,
        timeout: float = 30.0,
        *,
        max_batch: int = MAX_BATCH,
        page_size: int = _PAGE_SIZE,
    ) -> None:
        base = base_url.rstrip("/")
        base = base.removesuffix("/calendar/v3")
        self._timeout = timeout
        self._max_batch = max(1, min(max_batch, MAX_BATCH))
        self._page_size = page_size
        self._initial_token = access_token
        self._credentials = creds_mod.build_credentials(
            access_token=access_token,
            refresh_token=refresh_token,
            token_uri=token_uri,
            client_id=client_id,
            client_secret=client_secret,
            token_expiry=token_expiry,
        )
        self._http = google_auth_httplib2.AuthorizedHttp(
            self._credentials, http=httplib2.Http(timeout=timeout)
        )
        self._service: Any = build(
            "calendar",
            "v3",
            http=self._http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": base + "/calendar/v3/"},
        )
        # Batches ignore api_endpoint (they would go to www.googleapis.com): set it ourselves.
        self._batch_uri = base + "/batch/calendar/v3"

    # ---- tokens ------------------------------------------------------------------------------

    @property
    def token(self) -> TokenRefresh:
        """The access token in use now, with its expiry."""
        return creds_mod.token_state(self._credentials)

    @property
    def refreshed_token(self) -> TokenRefresh | None:
        """The new token if the client refreshed since it was built (store it), else None."""
        if self._credentials.token and self._credentials.token != self._initial_token:
            return self.token
        return None

    def refresh_if_expired(self) -> TokenRefresh | None:
        return creds_mod.refresh_if_expired(self._credentials, timeout=self._timeout)

    def close(self) -> None:
        for connection in list(self._http.http.connections.values()):
            connection.close()
        self._http.http.connections.clear()

    # ---- calendars ---------------------------------------------------------------------------

    def list_calendars(self) -> list[CalendarInfo]:
        return [
            CalendarInfo(
                id=str(entry["id"]),
                summary=str(entry.get("summaryOverride") or entry.get("summary") or ""),
                primary=bool(entry.get("primary")),
                access_role=str(entry.get("accessRole") or ""),
                selected=bool(entry.get("selected")),
                ours=entry.get("description") == STUDY_CALENDAR_MARKER,
            )
            for entry in self._calendar_list_entries()
        ]

    def ensure_study_calendar(
        self,
        existing_id: str | None,
        summary: str = "Study plan",
        *,
        time_zone: str | None = None,
        recreate_if_missing: bool = False,
    ) -> str:
        """The study calendar's id, creating it on first use. A stored id whose calendar is gone
        raises NotFoundError unless `recreate_if_missing` (the safety valve: a vanished calendar
        waits for an admin instead of silently starting over)."""
        if existing_id:
            try:
                self._execute(
                    self._service.calendars().get(calendarId=existing_id), "calendars.get"
                )
                return existing_id
            except NotFoundError:
                if not recreate_if_missing:
                    raise
        # A calendar we created before but whose id was never stored (crash after the insert):
        # find it by our marker rather than creating a second one.
        for entry in self._calendar_list_entries():
            if (
                entry.get("description") == STUDY_CALENDAR_MARKER
                and entry.get("accessRole") == "owner"
                and entry.get("id") != existing_id
            ):
                return str(entry["id"])
        body: JsonDict = {"summary": summary, "description": STUDY_CALENDAR_MARKER}
        if time_zone:
            body["timeZone"] = time_zone
        created = self._execute(self._service.calendars().insert(body=body), "calendars.insert")
        return str(created["id"])

    def _calendar_list_entries(self) -> Iterator[JsonDict]:
        page_token: str | None = None
        while True:
            page = self._execute(
                self._service.calendarList().list(pageToken=page_token, maxResults=250),
                "calendarList.list",
            )
            yield from page.get("items", [])
            page_token = page.get("nextPageToken")
            if not page_token:
                return

    # ---- busy times --------------------------------------------------------------------------

    def freebusy(
        self, calendar_ids: Iterable[str], time_min: datetime, time_max: datetime
    ) -> list[BusyInterval]:
        """Busy intervals of every calendar over [time_min, time_max), queried in chunks of ≤ 50
        calendars and ≤ 90-day windows. A calendar Google reports with an error (inside a 200)
        raises: its busy times are unknown, never "free"."""
        if time_min.tzinfo is None or time_max.tzinfo is None:
            raise ValueError("time_min and time_max must be timezone-aware")
        if time_min >= time_max:
            raise ValueError("time_min must be before time_max")
        ids = list(dict.fromkeys(calendar_ids))
        busy: dict[str, list[BusyInterval]] = {cal_id: [] for cal_id in ids}
        for window_start, window_end in fb.windows(time_min, time_max, FREEBUSY_MAX_WINDOW):
            for chunk in fb.chunks(ids, FREEBUSY_MAX_CALENDARS):
                body = {
                    "timeMin": window_start.isoformat(),
                    "timeMax": window_end.isoformat(),
                    "items": [{"id": cal_id} for cal_id in chunk],
                }
                answer = self._execute(self._service.freebusy().query(body=body), "freebusy.query")
                fb.collect(answer, chunk, busy)
        merged: list[BusyInterval] = []
        for cal_id in ids:
            merged.extend(fb.merge_busy(busy[cal_id]))
        return merged

    # ---- events: read ------------------------------------------------------------------------

    def get_event(self, calendar_id: str, event_id: str) -> RemoteEvent | None:
        """The event (cancelled ones included: Google keeps deleted events), None if unknown."""
        try:
            resource = self._execute(
                self._service.events().get(calendarId=calendar_id, eventId=event_id),
                "events.get",
            )
        except NotFoundError:
            return None
        return parse_event(resource)

    def list_changes(self, calendar_id: str, sync_token: str | None) -> ChangeSet:
        """Changes since `sync_token` (all pages), or everything when there is no token or it
        expired (410 → full listing, `full_resync=True`: the caller diffs for deletions)."""
        expired = False
        if sync_token:
            try:
                events, token = self._list_all(calendar_id, sync_token)
                return ChangeSet(tuple(events), token, full_resync=False)
            except SyncTokenExpiredError:
                log.info("google sync token expired; doing a full listing")
                expired = True
        events, token = self._list_all(calendar_id, None)
        return ChangeSet(tuple(events), token, full_resync=True, sync_token_expired=expired)

    def _list_all(self, calendar_id: str, sync_token: str | None) -> tuple[list[RemoteEvent], str]:
        events: list[RemoteEvent] = []
        page_token: str | None = None
        while True:
            # Same parameters for the full and the incremental listing: Google requires the
            # incremental one to repeat the query the token was issued for.
            request = self._service.events().list(
                calendarId=calendar_id,
                syncToken=sync_token,
                pageToken=page_token,
                showDeleted=True,
                maxResults=self._page_size,
            )
            page = self._execute(request, "events.list")
            events.extend(parse_event(item) for item in page.get("items", []))
            page_token = page.get("nextPageToken")
            if page_token:
                continue
            next_sync_token = page.get("nextSyncToken")
            if not next_sync_token:
                raise map_status(
                    200,
                    "noSyncToken",
                    "listing ended without a sync token",
                    operation="events.list",
                )
            return events, str(next_sync_token)

    # ---- push channels -----------------------------------------------------------------------

    def watch_events(
        self, calendar_id: str, channel_id: str, address: str, token: str, ttl: timedelta
    ) -> WatchChannel:
        """Google then POSTs to `address` (headers only: run `list_changes`) after every change;
        `token` comes back as X-Goog-Channel-Token (a per-channel secret). Channels are not
        renewed and `ttl` may be cut down: watch again before `expiration`."""
        body = push_channels.watch_body(channel_id, address, token, ttl)
        answer = self._execute(
            self._service.events().watch(calendarId=calendar_id, body=body), "events.watch"
        )
        return push_channels.parse_channel(answer, channel_id)

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """Stop notifications on a channel (NotFoundError if it is unknown or expired)."""
        body = {"id": channel_id, "resourceId": resource_id}
        self._execute(self._service.channels().stop(body=body), "channels.stop")

    # ---- events: write -----------------------------------------------------------------------

    def push(self, calendar_id: str, ops: Sequence[EventWrite]) -> list[EventWriteResult]:
        """Apply inserts, patches and deletes in batches of ≤ 50; one result per op, in order.

        A failed item does not fail the others: retry only the items whose result is an error.
        Insert 409 → the event is fetched: ours and alive → "adopted"; cancelled →
        "user_deleted" (never recreate). Patch/delete 412 → the event is fetched: cancelled →
        "user_deleted", else ConflictError with the current event in `result.event` (reconcile,
        never overwrite the user). Patch/delete should carry the stored etag; without one the
        write is unconditional. Only NeedsReauthError is raised for the whole call.
        """
        results: dict[int, EventWriteResult] = {}
        requests: list[tuple[int, str, HttpRequest]] = []
        for index, op in enumerate(ops):
            try:
                event_id = validate_event_id(op.target_event_id)
            except InvalidEventIdError as exc:
                results[index] = outcomes.failed(
                    op, op.target_event_id, outcomes.permanent(str(exc), op)
                )
                continue
            requests.append(
                (index, outcomes.operation(op), self._write_request(calendar_id, op, event_id))
            )

        answers = self._run_batches(requests)
        refetch: list[int] = []
        for index, _op_name, _request in requests:
            op = ops[index]
            event_id = op.target_event_id
            payload, error = answers[index]
            if error is None:
                event = parse_event(payload) if payload else None
                outcome: WriteOutcome = (
                    "user_deleted" if event is not None and event.cancelled else "ok"
                )
                results[index] = EventWriteResult(op, event_id, outcome, event=event)
            elif isinstance(error, ConflictError) and error.status in (409, 412):
                refetch.append(index)
                results[index] = outcomes.failed(op, event_id, error)
            elif op.kind == "delete" and isinstance(error, NotFoundError):
                results[index] = EventWriteResult(op, event_id, "already_deleted")
            else:
                results[index] = outcomes.failed(op, event_id, error)

        if refetch:
            gets = [
                (
                    index,
                    "events.get",
                    self._service.events().get(
                        calendarId=calendar_id, eventId=ops[index].target_event_id
                    ),
                )
                for index in refetch
            ]
            fetched = self._run_batches(gets)
            for index in refetch:
                results[index] = outcomes.after_refetch(results[index], *fetched[index])
        return [results[index] for index in range(len(ops))]

    def _write_request(self, calendar_id: str, op: EventWrite, event_id: str) -> HttpRequest:
        events = self._service.events()
        if op.kind == "insert":
            request: HttpRequest = events.insert(
                calendarId=calendar_id, body=insert_body(op, event_id)
            )
        elif op.kind == "patch":
            request = events.patch(calendarId=calendar_id, eventId=event_id, body=patch_body(op))
        else:
            request = events.delete(calendarId=calendar_id, eventId=event_id)
        if op.etag and op.kind in ("patch", "delete"):
            request.headers["If-Match"] = op.etag
        return request

    # ---- plumbing ----------------------------------------------------------------------------

    def _execute(self, request: HttpRequest, operation: str) -> JsonDict:
        with mapped_errors(operation):
            result = request.execute(num_retries=0)
        return result if isinstance(result, dict) else {}

    def _run_batches(
        self, requests: Sequence[tuple[_Key, str, HttpRequest]]
    ) -> dict[_Key, tuple[JsonDict | None, IntegrationError | None]]:
        return run_batches(requests, self._max_batch, self._batch_uri, self._http)
