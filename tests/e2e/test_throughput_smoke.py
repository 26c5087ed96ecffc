"""The throughput benchmark's quick mode (the full one is `python -m bench.throughput`): ten
students synced by real workers on Redis + PostgreSQL; every figure comes out and makes sense."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.throughput import SQL_BUDGET, ThroughputConfig, run

EXPECTED = {
    "dispatch_wall_time",
    "dispatch_fanout_wall_time",
    "dispatch_rate",
    "sql_statements_per_sync_cold_2_assessments",
    "sql_statements_per_sync_noop_2_assessments",
    "sql_statements_per_sync_cold_8_assessments",
    "sql_statements_per_sync_noop_8_assessments",
    "tasks_per_user_2_assessments",
    "tasks_per_user_8_assessments",
    "seed_students_wall_time",
    "sync_cold_users_per_min",
    "sync_cold_wall_time",
    "sync_noop_users_per_min",
    "sync_noop_wall_time",
    "api_calls_per_user_cold_google",
    "api_calls_per_user_cold_notion",
    "api_calls_per_user_noop_google",
    "api_calls_per_user_noop_notion",
    "worker_rss_idle",
    "worker_rss_after_cold",
    "worker_rss_after_noop",
    "worker_max_rss",
}
ALWAYS_ZERO = {"sync_cold_not_ok", "sync_noop_not_ok"}


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
def test_quick_throughput_run_reports_every_figure(
    postgres_base_url: str, redis_url: str, tmp_path: Path, key_ring: list[str]
) -> None:
    config = ThroughputConfig(
        base_database_url=postgres_base_url,
        broker_url=redis_url,
        workdir=tmp_path,
        users=10,
        dispatch_users=(10, 100),
        workers=(1, 2),
        sql_sample=1,
        fernet_key=key_ring[0],
    )
    metrics = run(config, log=lambda _m: None)
    by_name: dict[str, list[float]] = {}
    for metric in metrics:
        by_name.setdefault(metric.metric, []).append(metric.value)
    assert set(by_name) == EXPECTED | ALWAYS_ZERO
    for name in EXPECTED:
        assert all(value > 0 for value in by_name[name]), (name, by_name[name])
    for name in ALWAYS_ZERO:  # every sync of a healthy student succeeds
        assert by_name[name] == [0, 0]
    assert len(by_name["sync_cold_users_per_min"]) == 2  # one per worker count
    # A no-op sync sends no write: fewer calls than the cold one that pushed everything.
    assert by_name["api_calls_per_user_noop_google"] < by_name["api_calls_per_user_cold_google"]
    # The no-op sync's SQL is within budget and does not grow with the number of tasks.
    noop = by_name["sql_statements_per_sync_noop_2_assessments"]
    assert noop == by_name["sql_statements_per_sync_noop_8_assessments"]
    assert noop[0] <= SQL_BUDGET
