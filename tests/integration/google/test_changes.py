"""Reading the user's edits back: incremental lists, expired sync tokens, paging."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from emulators.google import GoogleEmulator
from integrations.errors import NotFoundError
from integrations.google_calendar import EventWrite, GoogleCalendarClient
from tests.integration.google.conftest import ClientFactory
from tests.integration.google.helpers import MONDAY, inserts


def test_incremental_list_after_the_user_moves_and_deletes(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    pushed = client.push(study_calendar, inserts(5))
    baseline = client.list_changes(study_calendar, None)
    new_start = MONDAY + timedelta(days=3, hours=2)

    emulator.admin.move_event(
        study_calendar, pushed[1].event_id, new_start, new_start + timedelta(minutes=90)
    )
    emulator.admin.delete_event(study_calendar, pushed[3].event_id)
    changes = client.list_changes(study_calendar, baseline.next_sync_token)

    assert not changes.full_resync
    by_id = {e.id: e for e in changes.events}
    assert set(by_id) == {pushed[1].event_id, pushed[3].event_id}
    moved = by_id[pushed[1].event_id]
    assert moved.start == new_start and moved.end == new_start + timedelta(minutes=90)
    assert moved.block_id == pushed[1].op.block_id
    assert moved.content_hash != pushed[1].op.content_hash  # a user edit, not our echo
    deleted = by_id[pushed[3].event_id]
    # A tombstone may carry nothing but its id: the block is found from the id itself.
    assert deleted.cancelled and deleted.start is None and deleted.content_hash is None
    assert deleted.block_id == pushed[3].op.block_id

    # Applied: the next list from the new token is empty.
    assert client.list_changes(study_calendar, changes.next_sync_token).events == ()


def test_our_own_writes_come_back_with_the_hash_we_pushed(
    client: GoogleCalendarClient, study_calendar: str
) -> None:
    ops = inserts(4)
    client.push(study_calendar, ops)

    listing = client.list_changes(study_calendar, None)

    hashes = {e.block_id: e.content_hash for e in listing.events}
    assert hashes == {op.block_id: op.content_hash for op in ops}


def test_expired_sync_token_falls_back_to_a_full_listing(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    pushed = client.push(study_calendar, inserts(6))
    baseline = client.list_changes(study_calendar, None)
    emulator.admin.delete_event(study_calendar, pushed[0].event_id)
    emulator.admin.rename_event(study_calendar, pushed[2].event_id, summary="Renamed by the user")
    emulator.admin.expire_sync_tokens()
    emulator.admin.reset_counters()

    changes = client.list_changes(study_calendar, baseline.next_sync_token)

    assert changes.full_resync and changes.sync_token_expired
    assert emulator.admin.counters()["events.list"] == 2  # the 410, then the full listing
    by_id = {e.id: e for e in changes.events}
    assert set(by_id) == {r.event_id for r in pushed}  # everything, no duplicates
    assert len(changes.events) == 6
    assert by_id[pushed[0].event_id].cancelled
    assert by_id[pushed[2].event_id].summary == "Renamed by the user"
    # The new token works incrementally again.
    assert not client.list_changes(study_calendar, changes.next_sync_token).full_resync


def test_every_page_is_read_and_the_token_comes_from_the_last(
    emulator: GoogleEmulator, make_client: ClientFactory
) -> None:
    client = make_client(page_size=7)
    calendar = client.ensure_study_calendar(None)
    client.push(calendar, inserts(30))
    emulator.admin.reset_counters()

    listing = client.list_changes(calendar, None)

    assert len(listing.events) == 30
    assert len({e.id for e in listing.events}) == 30
    assert emulator.admin.counters()["events.list"] == 5  # ceil(30 / 7)
    assert client.list_changes(calendar, listing.next_sync_token).events == ()


def test_get_event(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    [pushed] = client.push(study_calendar, inserts(1))
    emulator.admin.delete_event(study_calendar, pushed.event_id)

    deleted = client.get_event(study_calendar, pushed.event_id)

    # A deleted event keeps answering GET, cancelled — with its fields.
    assert deleted is not None and deleted.cancelled and deleted.summary == "Study block 0"
    assert client.get_event(study_calendar, "unknownid0") is None


def test_study_calendar_is_created_once_and_found_again(
    emulator: GoogleEmulator, client: GoogleCalendarClient
) -> None:
    first = client.ensure_study_calendar(None, time_zone="Europe/Berlin")

    assert client.ensure_study_calendar(first) == first
    # Created but the id was never stored (a crash): found by our marker, not created twice.
    assert client.ensure_study_calendar(None) == first
    assert emulator.admin.counters()["calendars.insert"] == 1
    summaries = [c.summary for c in client.list_calendars()]
    assert summaries.count("Study plan") == 1


def test_vanished_study_calendar_waits_for_an_admin(
    emulator: GoogleEmulator, client: GoogleCalendarClient
) -> None:
    first = client.ensure_study_calendar(None)
    emulator.admin.delete_calendar(first)

    try:
        client.ensure_study_calendar(first)
    except NotFoundError:
        pass
    else:
        raise AssertionError("a vanished study calendar must not be replaced silently")
    replacement = client.ensure_study_calendar(first, recreate_if_missing=True)
    assert replacement != first


def test_listing_a_vanished_calendar_is_not_found(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    client.push(study_calendar, inserts(2))
    token = client.list_changes(study_calendar, None).next_sync_token
    emulator.admin.delete_calendar(study_calendar)

    try:
        client.list_changes(study_calendar, token)
    except NotFoundError as failure:
        assert failure.status == 404
    else:
        raise AssertionError("a vanished calendar must not read as 'no events'")


def test_dst_week_keeps_local_wall_times(
    emulator: GoogleEmulator, client: GoogleCalendarClient
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    calendar = client.ensure_study_calendar(None, time_zone="Europe/Berlin")
    # Europe/Berlin leaves summer time on Sunday 2026-10-25.
    days = [datetime(2026, 10, 22 + i, 9, 0, tzinfo=berlin) for i in range(7)]
    ops = [EventWrite("insert", uuid.uuid4(), start=d, end=d + timedelta(hours=1)) for d in days]

    pushed = client.push(calendar, ops)
    listing = client.list_changes(calendar, None)
    busy = client.freebusy([calendar], days[0] - timedelta(days=1), days[-1] + timedelta(days=1))

    assert all(r.outcome == "ok" for r in pushed)
    starts = sorted(e.start for e in listing.events if isinstance(e.start, datetime))
    assert [s.astimezone(berlin).hour for s in starts] == [9] * 7
    assert [s.utcoffset() for s in starts[:3]] == [timedelta(hours=2)] * 3
    assert [s.utcoffset() for s in starts[3:]] == [timedelta(hours=1)] * 4
    assert [b.start for b in busy] == starts
    assert {e.content_hash for e in listing.events} == {op.content_hash for op in ops}
