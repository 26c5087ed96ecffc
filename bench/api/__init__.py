"""The API benchmark: latency percentiles and requests per second of `GET /v1/health` (the
framework floor) and `GET /v1/users/{id}` (token check, rate limit, one owned row), served by
`studyplanner api serve --workers N` on PostgreSQL, with the Redis-backed rate limiter on.

The load comes from this process: `concurrency` keep-alive connections, each sending its next
GET as soon as the last answer arrived (a minimal HTTP/1.1 client on asyncio streams). On 2
cores it competes with the server for CPU, so the figures are what one machine does end to end,
not the server alone. The task-list and plan endpoints join here when their routes exist.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from api.auth import mint_token
from db import migrate
from db.session import make_engine, session_scope
from services.catalog import upsert_user
from services.schemas import UserIn
from services.settings import Settings
from tests.scratch import create_scratch_postgres, drop_scratch_postgres

SECRET = "bench-secret-" + "b" * 40


@dataclass(frozen=True)
class ApiBenchConfig:
    base_database_url: str
    redis_url: str | None
    workdir: Path
    workers: int = 2
    users: int = 200
    requests: int = 10000
    warmup: int = 300
    concurrency: int = 8


@dataclass(frozen=True)
class Metric:
    metric: str
    value: float
    unit: str
    endpoint: str
    workers: int
    concurrency: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Endpoint:
    name: str  # e.g. "GET /v1/users/{id}"
    slug: str  # e.g. "user"
    request: Callable[[random.Random], tuple[str, dict[str, str]]]  # path, headers


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    index = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


class _Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol for GETs
    answered with a Content-Length (uvicorn's JSON responses). A full client (httpx) spends
    more CPU per request than the server does, and on 2 shared cores that would be measured
    instead of the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def get(self, host: str, path: str, headers: dict[str, str]) -> int:
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status


async def _load(
    base_url: str, endpoint: Endpoint, count: int, concurrency: int, seed: int
) -> tuple[list[float], int, float]:
    """Send `count` requests, `concurrency` at a time; latencies (s), non-200s, wall time."""
    parts = httpx.URL(base_url)
    host, port = parts.host, parts.port or 80
    rng = random.Random(seed)
    latencies: list[float] = []
    failures = 0
    remaining = count
    connections = [
        _Connection(*await asyncio.open_connection(host, port)) for _ in range(concurrency)
    ]

    async def worker(conn: _Connection) -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            path, headers = endpoint.request(rng)
            started = time.perf_counter()
            status = await conn.get(f"{host}:{port}", path, headers)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                failures += 1

    wall_start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    wall = time.perf_counter() - wall_start
    for conn in connections:
        conn.writer.close()
        await conn.writer.wait_closed()
    return latencies, failures, wall


def measure(
    base_url: str, endpoint: Endpoint, config: ApiBenchConfig, emit: Callable[[Metric], None]
) -> None:
    asyncio.run(_load(base_url, endpoint, config.warmup, config.concurrency, seed=1))
    latencies, failures, wall = asyncio.run(
        _load(base_url, endpoint, config.requests, config.concurrency, seed=2)
    )
    ordered = sorted(latencies)

    def out(name: str, value: float, unit: str) -> None:
        emit(Metric(f"api_{endpoint.slug}_{name}", value, unit, endpoint.name,
                    config.workers, config.concurrency))  # fmt: skip

    for q in (50, 95, 99):
        out(f"p{q}", round(percentile(ordered, q) * 1000, 2), "ms")
    out("mean", round(statistics.fmean(ordered) * 1000, 2), "ms")
    out("requests_per_s", round(len(latencies) / wall, 1), "req/s")
    out("non_200", failures, "responses")


@contextmanager
def scratch_postgres(base_url: str) -> Iterator[str]:
    url = create_scratch_postgres(base_url, prefix="studyplanner_bench_api")
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop_scratch_postgres(base_url, url)


def seed_users(database_url: str, count: int) -> list[Any]:
    engine = make_engine(database_url)
    ids = []
    try:
        with session_scope(engine) as session:
            for i in range(count):
                data = UserIn(email=f"bench-{i}@example.edu", full_name=f"Bench Student {i}")
                ids.append(upsert_user(session, data).id)
    finally:
        engine.dispose()
    return ids


def run(
    config: ApiBenchConfig, *, log: Callable[[str], None], emit: Callable[[Metric], None]
) -> None:
    from tests.e2e.api.server import serve_cli

    with scratch_postgres(config.base_database_url) as database_url:
        log(f"seeding {config.users} users")
        user_ids = seed_users(database_url, config.users)
        settings = Settings(
            _env_file=None,
            var_dir=config.workdir / "var",
            database_url=database_url,
            redis_url=config.redis_url,
            api_jwt_secret=SECRET,
            api_rate_limit=1_000_000_000,  # counted (the cost is real), never reached
            log_level="WARNING",  # no access log line per request
        )
        tokens = {
            uid: mint_token(settings, user_id=uid, email="", ttl=timedelta(hours=2))
            for uid in user_ids
        }

        def user_request(rng: random.Random) -> tuple[str, dict[str, str]]:
            uid = rng.choice(user_ids)
            return f"/v1/users/{uid}", {"Authorization": f"Bearer {tokens[uid]}"}

        endpoints = [
            Endpoint("GET /v1/health", "health", lambda rng: ("/v1/health", {})),
            Endpoint("GET /v1/users/{id}", "user", user_request),
        ]
        env = settings.as_env()
        config.workdir.mkdir(parents=True, exist_ok=True)
        with serve_cli(env, config.workdir, workers=config.workers) as url:
            for endpoint in endpoints:
                log(f"{endpoint.name}: {config.requests} requests, {config.concurrency} in flight")
                measure(url, endpoint, config, emit)
