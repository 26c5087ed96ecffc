"""Fetch an LMS calendar feed. Its URL carries the student's secret token, so no message, log
line or exception built here ever contains more of it than scheme and host."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

MAX_FEED_BYTES = 5_000_000
TIMEOUT_S = 20.0


class FeedFetchError(Exception):
    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


def public_part(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}" if parts.scheme else "(local file)"


def fetch_feed(location: str, *, timeout_s: float = TIMEOUT_S) -> bytes:
    """An http(s) URL, a webcal:// URL (fetched over https) or a local file path."""
    if location.startswith("webcal://"):
        location = "https://" + location.removeprefix("webcal://")
    scheme = urlsplit(location).scheme
    if scheme not in ("http", "https"):
        path = Path(location)
        if not path.is_file():
            raise FeedFetchError(f"no feed file at {path}", retryable=False)
        return path.read_bytes()[: MAX_FEED_BYTES + 1]
    where = public_part(location)
    request = urllib.request.Request(location, headers={"User-Agent": "studyplanner"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            data: bytes = response.read(MAX_FEED_BYTES + 1)
    except urllib.error.HTTPError as exc:
        retryable = exc.code >= 500 or exc.code == 429
        raise FeedFetchError(f"{where} answered HTTP {exc.code}", retryable=retryable) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FeedFetchError(
            f"{where} unreachable: {type(reason).__name__}", retryable=True
        ) from None
    if len(data) > MAX_FEED_BYTES:
        raise FeedFetchError(f"{where}: feed larger than {MAX_FEED_BYTES} bytes", retryable=False)
    return data
