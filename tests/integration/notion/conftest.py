"""Fixtures: a Notion emulator on a free port, a workspace in it, and adapter clients."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from notion_client import RetryOptions

from emulators.notion import EmulatedWorkspace, NotionEmulator, start_notion_emulator
from integrations.notion import InProcessRateLimiter, NotionClient, RateLimiter

# Tests run the emulator fast (its real 3 req/s would make a 200-page push take a minute);
# test_rate_limit.py checks the real rate separately.
FAST_EMULATOR: dict[str, Any] = {"rate_per_s": 100.0, "burst": 10.0}
TEST_RETRY = RetryOptions(max_retries=1, initial_retry_delay_ms=10, max_retry_delay_ms=50)

ClientFactory = Callable[..., NotionClient]


@pytest.fixture
def emulator() -> Iterator[NotionEmulator]:
    emu = start_notion_emulator("127.0.0.1", 0, **FAST_EMULATOR)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def workspace(emulator: NotionEmulator) -> EmulatedWorkspace:
    return emulator.admin.create_workspace()


@pytest.fixture
def make_client(emulator: NotionEmulator, workspace: EmulatedWorkspace) -> Iterator[ClientFactory]:
    clients: list[NotionClient] = []

    def factory(
        *,
        token: str | None = None,
        limiter: RateLimiter | None = None,
        timeout_s: float = 5.0,
        **kwargs: Any,
    ) -> NotionClient:
        client = NotionClient(
            emulator.base_url,
            token or workspace.token,
            limiter or InProcessRateLimiter(rate_per_s=80.0, burst=5),
            timeout_s,
            retry=kwargs.pop("retry", TEST_RETRY),
            **kwargs,
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory, workspace: EmulatedWorkspace) -> NotionClient:
    c = make_client()
    c.prepare_schema(workspace.data_source_id)
    return c


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis, else skip (or fail when STUDYPLANNER_REQUIRE_SERVICES=1)."""
    import redis

    url = os.environ.get("STUDYPLANNER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("STUDYPLANNER_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis required but unreachable: {type(exc).__name__}")
        pytest.skip("Redis unreachable")
    return url
