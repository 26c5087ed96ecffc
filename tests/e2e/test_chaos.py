"""The short chaos run (the full one is `python -m bench.chaos`): a real worker process killed
while its sync is inside pull, write or push, its killed syncs redelivered by Redis within the
run, both emulators injecting faults and the students editing (tasks being pushed too);
afterwards nothing is duplicated, orphaned or lost — read from the emulators' own state."""

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
        kills=6,
        task_time_limit_s=6,
        run_between_kills_s=(3.0, 4.5),
        step_wait_s=5.0,
        settle_timeout_s=240,
        fernet_key=key_ring[0],
    )
    result = run(config, log=lambda _m: None)
    print(result.metrics)
    assert result.violations == []
    metrics = result.metrics
    assert metrics["kills"] == 6
    in_steps = sum(metrics[f"kills_in_{step}"] for step in ("pull", "write", "push"))
    assert in_steps + metrics["kills_after_sync"] == 6
    # Which step each kill lands in depends on the machine's load (a step may end before the
    # kill arrives): the spread per step is the benchmark's figure; here at least one sync
    # must have died mid-step, or the run tested nothing.
    assert in_steps >= 1
    assert metrics["killed_syncs"] >= in_steps
    assert metrics["redelivered"] >= 1 and metrics["redelivered_and_ran"] >= 1
    assert metrics["live_events"] > 0 and metrics["live_pages"] >= metrics["live_events"]
    raced = metrics["edits_lost_to_notion_write_race"]  # a known, open defect (README)
    assert metrics["edits"] > 0 and metrics["edits_reflected"] + raced == metrics["edits"]
    assert metrics["sync_errors"] > 0  # faults were injected and recorded
