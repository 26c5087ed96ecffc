"""The short chaos run (the full one is `python -m bench.chaos`): a real worker process killed
at random while both emulators inject faults and the students edit; afterwards nothing is
duplicated, orphaned or lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos import ChaosConfig, run


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
def test_short_chaos_run_on_redis_and_postgres(
    postgres_url: str, redis_url: str, tmp_path: Path, key_ring: list[str]
) -> None:
    config = ChaosConfig(
        database_url=postgres_url,
        broker_url=redis_url,
        workdir=tmp_path,
        users=5,
        kills=12,
        task_time_limit_s=8,
        settle_timeout_s=240,
        fernet_key=key_ring[0],
    )
    result = run(config, log=lambda _m: None)
    assert result.violations == []
    metrics = result.metrics
    assert metrics["kills"] >= 12
    assert metrics["live_events"] > 0 and metrics["live_pages"] >= metrics["live_events"]
    assert metrics["edits"] > 0 and metrics["edits_reflected"] == metrics["edits"]
    assert metrics["sync_errors"] > 0  # faults were injected and recorded
