"""The error answers, limits, id and time formats that every part of the Notion emulator shares."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

Json = dict[str, Any]

MAX_TEXT_CHARS = 2000
MAX_ARRAY_ITEMS = 100
MAX_PAGE_SIZE = 100

CREATABLE_TYPES = frozenset({"title", "rich_text", "date", "select", "multi_select", "number"})
VALUE_TYPES = frozenset(CREATABLE_TYPES | {"status"})

_DEFAULT_ANNOTATIONS: Json = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}


class ApiError(Exception):
    """A refusal the server turns into `{"object": "error", "status", "code", "message"}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def validation_error(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def not_found(object_id: str) -> ApiError:
    return ApiError(
        404,
        "object_not_found",
        f"Could not find object with ID: {object_id}. Make sure the relevant pages and databases "
        "are shared with your integration.",
    )


def normalize_id(raw: str) -> str:
    """Notion accepts ids with or without dashes; store them dashed and lower-case."""
    compact = raw.replace("-", "").lower()
    if len(compact) != 32 or any(c not in "0123456789abcdef" for c in compact):
        return raw
    return str(uuid.UUID(compact))


def iso_minute(instant: datetime) -> str:
    """Notion's rounded timestamp: seconds and milliseconds are always zero."""
    rounded = instant.astimezone(UTC).replace(second=0, microsecond=0)
    return rounded.strftime("%Y-%m-%dT%H:%M:00.000Z")


def iso_exact(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{instant.microsecond // 1000:03d}Z"
    )


def parse_instant(raw: str, *, field_name: str) -> datetime:
    """A filter or date value: a date means its midnight UTC, a naive datetime means UTC."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise validation_error(f"{field_name} should be a valid ISO 8601 date string") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
