"""Build the provider clients of one user from the settings and their stored integration.
The only place that turns decrypted tokens into live clients; nothing here logs them."""

from __future__ import annotations

import threading
from functools import lru_cache

from db.models import IntegrationSettings
from integrations.errors import NeedsReauthError
from integrations.google_calendar import GoogleCalendarClient
from integrations.notion import InProcessRateLimiter, NotionClient, RateLimiter, RedisRateLimiter
from integrations.notion.schema import PreparedSchema
from services.settings import Settings

NOTION_RATE_PER_S = 2.5
NOTION_BURST = 3


def google_client(settings: Settings, integration: IntegrationSettings) -> GoogleCalendarClient:
    if not integration.google_refresh_token:
        raise NeedsReauthError(
            "no Google grant stored: run 'studyplanner connect google'",
            provider="google",
            operation="credentials",
        )
    return GoogleCalendarClient(
        base_url=settings.google_api_endpoint,
        token_uri=settings.google_token_uri,
        access_token=integration.google_access_token,
        refresh_token=integration.google_refresh_token,
        client_id=settings.google_client_id or "",
        client_secret=(
            settings.google_client_secret.get_secret_value()
            if settings.google_client_secret
            else ""
        ),
        token_expiry=integration.google_token_expiry,
        timeout=20.0,
    )


_limiter_lock = threading.Lock()


@lru_cache(maxsize=8)
def _shared_limiter(redis_url: str | None, rate: float, burst: int) -> RateLimiter:
    # One limiter per process and Redis: all threads and all clients of one token share it, and
    # with Redis all worker processes and machines share the same budget.
    if redis_url:
        return RedisRateLimiter.from_url(redis_url, rate_per_s=rate, burst=burst)
    return InProcessRateLimiter(rate_per_s=rate, burst=burst)


def notion_limiter(settings: Settings) -> RateLimiter:
    with _limiter_lock:
        return _shared_limiter(
            settings.effective_redis_url, settings.notion_rate_per_s, settings.notion_burst
        )


def notion_client(settings: Settings, integration: IntegrationSettings) -> NotionClient:
    if not integration.notion_access_token:
        raise NeedsReauthError(
            "no Notion token stored: run 'studyplanner connect notion'",
            provider="notion",
            operation="credentials",
        )
    schema = None
    if integration.notion_data_source:
        schema = PreparedSchema.from_dict(integration.notion_property_map)
    return NotionClient(
        settings.notion_base_url,
        integration.notion_access_token,
        notion_limiter(settings),
        timeout_s=20.0,
        schema=schema,
    )
