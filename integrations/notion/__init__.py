"""Notion adapter (notion-client 3, API 2025-09-03). Only this package knows Notion's JSON."""

from __future__ import annotations

from integrations.notion.client import NotionClient, advance_watermark
from integrations.notion.errors import NotionSchemaError, map_exception
from integrations.notion.ratelimit import (
    InProcessRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    limiter_key,
)
from integrations.notion.retry import call_with_retries
from integrations.notion.schema import PreparedSchema, SchemaMapping, check_and_prepare_schema
from integrations.notion.values import (
    DataSourceRef,
    NotionPageResult,
    NotionStatus,
    NotionTaskContent,
    RemotePage,
    content_hash_of,
    page_content_hash,
    push_hash,
)
from integrations.notion.webhooks import (
    SIGNATURE_HEADER,
    VerificationRequest,
    WebhookEvent,
    WebhookPayloadError,
    parse_webhook,
    signature_for,
    verify_signature,
)

__all__ = [
    "SIGNATURE_HEADER",
    "DataSourceRef",
    "InProcessRateLimiter",
    "NotionClient",
    "NotionPageResult",
    "NotionSchemaError",
    "NotionStatus",
    "NotionTaskContent",
    "PreparedSchema",
    "RateLimiter",
    "RedisRateLimiter",
    "RemotePage",
    "SchemaMapping",
    "VerificationRequest",
    "WebhookEvent",
    "WebhookPayloadError",
    "advance_watermark",
    "call_with_retries",
    "check_and_prepare_schema",
    "content_hash_of",
    "limiter_key",
    "map_exception",
    "page_content_hash",
    "parse_webhook",
    "push_hash",
    "signature_for",
    "verify_signature",
]
