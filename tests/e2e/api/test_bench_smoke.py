"""The API benchmark's code path with a few requests (the real run is `python -m bench.api`):
every figure comes out, in order, and no request failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.api import ApiBenchConfig, Metric, run


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_bench_api_quick(postgres_base_url: str, redis_url: str, tmp_path: Path) -> None:
    config = ApiBenchConfig(
        base_database_url=postgres_base_url,
        redis_url=redis_url,
        workdir=tmp_path,
        workers=2,
        users=5,
        requests=60,
        warmup=10,
        concurrency=4,
        heavy_users=1,
        tasks_each=300,
        single_requests=20,
    )
    metrics: list[Metric] = []
    run(config, log=lambda _m: None, emit=metrics.append)
    for setup in ((2, 4), (1, 1)):
        values = {m.metric: m.value for m in metrics if (m.workers, m.concurrency) == setup}
        for slug in ("health", "user", "tasks", "plan"):
            assert values[f"api_{slug}_non_200"] == 0
            p50, p95, p99 = (values[f"api_{slug}_p{q}"] for q in (50, 95, 99))
            assert 0 < p50 <= p95 <= p99
            assert values[f"api_{slug}_requests_per_s"] > 0
    assert all(m.load_avg_1m >= 0 for m in metrics)
