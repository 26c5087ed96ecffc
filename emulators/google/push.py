"""Push notifications: `events.watch` opens a channel on a calendar's events, `channels.stop`
closes it (API-FACTS, "Push").

After the watch, and after every change to the calendar's events (through the API or the admin
acting as the user), the emulator POSTs an empty-bodied notification to the channel's address
from a background thread, with Google's headers: `X-Goog-Channel-ID`, `-Token` (when the watch
set one), `-Expiration`, `X-Goog-Resource-ID`, `-URI`, `-State` (`sync` once, then `exists`;
`not_exists` when the calendar is deleted) and an increasing `X-Goog-Message-Number`. A non-2xx
answer is retried with exponential backoff; nothing is sent once the channel is stopped or has
expired. Google requires an HTTPS address; the emulator also takes http:// on loopback hosts,
where the tests and the demo listen.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from emulators.delivery import Delivery, Outbox
from emulators.google.entities import ApiError, JsonDict
from emulators.google.settings import EmulatorSettings
from emulators.google.state import CalendarState
from emulators.web import LOOPBACK_HOSTS

CHANNEL_ID_RE = re.compile(r"^[A-Za-z0-9\-_+/=]{1,64}$")
MAX_CHANNEL_TOKEN = 256


@dataclass
class Channel:
    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    user: str
    address: str
    token: str | None
    expiration_ms: int
    message_number: int = 0
    stopped: bool = False


class PushHub:
    """Channels and their notifications. Entry points run under the dispatcher's lock; the
    deliveries run on the outbox's thread."""

    def __init__(self, state: CalendarState, settings: EmulatorSettings) -> None:
        self.state = state
        self.settings = settings
        self.channels: dict[str, Channel] = {}
        self.outbox = Outbox("google-push", timeout_s=settings.push_timeout)

    # ---- the API -----------------------------------------------------------------------------

    def watch(self, user: str, calendar_id: str, body: JsonDict) -> JsonDict:
        cal = self.state.calendar_for(user, calendar_id)
        channel_id = _text(body, "id", "Missing channel id.")
        if not CHANNEL_ID_RE.match(channel_id):
            raise ApiError(400, "invalid", "Invalid channel id: at most 64 of [A-Za-z0-9-_+/=].")
        existing = self.channels.get(channel_id)
        if existing is not None and self._alive(existing):
            raise ApiError(400, "channelIdNotUnique", "Channel id not unique")
        if body.get("type") not in ("web_hook", "webhook"):
            raise ApiError(400, "invalid", "Invalid value for: type (expected web_hook)")
        address = _address(_text(body, "address", "Missing webhook URL."))
        token = body.get("token")
        if token is not None and (not isinstance(token, str) or len(token) > MAX_CHANNEL_TOKEN):
            raise ApiError(400, "invalid", "Invalid channel token: a string of ≤ 256 characters.")
        channel = Channel(
            id=channel_id,
            resource_id=_resource_id(cal.id),
            resource_uri="https://www.googleapis.com/calendar/v3/calendars/"
            f"{quote(calendar_id, safe='@')}/events?alt=json",
            calendar_id=cal.id,
            user=user,
            address=address,
            token=token,
            expiration_ms=self._expiration_ms(body),
        )
        self.channels[channel_id] = channel
        self._notify(channel, "sync")
        answer: JsonDict = {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": channel.resource_uri,
            "expiration": str(channel.expiration_ms),
        }
        if token is not None:
            answer["token"] = token
        return answer

    def stop(self, user: str, body: JsonDict) -> None:
        channel_id = _text(body, "id", "Missing channel id.")
        resource_id = _text(body, "resourceId", "Missing resource id.")
        channel = self.channels.get(channel_id)
        if (
            channel is None
            or channel.resource_id != resource_id
            or channel.user != user
            or not self._alive(channel)
        ):
            raise ApiError(404, "notFound", f"Channel '{channel_id}' not found")
        channel.stopped = True
        del self.channels[channel_id]

    # ---- changes ------------------------------------------------------------------------------

    def calendar_changed(self, calendar_id: str) -> None:
        for channel in self._watching(calendar_id):
            self._notify(channel, "exists")

    def calendar_gone(self, calendar_id: str) -> None:
        for channel in self._watching(calendar_id):
            self._notify(channel, "not_exists")
            channel.stopped = True
            del self.channels[channel.id]

    def describe(self) -> list[JsonDict]:
        return [
            {
                "id": c.id,
                "resource_id": c.resource_id,
                "calendar_id": c.calendar_id,
                "user": c.user,
                "address": c.address,
                "expiration_ms": c.expiration_ms,
                "messages": c.message_number,
                "alive": self._alive(c),
            }
            for c in self.channels.values()
        ]

    def close(self) -> None:
        self.outbox.close()

    # ---- plumbing -----------------------------------------------------------------------------

    def _watching(self, calendar_id: str) -> list[Channel]:
        return [
            c for c in self.channels.values() if c.calendar_id == calendar_id and self._alive(c)
        ]

    def _alive(self, channel: Channel) -> bool:
        return not channel.stopped and _ms(self.state.now()) < channel.expiration_ms

    def _expiration_ms(self, body: JsonDict) -> int:
        now = _ms(self.state.now())
        longest = now + self.settings.push_max_ttl * 1000
        raw = body.get("expiration")
        params = body.get("params")
        ttl = params.get("ttl") if isinstance(params, dict) else None
        if raw is None and ttl is None:
            return now + self.settings.push_default_ttl * 1000
        try:
            wanted = int(raw) if raw is not None else now + int(float(str(ttl)) * 1000)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "invalid", "Invalid expiration: milliseconds since epoch.") from exc
        if wanted <= now:
            raise ApiError(400, "invalid", "Invalid expiration: it is in the past.")
        # Like Google, a longer expiration than allowed is cut down, not refused.
        return min(wanted, longest)

    def _notify(self, channel: Channel, resource_state: str) -> None:
        channel.message_number += 1
        expires = datetime.fromtimestamp(channel.expiration_ms / 1000, UTC)
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": email.utils.format_datetime(expires, usegmt=True),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Resource-State": resource_state,
            "X-Goog-Message-Number": str(channel.message_number),
            "Content-Length": "0",
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        last_message = resource_state == "not_exists"
        self.outbox.submit(
            Delivery(
                url=channel.address,
                render=lambda _attempt: (headers, b""),
                label=f"{channel.id}#{channel.message_number} {resource_state}",
                max_attempts=self.settings.push_max_attempts,
                backoff_initial_s=self.settings.push_retry_initial,
                wanted=lambda: last_message or self._alive(channel),
            )
        )


def _text(body: JsonDict, name: str, missing: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError(400, "required", missing)
    return value


def _address(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ApiError(400, "invalid", f"Invalid webhook URL: {url}")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ApiError(400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {url}")
    return url


def _resource_id(calendar_id: str) -> str:
    # Opaque and stable per watched resource, like Google's (every channel on it shares it).
    return "r" + hashlib.sha256(calendar_id.encode()).hexdigest()[:26]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
