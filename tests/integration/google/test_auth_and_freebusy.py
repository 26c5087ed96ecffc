"""OAuth refresh and revocation; free/busy with its limits and per-calendar errors."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from emulators.google import GoogleEmulator
from integrations.errors import NeedsReauthError, TransientError
from integrations.google_calendar import FreeBusyCalendarError, GoogleCalendarClient
from tests.integration.google.conftest import ClientFactory
from tests.integration.google.helpers import MONDAY, inserts


def test_expired_token_is_refreshed_and_handed_back(
    emulator: GoogleEmulator, make_client: ClientFactory, grant: dict[str, str]
) -> None:
    client = make_client(token_expiry=datetime.now(UTC) - timedelta(minutes=1))

    refreshed = client.refresh_if_expired()

    assert refreshed is not None and refreshed.access_token != grant["access_token"]
    assert refreshed.expiry is not None and refreshed.expiry > datetime.now(UTC)
    assert client.refreshed_token == refreshed
    assert client.refresh_if_expired() is None  # still good now
    assert emulator.admin.counters()["token"] == 1


def test_token_revoked_server_side_is_refreshed_on_401(
    emulator: GoogleEmulator, client: GoogleCalendarClient
) -> None:
    emulator.admin.expire_access_tokens()

    calendar = client.ensure_study_calendar(None)

    assert calendar
    assert client.refreshed_token is not None
    assert emulator.admin.counters()["token"] >= 1


def test_push_survives_server_side_token_expiry(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    emulator.admin.expire_access_tokens()

    results = client.push(study_calendar, inserts(5))

    # The batch is refused (401), the token refreshed, the parts re-sent: no loss, no duplicate.
    assert [r.outcome for r in results] == ["ok"] * 5
    assert len(emulator.admin.events(study_calendar)) == 5
    assert client.refreshed_token is not None


def test_revoked_grant_needs_reauth_and_leaks_no_token(
    emulator: GoogleEmulator,
    make_client: ClientFactory,
    grant: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_client(token_expiry=datetime.now(UTC) - timedelta(minutes=1))
    emulator.admin.revoke_grant()
    caplog.set_level(logging.DEBUG)

    with pytest.raises(NeedsReauthError) as on_refresh:
        client.refresh_if_expired()
    with pytest.raises(NeedsReauthError) as on_call:
        client.ensure_study_calendar(None)

    assert on_refresh.value.code == "invalid_grant" and not on_refresh.value.retryable
    assert on_call.value.code == "invalid_grant"
    for secret in (grant["access_token"], grant["refresh_token"], grant["client_secret"]):
        assert secret not in str(on_refresh.value)
        assert secret not in repr(on_call.value)
        assert secret not in caplog.text


def test_revoked_grant_stops_a_push_as_a_whole(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    emulator.admin.revoke_grant()

    with pytest.raises(NeedsReauthError):
        client.push(study_calendar, inserts(3))
    assert emulator.admin.events(study_calendar) == []


def test_token_endpoint_outage_is_transient(
    emulator: GoogleEmulator, make_client: ClientFactory
) -> None:
    client = make_client(token_expiry=datetime.now(UTC) - timedelta(minutes=1))
    # google-auth retries the token endpoint itself a few times; outlast it.
    emulator.admin.fail_next(10, 503, path=r"^/token$")

    with pytest.raises(TransientError):
        client.refresh_if_expired()


def _three_calendars(emulator: GoogleEmulator) -> list[str]:
    ids = [emulator.admin.add_calendar(f"Calendar {i}") for i in range(3)]
    for i, cal_id in enumerate(ids):
        start = MONDAY + timedelta(days=i)
        emulator.admin.add_busy_event(cal_id, start, start + timedelta(hours=2), "Lecture")
    return ids


def test_freebusy_reads_every_calendar(
    emulator: GoogleEmulator, client: GoogleCalendarClient
) -> None:
    ids = _three_calendars(emulator)

    busy = client.freebusy(ids, MONDAY - timedelta(days=1), MONDAY + timedelta(days=7))

    assert [(b.calendar_id, b.start) for b in busy] == [
        (cal_id, MONDAY + timedelta(days=i)) for i, cal_id in enumerate(ids)
    ]
    assert all(b.end - b.start == timedelta(hours=2) for b in busy)


def test_freebusy_with_one_unreadable_calendar_is_an_error_not_free(
    emulator: GoogleEmulator, client: GoogleCalendarClient
) -> None:
    ids = _three_calendars(emulator)
    emulator.admin.set_calendar_unreadable(ids[1])

    with pytest.raises(FreeBusyCalendarError) as failure:
        client.freebusy(ids, MONDAY - timedelta(days=1), MONDAY + timedelta(days=7))

    assert failure.value.calendar_id == ids[1]
    assert failure.value.code == "notFound"
    assert ids[1] not in str(failure.value)  # calendar ids are personal (often an email)


def test_freebusy_chunks_calendars_and_windows(
    emulator: GoogleEmulator, client: GoogleCalendarClient
) -> None:
    ids = [emulator.admin.add_calendar(f"Shared {i}") for i in range(60)]
    # One event that straddles the 90-day window boundary, one near the end of the horizon.
    boundary = MONDAY + timedelta(days=90)
    emulator.admin.add_busy_event(
        ids[0], boundary - timedelta(hours=1), boundary + timedelta(hours=1)
    )
    emulator.admin.add_busy_event(
        ids[59], MONDAY + timedelta(days=115), MONDAY + timedelta(days=116)
    )
    emulator.admin.reset_counters()

    busy = client.freebusy(ids, MONDAY, MONDAY + timedelta(days=120))

    # 2 windows (90 + 30 days) x 2 chunks (50 + 10 calendars); the emulator refuses more.
    assert emulator.admin.counters()["freebusy.query"] == 4
    assert [(b.calendar_id, b.start, b.end) for b in busy] == [
        (ids[0], boundary - timedelta(hours=1), boundary + timedelta(hours=1)),
        (ids[59], MONDAY + timedelta(days=115), MONDAY + timedelta(days=116)),
    ]


def test_freebusy_includes_our_study_calendar_and_primary(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    client.push(study_calendar, inserts(2))
    emulator.admin.add_busy_event("student@example.com", "2026-12-08", "2026-12-09", "Holiday")

    busy = client.freebusy(["primary", study_calendar], MONDAY, MONDAY + timedelta(days=2))

    assert len([b for b in busy if b.calendar_id == study_calendar]) == 2
    [holiday] = [b for b in busy if b.calendar_id == "primary"]
    assert holiday.start == datetime(2026, 12, 8, tzinfo=UTC)  # all-day, in the calendar's zone
