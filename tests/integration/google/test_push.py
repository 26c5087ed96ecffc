"""Pushing study blocks with the real google-api-python-client against the emulator."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from emulators.google import GoogleEmulator
from integrations.errors import ConflictError, NotFoundError, PermanentError, TransientError
from integrations.google_calendar import (
    BLOCK_ID_PROPERTY,
    EventWrite,
    GoogleCalendarClient,
    event_id_for_block,
)
from tests.integration.google.conftest import ClientFactory
from tests.integration.google.helpers import MONDAY, delete_of, inserts, patch_of


def test_cold_push_of_200_blocks_uses_at_most_4_batches(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    emulator.admin.reset_counters()
    ops = inserts(200)

    results = client.push(study_calendar, ops)

    counters = emulator.admin.counters()
    assert counters["batch"] <= 4
    assert counters["http"] == counters["batch"]  # nothing but batches went over the wire
    assert counters["events.insert"] == 200
    assert [r.outcome for r in results] == ["ok"] * 200
    stored = {e["id"]: e for e in emulator.admin.events(study_calendar)}
    assert len(stored) == 200
    for op, result in zip(ops, results, strict=True):
        assert result.event_id == event_id_for_block(op.block_id)
        assert result.etag == stored[result.event_id]["etag"]
        # Google renders times in the calendar's zone; the hash compares instants.
        assert result.event is not None and result.event.content_hash == op.content_hash
        assert stored[result.event_id]["extendedProperties"]["private"][BLOCK_ID_PROPERTY] == str(
            op.block_id
        )


def test_nothing_changed_means_no_writes(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    client.push(study_calendar, inserts(30))
    first = client.list_changes(study_calendar, None)
    emulator.admin.reset_counters()

    second = client.list_changes(study_calendar, first.next_sync_token)

    assert second.events == () and not second.full_resync
    assert emulator.admin.writes() == 0
    assert emulator.admin.counters()["http"] == 1
    assert client.push(study_calendar, []) == []
    assert emulator.admin.counters()["http"] == 1


def test_stale_etag_is_a_conflict_and_the_users_change_survives(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    [pushed] = client.push(study_calendar, inserts(1))
    moved_start = MONDAY + timedelta(days=1, hours=3)
    emulator.admin.move_event(
        study_calendar, pushed.event_id, moved_start, moved_start + timedelta(hours=1)
    )

    [result] = client.push(study_calendar, [patch_of(pushed, summary="Our new title")])

    assert result.outcome == "error"
    assert isinstance(result.error, ConflictError) and result.error.status == 412
    # The re-fetched current version comes with the conflict, to reconcile against.
    assert result.event is not None and result.event.start == moved_start
    stored = emulator.admin.get_event(study_calendar, pushed.event_id)
    assert stored is not None and stored["summary"] == "Study block 0"
    assert result.event.etag == stored["etag"] != pushed.etag


def test_patch_or_delete_of_an_event_the_user_deleted_is_user_deleted(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    pushed = client.push(study_calendar, inserts(2))
    for result in pushed:
        emulator.admin.delete_event(study_calendar, result.event_id)

    results = client.push(
        study_calendar, [patch_of(pushed[0], summary="New title"), delete_of(pushed[1])]
    )

    assert [r.outcome for r in results] == ["user_deleted", "user_deleted"]
    assert all(r.event is not None and r.event.cancelled for r in results)
    assert {e["status"] for e in emulator.admin.events(study_calendar)} == {"cancelled"}


def test_insert_whose_response_timed_out_is_adopted_on_retry(
    emulator: GoogleEmulator, make_client: ClientFactory, study_calendar: str
) -> None:
    client = make_client(timeout=0.5)
    ops = inserts(3)
    emulator.admin.lose_next_insert_response(mode="timeout", hold_seconds=1.0)

    first = client.push(study_calendar, ops)

    assert all(isinstance(r.error, TransientError) for r in first)
    assert all(r.error is not None and r.error.code == "timeout" for r in first)
    assert len(emulator.admin.events(study_calendar)) == 3  # the writes did happen

    retried = client.push(study_calendar, ops)

    assert [r.outcome for r in retried] == ["adopted"] * 3
    assert all(r.event is not None and r.etag for r in retried)
    assert len(emulator.admin.events(study_calendar)) == 3
    assert emulator.admin.counters()["events.insert"] == 6  # 3 applied + 3 refused with 409


def test_dropped_connection_after_insert_is_adopted_not_duplicated(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    emulator.admin.lose_next_insert_response(mode="drop")

    # httplib2 re-sends a request whose connection dropped; the re-sent insert meets 409.
    results = client.push(study_calendar, inserts(2))

    assert [r.outcome for r in results] == ["adopted", "adopted"]
    assert len(emulator.admin.events(study_calendar)) == 2


def test_insert_conflict_after_the_user_deleted_is_user_deleted(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    ops = inserts(2)
    pushed = client.push(study_calendar, ops)
    emulator.admin.delete_event(study_calendar, pushed[0].event_id)

    again = client.push(study_calendar, ops)

    assert again[0].outcome == "user_deleted"
    assert again[0].event is not None and again[0].event.cancelled
    assert again[1].outcome == "adopted"
    stored = {e["id"]: e["status"] for e in emulator.admin.events(study_calendar)}
    assert stored == {pushed[0].event_id: "cancelled", pushed[1].event_id: "confirmed"}


def test_patch_and_delete_with_current_etags(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    pushed = client.push(study_calendar, inserts(3))
    later = MONDAY + timedelta(days=2)

    results = client.push(
        study_calendar,
        [
            patch_of(pushed[0], start=later, end=later + timedelta(minutes=30)),
            delete_of(pushed[1]),
        ],
    )

    assert [r.outcome for r in results] == ["ok", "ok"]
    assert results[0].etag not in (None, pushed[0].etag)
    assert results[0].event is not None and results[0].event.start == later
    assert results[0].event.private_props[BLOCK_ID_PROPERTY] == str(pushed[0].op.block_id)
    assert emulator.admin.get_event(study_calendar, pushed[1].event_id)["status"] == "cancelled"  # type: ignore[index]

    [again] = client.push(study_calendar, [EventWrite("delete", pushed[1].op.block_id)])
    assert again.outcome == "already_deleted" and again.succeeded


def test_a_partial_batch_failure_reports_only_the_failed_items(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    ops = inserts(10)
    emulator.admin.fail_next(3, 503, method="POST", path=r"/events$")

    first = client.push(study_calendar, ops)

    failed = [i for i, r in enumerate(first) if r.outcome == "error"]
    assert failed == [0, 1, 2]
    assert all(isinstance(first[i].error, TransientError) for i in failed)
    assert len(emulator.admin.events(study_calendar)) == 7

    retried = client.push(study_calendar, [ops[i] for i in failed])

    assert [r.outcome for r in retried] == ["ok"] * 3
    assert len(emulator.admin.events(study_calendar)) == 10


@pytest.mark.parametrize(
    ("status", "reason", "retry_after"),
    [(429, "rateLimitExceeded", 7), (403, "userRateLimitExceeded", 3), (503, None, 2)],
)
def test_rate_limit_storm_is_transient_with_retry_after(
    emulator: GoogleEmulator,
    client: GoogleCalendarClient,
    study_calendar: str,
    status: int,
    reason: str | None,
    retry_after: int,
) -> None:
    ops = inserts(60)  # two batches
    emulator.admin.fail_next(100, status, path=r"/events$", reason=reason, retry_after=retry_after)

    results = client.push(study_calendar, ops)

    assert all(isinstance(r.error, TransientError) for r in results)
    assert {r.error.retry_after for r in results if isinstance(r.error, TransientError)} == {
        float(retry_after)
    }
    assert {r.error.status for r in results if r.error is not None} == {status}
    assert emulator.admin.events(study_calendar) == []

    # The storm passes: the same ops complete, with no duplicate.
    emulator.admin.clear_faults()
    assert [r.outcome for r in client.push(study_calendar, ops)] == ["ok"] * 60
    assert len(emulator.admin.events(study_calendar)) == 60


def test_storm_on_the_batch_request_itself_fails_every_item(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    emulator.admin.fail_next(1, 429, path=r"^/batch/", retry_after=11)

    results = client.push(study_calendar, inserts(70))

    assert len(results) == 70
    assert all(isinstance(r.error, TransientError) and r.error.retry_after == 11 for r in results)
    assert emulator.admin.counters()["batch"] == 1  # later batches were not attempted


def test_real_per_user_rate_limit(emulator: GoogleEmulator, make_client: ClientFactory) -> None:
    emulator.admin.configure(rate_limit_per_minute=20)
    client = make_client()
    calendar = client.ensure_study_calendar(None)  # 2 calls

    results = client.push(calendar, inserts(25))

    limited = [r for r in results if r.outcome == "error"]
    assert len(limited) == 7
    assert all(isinstance(r.error, TransientError) for r in limited)
    assert {r.error.code for r in limited if r.error is not None} == {"userRateLimitExceeded"}
    assert emulator.admin.counters()["rate_limited"] == 7


def test_quota_exceeded_is_transient_with_a_long_wait(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    emulator.admin.fail_next(1, 403, path=r"/events$", reason="quotaExceeded")

    [result] = client.push(study_calendar, inserts(1))

    assert isinstance(result.error, TransientError)
    assert result.error.retry_after is not None and result.error.retry_after >= 3600


def test_other_403_is_permanent(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    emulator.admin.fail_next(1, 403, path=r"/events$", reason="forbidden")

    [result] = client.push(study_calendar, inserts(1))

    assert isinstance(result.error, PermanentError) and not result.error.retryable


def test_invalid_event_id_is_refused_before_sending(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    emulator.admin.reset_counters()
    bad = EventWrite(
        "insert",
        uuid.uuid4(),
        event_id="Not_Base32hex!",
        start=MONDAY,
        end=MONDAY + timedelta(hours=1),
        summary="x",
    )

    [result] = client.push(study_calendar, [bad])

    assert isinstance(result.error, PermanentError)
    assert emulator.admin.counters().get("http", 0) == 0


def test_all_day_events_round_trip(
    emulator: GoogleEmulator, client: GoogleCalendarClient, study_calendar: str
) -> None:
    op = EventWrite(
        "insert",
        uuid.uuid4(),
        start=date(2026, 12, 24),
        end=date(2026, 12, 25),
        summary="Revision day",
    )

    [result] = client.push(study_calendar, [op])

    assert result.outcome == "ok" and result.event is not None
    assert result.event.all_day and result.event.start == date(2026, 12, 24)
    assert result.event.content_hash == op.content_hash
    stored = emulator.admin.get_event(study_calendar, result.event_id)
    assert stored is not None and stored["start"] == {"date": "2026-12-24"}

    # all-day → timed through a patch: the old "date" must not survive the merge.
    [moved] = client.push(
        study_calendar,
        [patch_of(result, start=MONDAY, end=MONDAY + timedelta(hours=2))],
    )
    assert moved.outcome == "ok" and moved.event is not None and not moved.event.all_day
    stored = emulator.admin.get_event(study_calendar, result.event_id)
    assert stored is not None and "date" not in stored["start"]


def test_missing_calendar_is_not_found(client: GoogleCalendarClient) -> None:
    [result] = client.push("c_gone@group.calendar.google.com", inserts(1))

    assert isinstance(result.error, NotFoundError)
