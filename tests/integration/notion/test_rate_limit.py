"""The per-token limiter: Notion's real 3 req/s, and a budget shared through Redis."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from emulators.notion import start_notion_emulator
from integrations.errors import TransientError
from integrations.notion import (
    InProcessRateLimiter,
    NotionClient,
    RedisRateLimiter,
    limiter_key,
)
from tests.integration.notion.conftest import TEST_RETRY
from tests.integration.notion.helpers import make_task


def test_fifteen_requests_at_notions_real_rate_see_no_429() -> None:
    # Real numbers: Notion 3 req/s (small burst), our limiter 2.5 req/s with a burst of 3.
    emulator = start_notion_emulator(rate_per_s=3.0, burst=3.0)
    try:
        ws = emulator.admin.create_workspace()
        with NotionClient(
            emulator.base_url, ws.token, InProcessRateLimiter(), 5.0, retry=TEST_RETRY
        ) as client:
            client.prepare_schema(ws.data_source_id)
            started = time.monotonic()
            for i in range(14):
                client.create_page(ws.data_source_id, make_task(i))
            elapsed = time.monotonic() - started
        assert emulator.admin.total_requests() == 15
        assert emulator.admin.status_count(429) == 0
        assert elapsed >= (15 - 3) / 2.5 - 0.5 - 0.4  # the first call (prepare) was in the burst
    finally:
        emulator.stop()


def test_without_the_limiter_notion_answers_429_with_retry_after() -> None:
    emulator = start_notion_emulator(rate_per_s=3.0, burst=3.0)
    try:
        ws = emulator.admin.create_workspace()
        unlimited = InProcessRateLimiter(rate_per_s=10_000.0, burst=10_000)
        with (
            NotionClient(emulator.base_url, ws.token, unlimited, 5.0, retry=TEST_RETRY) as client,
            pytest.raises(TransientError) as caught,
        ):
            for _ in range(8):
                client.resolve_data_source(ws.database_id)
        assert caught.value.status == 429 and caught.value.code == "rate_limited"
        assert caught.value.retry_after is not None and caught.value.retry_after >= 1
        assert emulator.admin.status_count(429) >= 2  # the client's own retry was refused too
    finally:
        emulator.stop()


def test_in_process_limiter_paces_one_key_and_not_another() -> None:
    limiter = InProcessRateLimiter(rate_per_s=20.0, burst=2)
    started = time.monotonic()
    for _ in range(10):
        limiter.acquire("a")
    elapsed = time.monotonic() - started
    assert 0.35 <= elapsed < 1.0  # (10 - 2) / 20 = 0.4 s
    started = time.monotonic()
    limiter.acquire("b")
    assert time.monotonic() - started < 0.05


def test_limiter_key_is_a_hash_of_the_token() -> None:
    key = limiter_key("secret_abc123")
    assert "secret_abc123" not in key
    assert key == limiter_key("secret_abc123") != limiter_key("secret_abc124")


@pytest.mark.redis
def test_redis_limiter_shares_one_budget_across_instances(redis_url: str) -> None:
    import redis

    key = f"test-{time.time_ns()}"
    limiters = [RedisRateLimiter.from_url(redis_url, rate_per_s=20.0, burst=2) for _ in range(2)]
    stamps: list[float] = []
    lock = threading.Lock()

    def worker(limiter: RedisRateLimiter) -> None:
        for _ in range(10):
            limiter.acquire(key)
            with lock:
                stamps.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(lim,)) for lim in limiters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 20 acquisitions through one budget of 20/s with burst 2: ≈ (20 - 2) / 20 = 0.9 s.
    assert max(stamps) - started >= 0.8
    # No 1-second window ever held more than rate + burst acquisitions.
    stamps.sort()
    assert all(sum(1 for s in stamps if a <= s < a + 1.0) <= 22 for a in stamps)
    keys = redis.Redis.from_url(redis_url, decode_responses=True).keys("studyplanner:ratelimit:*")
    assert any(str(k).endswith(key) for k in keys)


@pytest.mark.redis
def test_redis_limiter_shares_one_budget_across_processes(redis_url: str) -> None:
    key = f"proc-{time.time_ns()}"
    script = textwrap.dedent(f"""
        import time
        from integrations.notion import RedisRateLimiter
        limiter = RedisRateLimiter.from_url({redis_url!r}, rate_per_s=20.0, burst=2)
        limiter.acquire({key!r} + "-warmup")
        print("ready", flush=True)
        input()
        for _ in range(10):
            limiter.acquire({key!r})
            print(time.time(), flush=True)
    """)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        started = time.time()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=20)[0] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    stamps = sorted(float(line) for out in outputs for line in out.split())
    assert len(stamps) == 20
    assert stamps[-1] - started >= 0.8  # one shared budget, not two of 20/s each


def test_redis_limiter_unreachable_is_transient() -> None:
    limiter = RedisRateLimiter.from_url("redis://127.0.0.1:1/0")
    with pytest.raises(TransientError) as caught:
        limiter.acquire("k")
    assert caught.value.code == "limiter_unavailable"


@pytest.mark.redis
def test_notion_client_through_redis_keys_by_token_hash(redis_url: str) -> None:
    import redis

    emulator = start_notion_emulator(rate_per_s=100.0, burst=10.0)
    try:
        ws = emulator.admin.create_workspace()
        limiter = RedisRateLimiter.from_url(redis_url, rate_per_s=50.0, burst=3)
        with NotionClient(emulator.base_url, ws.token, limiter, 5.0, retry=TEST_RETRY) as client:
            client.prepare_schema(ws.data_source_id)
            client.create_page(ws.data_source_id, make_task(1))
        keys = [
            str(k)
            for k in redis.Redis.from_url(redis_url, decode_responses=True).keys(
                "studyplanner:ratelimit:*"
            )
        ]
        assert f"studyplanner:ratelimit:{limiter_key(ws.token)}" in keys
        assert not any(ws.token in k for k in keys)
        assert emulator.admin.total_requests() == 2
    finally:
        emulator.stop()
