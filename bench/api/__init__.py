"""The API benchmark: latency percentiles and requests per second of `GET /v1/health` (the
framework floor), `GET /v1/users/{id}` (token check, rate limit, one owned row), the task list
of a student with 2,000 tasks with filters on, and the plan, served by
`studyplanner api serve --workers N` on PostgreSQL, with the Redis-backed rate limiter on; then
the same with 1 worker and 1 connection.

The load comes from this process: `concurrency` keep-alive connections, each sending its next
GET as soon as the last answer arrived (a minimal HTTP/1.1 client on asyncio streams). On 2
cores it competes with the server for CPU, so the figures are what one machine does end to end,
not the server alone.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import make_url

from api.auth import mint_token
from bench.api import cpu
from bench.api.seed import (
    EPOCH,
    PAST_DAYS,
    SPREAD_DAYS,
    HeavyStudent,
    seed_heavy_students,
    seed_users,
)
from db import migrate
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
    requests: int = 3000
    warmup: int = 300
    concurrency: int = 8
    heavy_users: int = 10  # students with `tasks_each` tasks (the task list and the plan)
    tasks_each: int = 2000
    # Then the same endpoints with 1 worker and 1 connection (0: skipped): latency with no
    # queueing, which moves much less than the loaded figures when others share the cores.
    single_requests: int = 1000
    only: tuple[str, ...] = ()  # endpoint slugs to run (all when empty)


@dataclass(frozen=True)
class Setup:
    workers: int
    concurrency: int
    requests: int
    warmup: int


@dataclass(frozen=True)
class Metric:
    metric: str
    value: float
    unit: str
    endpoint: str
    workers: int
    concurrency: int
    load_avg_1m: float  # the machine's, when the endpoint's run ended (2 cores, shared)

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
    base_url: str,
    endpoint: Endpoint,
    setup: Setup,
    emit: Callable[[Metric], None],
    *,
    database: str = "",
) -> None:
    asyncio.run(_load(base_url, endpoint, setup.warmup, setup.concurrency, seed=1))
    # After the warm-up, so the pools' connections (and their backends) exist.
    server = cpu.server_pids(int(httpx.URL(base_url).port or 80)) if cpu.available() else []
    backends = cpu.backend_pids(database) if database and cpu.available() else []
    cpu_before = cpu.cpu_times(server), cpu.cpu_times(backends)
    latencies, failures, wall = asyncio.run(
        _load(base_url, endpoint, setup.requests, setup.concurrency, seed=2)
    )
    cpu_after = cpu.cpu_times(server), cpu.cpu_times(backends)
    ordered = sorted(latencies)
    load = round(os.getloadavg()[0], 2)

    def out(name: str, value: float, unit: str) -> None:
        emit(Metric(f"api_{endpoint.slug}_{name}", value, unit, endpoint.name,
                    setup.workers, setup.concurrency, load))  # fmt: skip

    for q in (50, 95, 99):
        out(f"p{q}", round(percentile(ordered, q) * 1000, 2), "ms")
    out("mean", round(statistics.fmean(ordered) * 1000, 2), "ms")
    out("requests_per_s", round(len(latencies) / wall, 1), "req/s")
    out("non_200", failures, "responses")
    if server:
        # CPU per request barely moves with the machine's load: the figure to compare versions.
        per_request = 1000 / len(latencies)
        server_s = cpu.spent(cpu_before[0], cpu_after[0])
        out("server_cpu_ms_per_request", round(server_s * per_request, 3), "ms")
        db_s = cpu.spent(cpu_before[1], cpu_after[1])
        out("db_cpu_ms_per_request", round(db_s * per_request, 3), "ms")


@contextmanager
def scratch_postgres(base_url: str) -> Iterator[str]:
    url = create_scratch_postgres(base_url, prefix="studyplanner_bench_api")
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop_scratch_postgres(base_url, url)


def run(
    config: ApiBenchConfig, *, log: Callable[[str], None], emit: Callable[[Metric], None]
) -> None:
    from tests.e2e.api.server import serve_cli

    with scratch_postgres(config.base_database_url) as database_url:
        database = make_url(database_url).database or ""
        log(f"seeding {config.users} users and {config.heavy_users} with {config.tasks_each} tasks")
        user_ids = seed_users(database_url, config.users)
        heavy = seed_heavy_students(database_url, config.heavy_users, config.tasks_each)
        settings = Settings(
            _env_file=None,
            var_dir=config.workdir / "var",
            database_url=database_url,
            redis_url=config.redis_url,
            api_jwt_secret=SECRET,
            api_rate_limit=1_000_000_000,  # counted (the cost is real), never reached
            log_level="WARNING",  # no access log line per request
        )
        everyone = user_ids + [h.user_id for h in heavy]
        tokens = {
            uid: mint_token(settings, user_id=uid, email="", ttl=timedelta(hours=2))
            for uid in everyone
        }
        endpoints = [
            e
            for e in bench_endpoints(user_ids, heavy, tokens)
            if not config.only or e.slug in config.only
        ]
        env = settings.as_env()
        config.workdir.mkdir(parents=True, exist_ok=True)
        setups = [(config.workers, config.concurrency, config.requests)]
        if config.single_requests:
            setups.append((1, 1, config.single_requests))
        for workers, concurrency, requests in setups:
            with serve_cli(env, config.workdir, workers=workers) as url:
                for endpoint in endpoints:
                    log(f"{endpoint.name}: {requests} requests, {workers} workers, "
                        f"{concurrency} in flight, load {os.getloadavg()[0]:.2f}")  # fmt: skip
                    setup = Setup(workers, concurrency, requests, config.warmup)
                    measure(url, endpoint, setup, emit, database=database)


def bench_endpoints(
    user_ids: list[uuid.UUID], heavy: list[HeavyStudent], tokens: dict[uuid.UUID, str]
) -> list[Endpoint]:
    def user_request(rng: random.Random) -> tuple[str, dict[str, str]]:
        uid = rng.choice(user_ids)
        return f"/v1/users/{uid}", {"Authorization": f"Bearer {tokens[uid]}"}

    def tasks_request(rng: random.Random) -> tuple[str, dict[str, str]]:
        # Every filter of the route at once but the topic: a status, a course and a 60-day
        # window somewhere in the term (about one page of matches).
        student = rng.choice(heavy)
        offset_days = rng.randrange(-PAST_DAYS, SPREAD_DAYS - PAST_DAYS - 60)
        since = EPOCH.date() + timedelta(days=offset_days)
        until = since + timedelta(days=59)
        query = urlencode({
            "status": rng.choice(("scheduled", "completed")),
            "course": rng.choice(student.courses),
            "since": since.isoformat(),
            "until": until.isoformat(),
        })  # fmt: skip
        path = f"/v1/users/{student.user_id}/tasks?{query}"
        return path, {"Authorization": f"Bearer {tokens[student.user_id]}"}

    def plan_request(rng: random.Random) -> tuple[str, dict[str, str]]:
        student = rng.choice(heavy)
        path = f"/v1/users/{student.user_id}/plan"
        return path, {"Authorization": f"Bearer {tokens[student.user_id]}"}

    return [
        Endpoint("GET /v1/health", "health", lambda rng: ("/v1/health", {})),
        Endpoint("GET /v1/users/{id}", "user", user_request),
        Endpoint("GET /v1/users/{id}/tasks (2,000 tasks, filtered)", "tasks", tasks_request),
        Endpoint("GET /v1/users/{id}/plan", "plan", plan_request),
    ]
