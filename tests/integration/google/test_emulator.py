"""The emulator's Google semantics, through the real googleapiclient service and raw HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from emulators.google import GoogleEmulator, start_google_emulator
from tests.integration.google.helpers import MONDAY

Service = Any


@pytest.fixture
def service(emulator: GoogleEmulator, grant: dict[str, Any]) -> Iterator[Service]:
    credentials = Credentials(  # type: ignore[no-untyped-call]
        token=grant["access_token"],
        refresh_token=grant["refresh_token"],
        token_uri=emulator.token_uri,
        client_id=grant["client_id"],
        client_secret=grant["client_secret"],
    )
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=5))
    yield build(
        "calendar",
        "v3",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": emulator.api_endpoint},
    )
    for connection in http.http.connections.values():
        connection.close()


@pytest.fixture
def calendar(service: Service) -> str:
    return str(service.calendars().insert(body={"summary": "Plan"}).execute()["id"])


def _event(event_id: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "summary": "Block",
        "start": {"dateTime": MONDAY.isoformat()},
        "end": {"dateTime": (MONDAY + timedelta(hours=1)).isoformat()},
        **extra,
    }
    if event_id is not None:
        body["id"] = event_id
    return body


def _google_error(exc: HttpError) -> tuple[int, str]:
    payload = json.loads(exc.content)
    error = payload["error"]
    assert error["code"] == exc.resp.status
    assert error["errors"][0]["domain"] in ("global", "calendar")
    assert error["errors"][0]["message"] == error["message"]
    return int(exc.resp.status), str(error["errors"][0]["reason"])


def _raises(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as failure:
        call.execute()
    return _google_error(failure.value)


@pytest.mark.parametrize("bad", ["abcd", "ABCDEF", "abcdew", "abc-def", "x" * 5, "a" * 1025])
def test_client_chosen_ids_must_be_base32hex(service: Service, calendar: str, bad: str) -> None:
    assert _raises(service.events().insert(calendarId=calendar, body=_event(bad))) == (
        400,
        "invalid",
    )


def test_ids_at_the_limits_are_accepted(service: Service, calendar: str) -> None:
    for good in ("abcde", "0123456789abcdefghijklmnopqrstuv", "v" * 1024):
        created = service.events().insert(calendarId=calendar, body=_event(good)).execute()
        assert created["id"] == good


def test_existing_id_conflicts_even_after_delete(service: Service, calendar: str) -> None:
    service.events().insert(calendarId=calendar, body=_event("abcde1")).execute()
    assert _raises(service.events().insert(calendarId=calendar, body=_event("abcde1"))) == (
        409,
        "duplicate",
    )
    service.events().delete(calendarId=calendar, eventId="abcde1").execute()
    assert _raises(service.events().insert(calendarId=calendar, body=_event("abcde1"))) == (
        409,
        "duplicate",
    )
    assert service.events().get(calendarId=calendar, eventId="abcde1").execute()["status"] == (
        "cancelled"
    )
    assert _raises(service.events().delete(calendarId=calendar, eventId="abcde1")) == (
        410,
        "deleted",
    )


def test_etags_change_and_if_match_guards_writes(service: Service, calendar: str) -> None:
    created = service.events().insert(calendarId=calendar, body=_event("abcde2")).execute()
    patched = (
        service.events()
        .patch(calendarId=calendar, eventId="abcde2", body={"summary": "New"})
        .execute()
    )
    assert patched["etag"] != created["etag"]

    stale = service.events().patch(calendarId=calendar, eventId="abcde2", body={"summary": "X"})
    stale.headers["If-Match"] = created["etag"]
    assert _raises(stale) == (412, "conditionNotMet")

    fresh = service.events().patch(calendarId=calendar, eventId="abcde2", body={"summary": "Y"})
    fresh.headers["If-Match"] = patched["etag"]
    assert fresh.execute()["summary"] == "Y"

    stale_delete = service.events().delete(calendarId=calendar, eventId="abcde2")
    stale_delete.headers["If-Match"] = patched["etag"]
    assert _raises(stale_delete) == (412, "conditionNotMet")


def test_put_drops_extended_properties_while_patch_keeps_them(
    service: Service, calendar: str
) -> None:
    props = {"extendedProperties": {"private": {"block": "b1"}}}
    service.events().insert(calendarId=calendar, body=_event("abcde3", **props)).execute()

    patched = (
        service.events()
        .patch(calendarId=calendar, eventId="abcde3", body={"summary": "Patched"})
        .execute()
    )
    assert patched["extendedProperties"]["private"] == {"block": "b1"}
    merged = (
        service.events()
        .patch(
            calendarId=calendar,
            eventId="abcde3",
            body={"extendedProperties": {"private": {"other": "x"}}},
        )
        .execute()
    )
    assert merged["extendedProperties"]["private"] == {"block": "b1", "other": "x"}

    replaced = (
        service.events()
        .update(calendarId=calendar, eventId="abcde3", body=_event(summary="Put"))
        .execute()
    )
    assert "extendedProperties" not in replaced
    assert replaced["summary"] == "Put"


def test_times_come_back_in_the_calendars_zone(service: Service) -> None:
    berlin = service.calendars().insert(body={"summary": "B", "timeZone": "Europe/Berlin"})
    cal_id = berlin.execute()["id"]
    created = service.events().insert(calendarId=cal_id, body=_event("abcde4")).execute()
    assert created["start"]["dateTime"] == "2026-12-07T09:00:00+01:00"  # sent as 08:00Z


def test_invalid_times_are_refused(service: Service, calendar: str) -> None:
    backwards = _event(end={"dateTime": (MONDAY - timedelta(hours=1)).isoformat()})
    assert _raises(service.events().insert(calendarId=calendar, body=backwards)) == (
        400,
        "timeRangeEmpty",
    )
    no_zone = _event(start={"dateTime": "2026-12-07T08:00:00"})
    assert _raises(service.events().insert(calendarId=calendar, body=no_zone))[0] == 400
    mixed = _event(end={"date": "2026-12-08"})
    assert _raises(service.events().insert(calendarId=calendar, body=mixed))[0] == 400


def test_list_filters_paging_and_sync_tokens(service: Service, calendar: str) -> None:
    for i in range(5):
        start = MONDAY + timedelta(days=i)
        body = _event(
            f"evt{i:02d}",
            start={"dateTime": start.isoformat()},
            end={"dateTime": (start + timedelta(hours=1)).isoformat()},
            extendedProperties={"private": {"kind": "odd" if i % 2 else "even"}},
        )
        service.events().insert(calendarId=calendar, body=body).execute()
    service.events().delete(calendarId=calendar, eventId="evt04").execute()
    events = service.events()

    first = events.list(calendarId=calendar, maxResults=2).execute()
    assert "nextSyncToken" not in first and len(first["items"]) == 2
    second = events.list(calendarId=calendar, maxResults=2, pageToken=first["nextPageToken"])
    last = second.execute()
    assert "nextPageToken" not in last and "nextSyncToken" in last
    assert [e["id"] for e in first["items"] + last["items"]] == ["evt00", "evt01", "evt02", "evt03"]

    window = events.list(
        calendarId=calendar,
        timeMin=(MONDAY + timedelta(days=1)).isoformat(),
        timeMax=(MONDAY + timedelta(days=3)).isoformat(),
    ).execute()
    assert [e["id"] for e in window["items"]] == ["evt01", "evt02"]
    odd = events.list(calendarId=calendar, privateExtendedProperty="kind=odd").execute()
    assert [e["id"] for e in odd["items"]] == ["evt01", "evt03"]
    with_deleted = events.list(calendarId=calendar, showDeleted=True).execute()
    tombstone = [e for e in with_deleted["items"] if e["id"] == "evt04"]
    assert tombstone and tombstone[0]["status"] == "cancelled"

    token = last["nextSyncToken"]
    refused = events.list(calendarId=calendar, syncToken=token, timeMin=MONDAY.isoformat())
    assert _raises(refused) == (400, "invalid")
    assert events.list(calendarId=calendar, syncToken=token).execute()["items"] == []


def test_expired_sync_token_is_410_full_sync_required(
    emulator: GoogleEmulator, service: Service, calendar: str
) -> None:
    token = service.events().list(calendarId=calendar).execute()["nextSyncToken"]
    emulator.admin.expire_sync_tokens()
    assert _raises(service.events().list(calendarId=calendar, syncToken=token)) == (
        410,
        "fullSyncRequired",
    )


def test_freebusy_limits(service: Service, calendar: str) -> None:
    def query(start: Any, end: Any, count: int = 1) -> Any:
        items = [{"id": calendar}] * count
        body = {"timeMin": start.isoformat(), "timeMax": end.isoformat(), "items": items}
        return service.freebusy().query(body=body)

    assert _raises(query(MONDAY, MONDAY)) == (400, "timeRangeEmpty")
    assert _raises(query(MONDAY, MONDAY + timedelta(days=91)))[0] == 400
    assert _raises(query(MONDAY, MONDAY + timedelta(days=1), count=51))[0] == 400
    ok = query(MONDAY, MONDAY + timedelta(days=90), count=50).execute()
    assert ok["calendars"][calendar]["busy"] == []

    unknown = service.freebusy().query(
        body={
            "timeMin": MONDAY.isoformat(),
            "timeMax": (MONDAY + timedelta(days=1)).isoformat(),
            "items": [{"id": "someone@example.com"}],
        }
    )
    entry = unknown.execute()["calendars"]["someone@example.com"]
    assert entry["busy"] == [] and entry["errors"][0]["reason"] == "notFound"


def _raw(
    emulator: GoogleEmulator,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        emulator.base_url + path, data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as failure:
        return failure.code, dict(failure.headers), failure.read()


def test_bearer_token_is_checked(emulator: GoogleEmulator) -> None:
    status, _, body = _raw(emulator, "GET", "/calendar/v3/users/me/calendarList")
    assert status == 401 and json.loads(body)["error"]["errors"][0]["reason"] == "required"
    status, _, body = _raw(
        emulator,
        "GET",
        "/calendar/v3/users/me/calendarList",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert status == 401 and json.loads(body)["error"]["errors"][0]["reason"] == "authError"


def test_token_endpoint_and_revocation(emulator: GoogleEmulator, grant: dict[str, Any]) -> None:
    form = urllib.parse.urlencode(
        {
            "grant_type": "refresh_token",
            "refresh_token": grant["refresh_token"],
            "client_id": grant["client_id"],
            "client_secret": grant["client_secret"],
        }
    ).encode()
    status, _, body = _raw(emulator, "POST", "/token", form)
    token = json.loads(body)
    assert status == 200 and token["expires_in"] == 3600 and token["access_token"]

    emulator.admin.revoke_grant()
    status, _, body = _raw(emulator, "POST", "/token", form)
    assert status == 400 and json.loads(body)["error"] == "invalid_grant"
    status, _, _ = _raw(
        emulator,
        "GET",
        "/calendar/v3/users/me/calendarList",
        headers={"Authorization": "Bearer " + token["access_token"]},
    )
    assert status == 401


def test_batch_wire_format_echoes_content_ids(
    emulator: GoogleEmulator, grant: dict[str, Any]
) -> None:
    auth = "Bearer " + grant["access_token"]
    parts = []
    for n, (method, path) in enumerate(
        [("GET", "/calendar/v3/users/me/calendarList"), ("GET", "/calendar/v3/calendars/nope")]
    ):
        parts.append(
            f"--XYZ\r\nContent-Type: application/http\r\nContent-ID: <abc+{n}>\r\n\r\n"
            f"{method} {path} HTTP/1.1\r\nAuthorization: {auth}\r\n\r\n\r\n"
        )
    body = ("".join(parts) + "--XYZ--\r\n").encode()

    status, headers, raw = _raw(
        emulator,
        "POST",
        "/batch/calendar/v3",
        body,
        {"Content-Type": "multipart/mixed; boundary=XYZ", "Authorization": auth},
    )

    assert status == 200 and headers["Content-Type"].startswith("multipart/mixed; boundary=")
    text = raw.decode()
    assert "Content-ID: <response-abc+0>" in text and "Content-ID: <response-abc+1>" in text
    assert "HTTP/1.1 200 OK" in text and "HTTP/1.1 404 Not Found" in text
    assert emulator.admin.counters()["batch"] == 1


def test_per_user_rate_limit_can_answer_429(
    emulator: GoogleEmulator, grant: dict[str, Any]
) -> None:
    emulator.admin.configure(
        rate_limit_per_minute=3, rate_limit_status=429, rate_limit_retry_after=5
    )
    auth = {"Authorization": "Bearer " + grant["access_token"]}
    statuses = [
        _raw(emulator, "GET", "/calendar/v3/users/me/calendarList", headers=auth) for _ in range(5)
    ]
    assert [s for s, _, _ in statuses] == [200, 200, 200, 429, 429]
    assert statuses[3][1]["Retry-After"] == "5"
    assert json.loads(statuses[4][2])["error"]["errors"][0]["reason"] == "rateLimitExceeded"


def test_seeded_random_errors_repeat(grant: dict[str, Any]) -> None:
    def run() -> list[int]:
        emu = start_google_emulator(error_rate=0.5, seed=42)
        try:
            auth = {"Authorization": "Bearer " + emu.admin.grant()["access_token"]}
            return [
                _raw(emu, "GET", "/calendar/v3/users/me/calendarList", headers=auth)[0]
                for _ in range(20)
            ]
        finally:
            emu.stop()

    first = run()
    assert first == run()
    assert set(first) >= {200} and set(first) - {200} <= {500, 503} and len(set(first)) > 1


def test_latency_is_added(emulator: GoogleEmulator) -> None:
    emulator.admin.configure(latency=0.2)
    started = time.monotonic()
    _raw(emulator, "GET", "/calendar/v3/users/me/calendarList")
    assert time.monotonic() - started >= 0.2


def test_fail_next_can_target_a_method_and_path(
    emulator: GoogleEmulator, service: Service, calendar: str
) -> None:
    emulator.admin.fail_next(1, 500, method="PATCH")
    service.events().insert(calendarId=calendar, body=_event("abcde5")).execute()
    assert _raises(
        service.events().patch(calendarId=calendar, eventId="abcde5", body={"summary": "x"})
    ) == (500, "backendError")
    assert service.events().get(calendarId=calendar, eventId="abcde5").execute()["summary"] == (
        "Block"
    )


def test_admin_http_endpoints(emulator: GoogleEmulator, service: Service, calendar: str) -> None:
    service.events().insert(calendarId=calendar, body=_event("abcde6")).execute()
    later = MONDAY + timedelta(days=1)
    move = json.dumps(
        {
            "calendar_id": calendar,
            "event_id": "abcde6",
            "start": later.isoformat(),
            "end": (later + timedelta(hours=2)).isoformat(),
        }
    ).encode()

    status, _, body = _raw(emulator, "POST", "/_admin/move_event", move)
    assert status == 200 and json.loads(body)["result"]["end"]["dateTime"]
    status, _, body = _raw(
        emulator, "POST", "/_admin/fail_next", json.dumps({"count": 1, "status": 503}).encode()
    )
    assert status == 200
    assert _raises(service.events().get(calendarId=calendar, eventId="abcde6"))[0] == 503

    status, _, body = _raw(emulator, "GET", "/_admin/state")
    state = json.loads(body)["result"]
    [stored] = state["events"][calendar]
    assert stored["start"]["dateTime"].startswith("2026-12-08T08:00:00")
    assert state["counters"]["events.insert"] == 1
    assert _raw(emulator, "POST", "/_admin/stop_everything")[0] == 404
    assert _raw(emulator, "POST", "/_admin/move_event", b'{"calendar_id": "nope"}')[0] == 400


def test_standalone_server_runs_as_a_module() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.google", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        base = first_line.strip().rsplit(" ", 1)[-1]
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(base + "/_admin/state", timeout=5) as response:
            state = json.loads(response.read())["result"]
        assert state["users"] == ["student@example.com"]
    finally:
        process.terminate()
        process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
