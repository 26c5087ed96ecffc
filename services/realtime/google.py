"""The Google Calendar push receiver (`POST /v1/webhooks/google`).

A notification carries no body, only headers: which channel (ours), its secret token, the
watched resource, a state and a message number. It only says "something changed"; the sync
that follows runs the incremental `events.list` with the stored sync token. Rules:
- an unknown, stopped or failed channel changes nothing;
- the token is compared in constant time; a wrong one (or a resource id that is not the
  channel's) changes nothing;
- message numbers only grow: one not newer than the last seen is a replay and changes nothing;
- `sync` (sent right after the watch is created) only records the message number;
- `exists` and `not_exists` request the student's debounced sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.enums import ChannelStatus
from db.models import PushChannel
from services.realtime.debounce import DebounceWindow, request_sync, rowcount
from services.realtime.outcome import WebhookOutcome, ignored, rejected
from services.realtime.signatures import secrets_equal
from services.settings import Settings

CHANNEL_ID = "x-goog-channel-id"
CHANNEL_TOKEN = "x-goog-channel-token"
RESOURCE_ID = "x-goog-resource-id"
RESOURCE_STATE = "x-goog-resource-state"
MESSAGE_NUMBER = "x-goog-message-number"
STATES = ("sync", "exists", "not_exists")
LIVE = (ChannelStatus.PENDING, ChannelStatus.ACTIVE)


def handle_google_notification(
    session: Session, settings: Settings, headers: Mapping[str, str], now: datetime
) -> WebhookOutcome:
    """Check one notification and, for a change, request the student's sync. `headers` as
    received (any case). The caller commits, then schedules `outcome.requests`."""
    if not settings.push_enabled:
        return rejected(404, "push_disabled", "real-time sync is off")
    given = {key.lower(): value for key, value in headers.items()}
    channel_id = given.get(CHANNEL_ID, "")
    state = given.get(RESOURCE_STATE, "")
    number = _message_number(given.get(MESSAGE_NUMBER))
    if not channel_id or len(channel_id) > 64:
        return rejected(400, "malformed", f"header {CHANNEL_ID} is missing or too long")
    if state not in STATES:
        return rejected(400, "malformed", f"header {RESOURCE_STATE} must be one of {STATES}")
    if number is None:
        return rejected(400, "malformed", f"header {MESSAGE_NUMBER} must be a whole number")

    channel = session.scalars(
        select(PushChannel).where(PushChannel.channel_id == channel_id)
    ).first()
    if channel is None:
        return ignored("unknown_channel")
    if channel.status not in LIVE:
        return ignored("channel_not_live", f"channel is {channel.status.value}")
    if not secrets_equal(channel.token, given.get(CHANNEL_TOKEN)):
        return rejected(401, "bad_token", "the channel token does not match")
    resource = given.get(RESOURCE_ID)
    if channel.resource_id is not None and resource != channel.resource_id:
        return rejected(401, "bad_resource", "the resource id is not this channel's")

    # One conditional UPDATE: of two deliveries of the same message only one gets past it.
    advanced = session.execute(
        update(PushChannel)
        .where(
            PushChannel.id == channel.id,
            (PushChannel.last_message_number.is_(None))
            | (PushChannel.last_message_number < number),
        )
        .values(last_message_number=number, last_notified_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(advanced) != 1:
        return ignored("replayed", "message number not newer than the last one")
    if state == "sync":
        return ignored("sync_message")
    requested = request_sync(
        session, channel.user_id, now, "google", window=DebounceWindow.from_settings(settings)
    )
    return WebhookOutcome(200, "sync_requested", requests=(requested,))


def _message_number(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    number = int(value)
    return number if number < 2**63 else None
