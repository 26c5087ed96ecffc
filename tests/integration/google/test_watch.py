"""Push channels: the real adapter opens and stops them (events.watch, channels.stop through
google-api-python-client) and a real HTTP receiver gets the emulator's notifications."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from emulators.google import GoogleEmulator
from integrations.errors import NotFoundError, PermanentError
from integrations.google_calendar import GoogleCalendarClient
from tests.integration.google.helpers import MONDAY, inserts
from tests.integration.receiver import Receiver, receiving

HOUR = timedelta(hours=1)


@pytest.fixture
def emulator_settings() -> dict[str, Any]:
    return {"push_retry_initial": 0.02}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


def _states(receiver: Receiver, count: int) -> list[tuple[str, str]]:
    return [
        (r.headers["x-goog-resource-state"], r.headers["x-goog-message-number"])
        for r in receiver.wait_for(count)
    ]


def test_watch_notifies_sync_then_exists_with_googles_headers(
    emulator: GoogleEmulator,
    client: GoogleCalendarClient,
    study_calendar: str,
    receiver: Receiver,
) -> None:
    channel = client.watch_events(study_calendar, "chan-1", receiver.url, "tok-secret", HOUR)
    assert channel.channel_id == "chan-1"
    assert channel.resource_id
    assert channel.expiration.tzinfo is not None

    [sync] = receiver.wait_for(1)
    assert sync.body == b""
    assert sync.headers["x-goog-channel-id"] == "chan-1"
    assert sync.headers["x-goog-channel-token"] == "tok-secret"
    assert sync.headers["x-goog-resource-id"] == channel.resource_id
    assert sync.headers["x-goog-resource-uri"] == channel.resource_uri
    assert "/calendars/" in channel.resource_uri
    expires = email.utils.parsedate_to_datetime(sync.headers["x-goog-channel-expiration"])
    assert expires == channel.expiration.replace(microsecond=0)

    [written] = client.push(study_calendar, inserts(1))
    emulator.admin.move_event(study_calendar, written.event_id, MONDAY + HOUR, MONDAY + 2 * HOUR)
    client.push(emulator.settings.default_user, inserts(1))  # another calendar: not watched
    assert emulator.admin.wait_push_idle()
    assert _states(receiver, 3) == [("sync", "1"), ("exists", "2"), ("exists", "3")]
    assert len(receiver.requests) == 3
    # A notification only says "something changed": the incremental listing says what.
    changes = client.list_changes(study_calendar, None)
    assert [e.id for e in changes.events] == [written.event_id]


def test_failed_deliveries_are_retried_then_given_up(
    emulator: GoogleEmulator,
    client: GoogleCalendarClient,
    study_calendar: str,
    receiver: Receiver,
) -> None:
    receiver.answers = [503, 500]
    client.watch_events(study_calendar, "chan-retry", receiver.url, "t", HOUR)
    got = receiver.wait_for(3)
    assert [r.headers["x-goog-message-number"] for r in got] == ["1", "1", "1"]
    assert emulator.admin.wait_push_idle()
    outcomes = [a["outcome"] for a in emulator.admin.push_log()]
    assert outcomes == ["retrying", "retrying", "delivered"]

    emulator.admin.configure(push_max_attempts=2)
    receiver.answers = [500, 500, 500]
    client.push(study_calendar, inserts(1))
    assert emulator.admin.wait_push_idle()
    assert [a["outcome"] for a in emulator.admin.push_log()][3:] == ["retrying", "gave_up"]
    assert len(receiver.requests) == 5


def test_a_stopped_or_expired_channel_sends_nothing_more(
    emulator: GoogleEmulator,
    client: GoogleCalendarClient,
    study_calendar: str,
    receiver: Receiver,
) -> None:
    first = client.watch_events(study_calendar, "chan-a", receiver.url, "t", HOUR)
    receiver.wait_for(1)
    with pytest.raises(NotFoundError):
        client.stop_channel(first.channel_id, "not-the-resource")
    client.stop_channel(first.channel_id, first.resource_id)
    with pytest.raises(NotFoundError):
        client.stop_channel(first.channel_id, first.resource_id)
    client.push(study_calendar, inserts(1))
    assert emulator.admin.wait_push_idle()
    assert len(receiver.requests) == 1

    client.watch_events(study_calendar, "chan-b", receiver.url, "t", HOUR)
    receiver.wait_for(2)
    emulator.admin.expire_channel("chan-b")
    client.push(study_calendar, inserts(1, start=MONDAY + 4 * HOUR))
    assert emulator.admin.wait_push_idle()
    assert len(receiver.requests) == 2
    # An expired id may be used again for a new channel.
    client.watch_events(study_calendar, "chan-b", receiver.url, "t", HOUR)
    assert _states(receiver, 3)[2] == ("sync", "1")


def test_deleting_the_calendar_sends_not_exists_and_ends_the_channel(
    emulator: GoogleEmulator,
    client: GoogleCalendarClient,
    study_calendar: str,
    receiver: Receiver,
) -> None:
    client.watch_events(study_calendar, "chan-gone", receiver.url, "t", HOUR)
    receiver.wait_for(1)
    emulator.admin.delete_calendar(study_calendar)
    assert _states(receiver, 2)[1] == ("not_exists", "2")
    assert emulator.admin.channels() == []


def test_watch_is_checked_like_google(
    emulator: GoogleEmulator,
    client: GoogleCalendarClient,
    study_calendar: str,
    grant: dict[str, Any],
    receiver: Receiver,
) -> None:
    with pytest.raises(ValueError, match="channel_id"):
        client.watch_events(study_calendar, "x" * 65, receiver.url, "t", HOUR)
    with pytest.raises(ValueError, match="ttl"):
        client.watch_events(study_calendar, "ok", receiver.url, "t", timedelta(0))
    with pytest.raises(PermanentError) as not_https:
        client.watch_events(study_calendar, "ok", "http://example.com/hook", "t", HOUR)
    assert (not_https.value.status, not_https.value.code) == (400, "push.webhookUrlNotHttps")
    with pytest.raises(NotFoundError):
        client.watch_events("nobody@example.com", "ok", receiver.url, "t", HOUR)

    url = emulator.api_endpoint + f"calendars/{study_calendar}/events/watch"
    headers = {"Authorization": f"Bearer {grant['access_token']}"}
    good = {"id": "raw-1", "type": "web_hook", "address": receiver.url}

    def watch(**changes: Any) -> httpx.Response:
        body = {k: v for k, v in {**good, **changes}.items() if v is not None}
        return httpx.post(url, json=body, headers=headers, timeout=5.0)

    assert watch(id="y" * 65).status_code == 400
    assert watch(type="email").status_code == 400
    assert watch(address=None).status_code == 400
    assert watch(expiration="1").status_code == 400  # in the past
    answer = watch()
    assert answer.status_code == 200
    assert answer.json()["kind"] == "api#channel"
    assert "token" not in answer.json()
    assert watch().json()["error"]["errors"][0]["reason"] == "channelIdNotUnique"
    # A longer expiration than allowed is cut down, not refused.
    emulator.admin.configure(push_max_ttl=3600)
    far = datetime.now(UTC) + timedelta(days=20)
    capped = watch(id="raw-2", expiration=str(int(far.timestamp() * 1000))).json()
    assert int(capped["expiration"]) < far.timestamp() * 1000
