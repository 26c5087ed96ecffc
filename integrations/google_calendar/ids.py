"""Deterministic Google event ids from our block UUIDs.

Google lets a client choose an event id: base32hex digits only (`0-9a-v`, lowercase), 5–1024
characters. Deriving it from the block's UUID makes inserts idempotent — a retried insert meets
409 instead of creating a duplicate. The id is the UUID's 16 bytes in base32hex (26 characters,
padding dropped), so it can be decoded back to the block id.
"""

from __future__ import annotations

import base64
import re
from uuid import UUID

_VALID = re.compile(r"^[0-9a-v]{5,1024}$")
_OURS = re.compile(r"^[0-9a-v]{26}$")


class InvalidEventIdError(ValueError):
    """The id breaks Google's rule; sending it would get a 400."""


def is_valid_event_id(event_id: str) -> bool:
    return bool(_VALID.match(event_id))


def validate_event_id(event_id: str) -> str:
    if not is_valid_event_id(event_id):
        raise InvalidEventIdError(
            "event ids must be 5-1024 characters of lowercase base32hex (0-9, a-v)"
        )
    return event_id


def event_id_for_block(block_id: UUID) -> str:
    encoded = base64.b32hexencode(block_id.bytes).decode("ascii").rstrip("=").lower()
    return validate_event_id(encoded)


def block_id_from_event_id(event_id: str) -> UUID | None:
    """The block UUID an id of ours encodes, or None for ids we did not make."""
    if not _OURS.match(event_id):
        return None
    try:
        raw = base64.b32hexdecode(event_id.upper() + "======")
    except ValueError:
        return None
    if len(raw) != 16 or event_id_for_block(UUID(bytes=raw)) != event_id:
        return None
    return UUID(bytes=raw)
