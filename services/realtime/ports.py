"""The two things this package needs from outside, as Protocols, so services import neither
Celery nor a particular Google adapter: the callers (tasks/, the API) plug them in."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from db.models import IntegrationSettings


class SyncScheduler(Protocol):
    """Enqueue the debounced sync of one student to run `countdown_s` seconds from now."""

    def schedule(self, user_id: uuid.UUID, countdown_s: float) -> None: ...


class WatchedChannel(Protocol):
    """What `events.watch` answered: Google's id of the watched resource and the channel's
    expiry (Google may grant less than asked)."""

    @property
    def resource_id(self) -> str: ...

    @property
    def expiration(self) -> datetime: ...


class ChannelClient(Protocol):
    """The part of a Google Calendar adapter that opens and closes push channels. Failures
    raise `integrations.errors.IntegrationError` subclasses."""

    def watch_events(
        self, calendar_id: str, channel_id: str, address: str, token: str, ttl: timedelta
    ) -> WatchedChannel: ...

    def stop_channel(self, channel_id: str, resource_id: str) -> None: ...

    def close(self) -> None: ...


# Builds the channel client of one student from their integration row (decrypted tokens).
# Raises IntegrationError (e.g. NeedsReauthError) when it cannot.
ChannelClientFactory = Callable[[IntegrationSettings], ChannelClient]
