"""One benchmark run: scratch database → migrate → generate → measure → drop."""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.data import measure
from bench.data.generate import Sizes, generate, log
from db import migrate
from db.models import User
from db.session import make_engine
from tests.scratch import create_scratch_postgres, drop_scratch_postgres

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
JOINED_BEFORE_NOW = timedelta(days=300)  # users.created_at = now − 300 days (see generate)


def create_scratch_database(base_url: str) -> str:
    return create_scratch_postgres(base_url, prefix="studyplanner_bench")


def drop_database(base_url: str, scratch_url: str) -> None:
    drop_scratch_postgres(base_url, scratch_url)


def dataset_now(url: str) -> datetime:
    """The generation's `now`, recovered from a kept database (for --reuse)."""
    engine = create_engine(url)
    with Session(engine) as s:
        joined = s.scalar(select(User.created_at).limit(1))
    engine.dispose()
    if joined is None:
        raise LookupError("the database holds no users: not a bench database")
    return joined + JOINED_BEFORE_NOW


def measure_all(url: str, now: datetime, sizes: Sizes) -> list[measure.Metric]:
    rng = random.Random(sizes.seed + 1)
    engine = make_engine(url)
    try:
        subjects = measure.load_subjects(engine)
        # The harness's own heap (every user's topic ids: ~10^5 objects at full size) would
        # otherwise be walked by each full garbage collection, adding 50-100 ms pauses to
        # whichever sample triggers one: that is the harness's cost, not the code's.
        gc.collect()
        gc.freeze()
        metrics: list[measure.Metric] = []
        steps: tuple[tuple[str, Callable[[], list[measure.Metric]]], ...] = (
            ("plan load", lambda: measure.plan_load(engine, subjects, now, sizes.samples, rng)),
            (
                "history query",
                lambda: measure.history_query(engine, subjects, now, sizes.samples, rng),
            ),
            (
                "history query (limit 50)",
                lambda: measure.history_query(engine, subjects, now, sizes.samples, rng, limit=50),
            ),
            (
                "mastery recompute",
                lambda: measure.mastery_recompute(
                    engine, subjects, now, sizes.mastery_samples, rng
                ),
            ),
            (
                "concurrent writers",
                lambda: measure.concurrent_writers(
                    engine, rng.choice(subjects), now, sizes.writer_iterations
                ),
            ),
        )
        for label, step in steps:
            t0 = time.perf_counter()
            found = step()
            log(f"{label}: measured in {time.perf_counter() - t0:.1f} s")
            metrics += found
        return metrics
    finally:
        gc.unfreeze()
        engine.dispose()


def run(
    base_url: str = DEFAULT_URL,
    sizes: Sizes | None = None,
    *,
    keep: bool = False,
    reuse_url: str | None = None,
) -> list[measure.Metric]:
    """Generate (or reuse) a dataset and measure it; return the metrics as JSON-able dicts."""
    sizes = sizes or Sizes()
    if reuse_url is not None:
        log("reusing the dataset in the given database")
        return measure_all(reuse_url, dataset_now(reuse_url), sizes)
    url = create_scratch_database(base_url)
    log(f"scratch database {make_url(url).database}")
    try:
        t0 = time.perf_counter()
        migrate.upgrade(url)
        log(f"migrated in {time.perf_counter() - t0:.1f} s")
        dataset = generate(url, sizes)
        metrics: list[measure.Metric] = [
            {"metric": f"dataset.{table}", "value": count, "unit": "rows", "n": 1}
            for table, count in dataset.row_counts.items()
        ]
        metrics.append(
            {
                "metric": "dataset.generate_seconds",
                "value": round(dataset.seconds, 1),
                "unit": "s",
                "n": 1,
            }
        )
        return metrics + measure_all(url, dataset.now, sizes)
    finally:
        if keep:
            log(f"kept: {make_url(url).render_as_string(hide_password=True)}")
        else:
            drop_database(base_url, url)
            log("scratch database dropped")
