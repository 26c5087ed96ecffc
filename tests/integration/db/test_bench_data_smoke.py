"""The data-layer benchmark (bench/data) runs end to end at a tiny size on PostgreSQL: every
metric is produced with a positive value, and the eight concurrent writers lose no update."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.data import Sizes, run

TINY = Sizes(
    users=5,
    tasks=2000,
    perf=300,
    topics_per_user=12,
    samples=10,
    mastery_samples=2,
    writer_iterations=3,
)
LATENCIES = (
    "plan_load",
    "history_query",
    "history_query.date_status",
    "history_query.course",
    "history_query.difficulty",
    "history_query_limit50",
    "mastery_recompute_100_topics",
    "concurrent_writers.latency",
)


def bench_databases(base_url: str) -> set[str]:
    engine = create_engine(make_url(base_url))
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE 'studyplanner_bench_%'")
        )
        found = {row[0] for row in names}
    engine.dispose()
    return found


@pytest.mark.postgres
def test_benchmark_reports_every_metric_and_loses_no_update(postgres_base_url: str) -> None:
    before = bench_databases(postgres_base_url)
    metrics = {m["metric"]: m for m in run(postgres_base_url, TINY)}

    expected = [f"{name}.{q}" for name in LATENCIES for q in ("p50", "p95", "p99")]
    expected += [
        "plan_load.tasks_per_load_mean",
        "history_query.rows_mean",
        "concurrent_writers.throughput",
        "dataset.study_tasks",
        "dataset.performance_records",
        "dataset.mastery_records",
    ]
    missing = [name for name in expected if name not in metrics]
    assert not missing, missing
    not_positive = {n: metrics[n]["value"] for n in expected if not metrics[n]["value"] > 0}
    assert not not_positive, not_positive
    for name in LATENCIES:
        p50, p99 = metrics[f"{name}.p50"]["value"], metrics[f"{name}.p99"]["value"]
        assert p50 <= p99, name
        assert metrics[f"{name}.p50"]["unit"] == "ms"
    assert metrics["dataset.study_tasks"]["value"] == TINY.tasks
    assert metrics["dataset.performance_records"]["value"] == TINY.perf
    assert metrics["plan_load.p50"]["n"] == TINY.samples
    # 8 writers x 3 records, every one of them reflected in the mastery row.
    assert metrics["concurrent_writers.throughput"]["n"] == 8 * TINY.writer_iterations
    assert metrics["lost_updates"]["value"] == 0
    # The scratch database is gone again.
    assert bench_databases(postgres_base_url) == before
