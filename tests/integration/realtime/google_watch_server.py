"""A tiny Google Calendar push endpoint on 127.0.0.1 — `events.watch` and `channels.stop` as
Google documents them — and a client of it that fulfils services.realtime.ports.ChannelClient
over real HTTP. It stands in for the emulator and adapter another branch adds; both speak the
same documented protocol, so the tests keep their meaning when those replace it."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import httpx

from integrations.errors import (
    IntegrationError,
    NeedsReauthError,
    NotFoundError,
    PermanentError,
    TransientError,
)

WATCH_PREFIX = "/calendar/v3/calendars/"
WATCH_SUFFIX = "/events/watch"
STOP_PATH = "/calendar/v3/channels/stop"


@dataclass
class Channel:
    id: str
    calendar_id: str
    address: str
    token: str
    resource_id: str
    expiration_ms: int
    stopped: bool = False
    messages: int = 0


@dataclass
class WatchState:
    channels: dict[str, Channel] = field(default_factory=dict)
    max_ttl: timedelta = timedelta(days=7)
    refuse_watch: int | None = None  # an HTTP status to answer every watch with
    lock: threading.Lock = field(default_factory=threading.Lock)

    def live(self) -> list[Channel]:
        with self.lock:
            return [c for c in self.channels.values() if not c.stopped]

    def notification(self, channel_id: str, state: str = "exists") -> dict[str, str]:
        """The headers Google sends for the channel's next message (`sync` is message 1)."""
        with self.lock:
            channel = self.channels[channel_id]
            channel.messages += 1
            number = channel.messages
        return {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Token": channel.token,
            "X-Goog-Channel-Expiration": datetime.fromtimestamp(
                channel.expiration_ms / 1000, UTC
            ).strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": f"https://www.googleapis.com/calendar/v3/calendars/"
            f"{channel.calendar_id}/events?alt=json",
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(number),
        }


class _Handler(BaseHTTPRequestHandler):
    state: WatchState

    def log_message(self, *_args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, reason: str) -> None:
        self._answer(
            status, {"error": {"code": status, "message": reason, "errors": [{"reason": reason}]}}
        )

    def do_POST(self) -> None:
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            return self._error(401, "authError")
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path.startswith(WATCH_PREFIX) and self.path.endswith(WATCH_SUFFIX):
            calendar = unquote(self.path[len(WATCH_PREFIX) : -len(WATCH_SUFFIX)])
            return self._watch(calendar, body)
        if self.path == STOP_PATH:
            return self._stop(body)
        return self._error(404, "notFound")

    def _watch(self, calendar: str, body: dict[str, Any]) -> None:
        state = self.state
        if state.refuse_watch is not None:
            return self._error(state.refuse_watch, "pushNotSupportedForRequestedResource")
        channel_id = str(body.get("id", ""))
        if body.get("type") != "web_hook" or not channel_id or len(channel_id) > 64:
            return self._error(400, "invalid")
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        cap = now_ms + int(state.max_ttl.total_seconds() * 1000)
        asked = int(body.get("expiration") or cap)
        with state.lock:
            if channel_id in state.channels:
                return self._error(400, "channelIdNotUnique")
            channel = Channel(
                channel_id,
                calendar,
                str(body["address"]),
                str(body.get("token")),
                uuid.uuid4().hex,
                min(asked, cap),
            )
            state.channels[channel_id] = channel
        self._answer(
            200,
            {
                "kind": "api#channel",
                "id": channel.id,
                "resourceId": channel.resource_id,
                "resourceUri": "…",
                "token": channel.token,
                "expiration": str(channel.expiration_ms),
            },
        )

    def _stop(self, body: dict[str, Any]) -> None:
        with self.state.lock:
            channel = self.state.channels.get(str(body.get("id")))
            if channel is None or channel.resource_id != body.get("resourceId"):
                return self._error(404, "notFound")
            channel.stopped = True
        self._answer(204)


class WatchServer:
    def __init__(self) -> None:
        self.state = WatchState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class Watched:
    resource_id: str
    expiration: datetime


class HttpChannelClient:
    """ports.ChannelClient over HTTP, with Google's error mapping in miniature."""

    def __init__(self, base_url: str, access_token: str) -> None:
        self._http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10
        )

    def watch_events(
        self, calendar_id: str, channel_id: str, address: str, token: str, ttl: timedelta
    ) -> Watched:
        expiration = int((datetime.now(UTC) + ttl).timestamp() * 1000)
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "expiration": expiration,
        }
        answer = self._post(f"{WATCH_PREFIX}{calendar_id}{WATCH_SUFFIX}", body, "watch")
        return Watched(
            answer["resourceId"], datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
        )

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        self._post(STOP_PATH, {"id": channel_id, "resourceId": resource_id}, "channels.stop")

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, Any], operation: str) -> dict[str, Any]:
        try:
            response = self._http.post(path, json=body)
        except httpx.TransportError as exc:
            raise TransientError(
                type(exc).__name__, provider="google", operation=operation
            ) from None
        if response.status_code < 300:
            return dict(response.json()) if response.content else {}
        kind: type[IntegrationError] = PermanentError
        if response.status_code == 401:
            kind = NeedsReauthError
        elif response.status_code == 404:
            kind = NotFoundError
        elif response.status_code == 429 or response.status_code >= 500:
            kind = TransientError
        raise kind(
            f"HTTP {response.status_code}",
            provider="google",
            operation=operation,
            status=response.status_code,
        )
