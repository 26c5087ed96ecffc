"""Push channels on a calendar's events (`events.watch`, `channels.stop`; API-FACTS "Push"):
the request body, checked before anything is sent, and the answer as a `WatchChannel`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from integrations.google_calendar.values import WatchChannel
from integrations.google_calendar.wire import JsonDict

CHANNEL_ID_RE = re.compile(r"^[A-Za-z0-9\-_+/=]{1,64}$")
MAX_CHANNEL_TOKEN = 256


def watch_body(channel_id: str, address: str, token: str, ttl: timedelta) -> JsonDict:
    """Raises ValueError naming the field when an argument cannot make a channel."""
    if not CHANNEL_ID_RE.match(channel_id):
        raise ValueError("channel_id: 1 to 64 characters of A-Z a-z 0-9 - _ + / =")
    parts = urlsplit(address)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("address: an https URL (Google refuses anything else)")
    if not token or len(token) > MAX_CHANNEL_TOKEN:
        raise ValueError(f"token: 1 to {MAX_CHANNEL_TOKEN} characters")
    seconds = int(ttl.total_seconds())
    if seconds < 1:
        raise ValueError("ttl: at least one second")
    return {
        "id": channel_id,
        "type": "web_hook",
        "address": address,
        "token": token,
        "params": {"ttl": str(seconds)},
    }


def parse_channel(answer: JsonDict, channel_id: str) -> WatchChannel:
    try:
        expiration_ms = int(answer["expiration"])
        resource_id = str(answer["resourceId"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError("the watch answer lacks resourceId or expiration") from exc
    return WatchChannel(
        channel_id=str(answer.get("id") or channel_id),
        resource_id=resource_id,
        resource_uri=str(answer.get("resourceUri") or ""),
        expiration=datetime.fromtimestamp(expiration_ms / 1000, UTC),
    )
