"""Notion webhook requests, checked and read (API-FACTS, "Notion webhooks"). Pure: bytes and
strings in, values out; the HTTP receiver is the API's.

Order for a receiver: a body holding only `verification_token` is the one-time subscription
check (unsigned: show the token to the admin, who pastes it into Notion). Every other request
must carry `X-Notion-Signature: sha256=<HMAC-SHA256 of the raw body keyed with that token>`:
`verify_signature` on the raw bytes, in constant time, BEFORE `parse_webhook`. Events carry
ids, not values — fetch the page — and arrive at least once and maybe aggregated: dedupe by
`WebhookEvent.id`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SIGNATURE_HEADER = "X-Notion-Signature"
_PREFIX = "sha256="


class WebhookPayloadError(ValueError):
    """The body is not a Notion webhook request; the message names the field and the reason."""


@dataclass(frozen=True)
class VerificationRequest:
    verification_token: str


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str  # page.created, page.properties_updated, page.deleted, ...
    timestamp: datetime  # aware
    entity_id: str
    entity_type: str  # page, database, data_source, comment
    parent_id: str | None
    parent_type: str | None
    data_source_id: str | None  # the page's data source, when Notion names it
    updated_properties: tuple[str, ...]  # property ids (page.properties_updated)
    attempt_number: int
    subscription_id: str | None
    workspace_id: str | None
    authors: tuple[tuple[str, str], ...]  # (id, type): "person", "bot", "agent"


def signature_for(raw_body: bytes, verification_token: str) -> str:
    digest = hmac.new(verification_token.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify_signature(raw_body: bytes, signature: str | None, verification_token: str) -> bool:
    """True only when `signature` (the header's value) is the body's HMAC under the token. Any
    change to the body — a forged one, or a replayed one with a field edited — fails."""
    if not signature or not verification_token:
        return False
    expected = signature_for(raw_body, verification_token)
    return hmac.compare_digest(
        expected.encode("ascii"), signature.strip().encode("ascii", "replace")
    )


def parse_webhook(raw_body: bytes) -> WebhookEvent | VerificationRequest:
    try:
        data = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError("body: not JSON") from exc
    if not isinstance(data, dict):
        raise WebhookPayloadError("body: not a JSON object")
    if "verification_token" in data and "type" not in data:
        return VerificationRequest(_text(data, "verification_token"))
    entity = data.get("entity")
    if not isinstance(entity, dict):
        raise WebhookPayloadError("entity: missing or not an object")
    payload = _object(data.get("data"))
    parent = _object(payload.get("parent"))
    updated = payload.get("updated_properties") or []
    if not isinstance(updated, list):
        raise WebhookPayloadError("data.updated_properties: not a list")
    attempt = data.get("attempt_number", 1)
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
        raise WebhookPayloadError("attempt_number: not a positive integer")
    return WebhookEvent(
        id=_text(data, "id"),
        type=_text(data, "type"),
        timestamp=_timestamp(data.get("timestamp")),
        entity_id=_text(entity, "id", "entity.id"),
        entity_type=_text(entity, "type", "entity.type"),
        parent_id=_optional(parent.get("id")),
        parent_type=_optional(parent.get("type")),
        data_source_id=_data_source_id(parent),
        updated_properties=tuple(str(p) for p in updated),
        attempt_number=attempt,
        subscription_id=_optional(data.get("subscription_id")),
        workspace_id=_optional(data.get("workspace_id")),
        authors=tuple(
            (str(a.get("id")), str(a.get("type")))
            for a in data.get("authors") or []
            if isinstance(a, dict)
        ),
    )


def _text(data: dict[str, Any], key: str, name: str | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise WebhookPayloadError(f"{name or key}: missing or not a string")
    return value


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _optional(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _data_source_id(parent: dict[str, Any]) -> str | None:
    # Notion has named it either way for API 2025-09-03 pages: accept both.
    explicit = _optional(parent.get("data_source_id"))
    if explicit is not None:
        return explicit
    return _optional(parent.get("id")) if parent.get("type") == "data_source" else None


def _timestamp(value: object) -> datetime:
    if not isinstance(value, str):
        raise WebhookPayloadError("timestamp: missing or not a string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise WebhookPayloadError("timestamp: not an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        raise WebhookPayloadError("timestamp: no time zone")
    return moment
