"""The Google receiver: changes request one debounced sync; sync messages, replays, forged,
unknown and stopped channels change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from db.enums import ChannelStatus
from db.models import PushChannel, SyncRequest
from db.session import session_scope
from services.realtime.channels import ensure_channels, stop_user_channels
from services.realtime.ports import ChannelClientFactory
from services.realtime.receive import receive_google_notification
from services.settings import Settings
from tests.integration.realtime.conftest import STUDY_CALENDAR, RecordingScheduler, add_student
from tests.integration.realtime.google_watch_server import WatchServer


def snapshot(engine: Engine, user_id: uuid.UUID) -> dict[str, Any]:
    with session_scope(engine) as session:
        channels = session.scalars(
            select(PushChannel).where(PushChannel.user_id == user_id).order_by(PushChannel.id)
        )
        request = session.get(SyncRequest, user_id)
        return {
            "channels": [
                (c.channel_id, c.status, c.last_message_number, c.last_notified_at)
                for c in channels
            ],
            "request": None
            if request is None
            else (request.due_at, request.count, request.scheduled),
        }


@pytest.fixture
def watched(
    engine: Engine, settings: Settings, clients: ChannelClientFactory, watch_server: WatchServer
) -> tuple[uuid.UUID, str]:
    user_id = add_student(engine)
    report = ensure_channels(engine, settings, user_id, datetime.now(UTC), clients)
    assert report.created == 2  # the study calendar and the primary (busy) calendar
    study = next(c for c in watch_server.state.live() if c.calendar_id == STUDY_CALENDAR)
    return user_id, study.id


def test_a_change_requests_one_sync_and_a_burst_schedules_it_once(
    engine: Engine, settings: Settings, watch_server: WatchServer, watched: tuple[uuid.UUID, str]
) -> None:
    user_id, channel_id = watched
    scheduler = RecordingScheduler()
    first = receive_google_notification(
        engine, settings, watch_server.state.notification(channel_id, "sync"), scheduler
    )
    assert (first.status_code, first.result) == (200, "sync_message")
    assert snapshot(engine, user_id)["request"] is None

    outcomes = [
        receive_google_notification(
            engine, settings, watch_server.state.notification(channel_id), scheduler
        )
        for _ in range(20)
    ]
    assert {o.result for o in outcomes} == {"sync_requested"}
    assert scheduler.calls == [(user_id, settings.push_debounce_s)]
    request = snapshot(engine, user_id)["request"]
    assert request is not None and request[1] == 20


def test_replayed_forged_unknown_and_malformed_notifications_change_nothing(
    engine: Engine, settings: Settings, watch_server: WatchServer, watched: tuple[uuid.UUID, str]
) -> None:
    user_id, channel_id = watched
    scheduler = RecordingScheduler()
    genuine = watch_server.state.notification(channel_id)
    assert receive_google_notification(engine, settings, genuine, scheduler).accepted
    before = snapshot(engine, user_id)

    newer = watch_server.state.notification(channel_id)
    forged_token = {**newer, "X-Goog-Channel-Token": "guessed"}
    no_token = {k: v for k, v in newer.items() if k != "X-Goog-Channel-Token"}
    other_resource = {**newer, "X-Goog-Resource-ID": "someone-elses"}
    unknown = {**newer, "X-Goog-Channel-ID": "sp-" + uuid.uuid4().hex}
    cases = {
        "replayed": (genuine, 200),
        "bad_token": (forged_token, 401),
        "bad_token ": (no_token, 401),
        "bad_resource": (other_resource, 401),
        "unknown_channel": (unknown, 200),
        "malformed": ({**newer, "X-Goog-Message-Number": "x"}, 400),
        "malformed ": ({**newer, "X-Goog-Resource-State": "gone"}, 400),
        "malformed  ": ({"X-Goog-Resource-State": "exists"}, 400),
    }
    for expected, (headers, status) in cases.items():
        outcome = receive_google_notification(engine, settings, headers, scheduler)
        assert (outcome.result, outcome.status_code) == (expected.strip(), status)
        assert snapshot(engine, user_id) == before, expected
    assert len(scheduler.calls) == 1
    # Lower-case header names (as ASGI servers hand them over) are the same notification.
    lower = {k.lower(): v for k, v in newer.items()}
    assert receive_google_notification(engine, settings, lower, scheduler).accepted


def test_a_stopped_channel_changes_nothing(
    engine: Engine,
    settings: Settings,
    clients: ChannelClientFactory,
    watch_server: WatchServer,
    watched: tuple[uuid.UUID, str],
) -> None:
    user_id, channel_id = watched
    stop_user_channels(engine, user_id, datetime.now(UTC), clients)
    assert watch_server.state.live() == []
    before = snapshot(engine, user_id)
    assert {status for _, status, _, _ in before["channels"]} == {ChannelStatus.STOPPED}
    outcome = receive_google_notification(
        engine, settings, watch_server.state.notification(channel_id), RecordingScheduler()
    )
    assert outcome.result == "channel_not_live"
    assert snapshot(engine, user_id) == before


def test_with_push_off_nothing_is_received(
    engine: Engine, settings: Settings, watch_server: WatchServer, watched: tuple[uuid.UUID, str]
) -> None:
    user_id, channel_id = watched
    off = settings.model_copy(update={"push_enabled": False})
    before = snapshot(engine, user_id)
    outcome = receive_google_notification(
        engine, off, watch_server.state.notification(channel_id), RecordingScheduler()
    )
    assert outcome.status_code == 404 and snapshot(engine, user_id) == before


def test_a_broker_outage_answers_503_and_the_retry_schedules(
    engine: Engine, settings: Settings, watch_server: WatchServer, watched: tuple[uuid.UUID, str]
) -> None:
    user_id, channel_id = watched
    broken = RecordingScheduler(broken=True)
    failed = receive_google_notification(
        engine, settings, watch_server.state.notification(channel_id), broken
    )
    assert (failed.status_code, failed.result) == (503, "schedule_failed")
    working = RecordingScheduler()
    retried = receive_google_notification(
        engine, settings, watch_server.state.notification(channel_id), working
    )
    assert retried.result == "sync_requested" and working.calls == [
        (user_id, settings.push_debounce_s)
    ]
