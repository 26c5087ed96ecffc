"""python -m bench.realtime [--database sqlite postgres] [--quick] — notification storms
through the Google receiver (the service the API route calls), on a real database.
`--latency`: edit-to-reflection latency through the whole stack (latency.py);
`--idle-calls`: API calls per hour of an idle student, push on vs polling (idle_calls.py).

- one student, 1,000 notifications paced over 10 s: how many debounced syncs get scheduled
  (goal ≤ 2) and how long the receiver takes per notification (goal p95 ≤ 50 ms);
- 1,000 students, 10 notifications each (10,000): every student scheduled exactly once.

The scheduler here counts instead of enqueueing (a real broker publish adds ~1 ms, measured in
bench/throughput); the sync itself is not part of this figure. JSON lines on stdout and in
bench/realtime/results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import Engine, insert

from db import crypto, migrate
from db.enums import ChannelStatus
from db.models import PushChannel, User
from db.session import make_engine
from services.realtime.receive import receive_google_notification
from services.settings import Settings


class CountingScheduler:
    def __init__(self) -> None:
        self.calls: Counter[uuid.UUID] = Counter()

    def schedule(self, user_id: uuid.UUID, countdown_s: float) -> None:
        self.calls[user_id] += 1


def seed(engine: Engine, students: int) -> list[tuple[uuid.UUID, str, str]]:
    now = datetime.now(UTC)
    users = [uuid.uuid4() for _ in range(students)]
    channels = [(u, "sp-" + uuid.uuid4().hex, secrets.token_urlsafe(32)) for u in users]
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {
                    "id": u,
                    "email": f"s{u.hex[:12]}@bench.edu",
                    "full_name": "Bench",
                    "timezone": "UTC",
                    "created_at": now,
                    "updated_at": now,
                }
                for u in users
            ],
        )
        conn.execute(
            insert(PushChannel),
            [
                {
                    "id": uuid.uuid4(),
                    "user_id": u,
                    "calendar_id": "primary",
                    "channel_id": c,
                    "resource_id": "r",
                    "token": t,
                    "status": ChannelStatus.ACTIVE,
                    "created_at": now,
                    "updated_at": now,
                }
                for u, c, t in channels
            ],
        )
    return channels


def headers(channel: tuple[uuid.UUID, str, str], number: int) -> dict[str, str]:
    return {
        "X-Goog-Channel-ID": channel[1],
        "X-Goog-Channel-Token": channel[2],
        "X-Goog-Resource-ID": "r",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": str(number),
    }


def storm(
    engine: Engine,
    settings: Settings,
    channels: list[tuple[uuid.UUID, str, str]],
    per_channel: int,
    over_s: float,
) -> tuple[CountingScheduler, list[float]]:
    scheduler = CountingScheduler()
    total = per_channel * len(channels)
    gap = over_s / total
    latencies = []
    start = time.perf_counter()
    for n in range(total):
        channel = channels[n % len(channels)]
        target = start + n * gap
        pause = target - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        t0 = time.perf_counter()
        outcome = receive_google_notification(
            engine, settings, headers(channel, n // len(channels) + 1), scheduler
        )
        latencies.append((time.perf_counter() - t0) * 1000)
        if outcome.result != "sync_requested":
            raise RuntimeError(f"unexpected {outcome.result}")
    return scheduler, latencies


def pct(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100)[int(q) - 1], 2)


def run(url: str, label: str, quick: bool, emit: Any) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    settings = Settings(
        _env_file=None, push_enabled=True, public_base_url="https://bench.example.edu"
    )
    one = seed(engine, 1)
    scheduler, lat = storm(engine, settings, one, 100 if quick else 1000, 1.0 if quick else 10.0)
    instance = f"{label}, one student, {len(lat)} notifications in {1 if quick else 10} s"
    emit("storm_one_student_syncs_scheduled", sum(scheduler.calls.values()), "syncs", instance)
    emit("receiver_latency_p50", pct(lat, 50), "ms", instance)
    emit("receiver_latency_p95", pct(lat, 95), "ms", instance)
    many = seed(engine, 100 if quick else 1000)
    scheduler, lat = storm(engine, settings, many, 10, 0.0)
    instance = f"{label}, {len(many)} students x 10 notifications, as fast as possible"
    emit(
        "storm_students_scheduled_once",
        sum(1 for c in scheduler.calls.values() if c == 1),
        "students",
        instance,
    )
    emit(
        "storm_students_scheduled_more_than_once",
        sum(1 for c in scheduler.calls.values() if c > 1),
        "students",
        instance,
    )
    emit("receiver_latency_p50", pct(lat, 50), "ms", instance)
    emit("receiver_latency_p95", pct(lat, 95), "ms", instance)
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench/realtime/results.jsonl"))
    parser.add_argument("--latency", action="store_true", help="edit-to-reflection latency")
    parser.add_argument("--idle-calls", action="store_true", help="API calls of an idle student")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--edits", type=int, default=50, help="edits of each kind (--latency)")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between edits")
    parser.add_argument("--window", type=float, default=60.0, help="quiet window (--idle-calls)")
    parser.add_argument("--poll-window", type=float, default=180.0, help="polling window, s")
    args = parser.parse_args()
    bench = "latency" if args.latency else "idle_calls" if args.idle_calls else "storm"
    lines: list[str] = []

    def emit(metric: str, value: float | int | None, unit: str, instance: str) -> None:
        line = json.dumps(
            {"metric": metric, "value": value, "unit": unit, "instance": instance, "bench": bench}
        )
        print(line, flush=True)
        lines.append(line)

    if bench != "storm":
        if bench == "latency":
            from bench.realtime.latency_run import run as run_latency

            run_latency(args, emit)
        else:
            from bench.realtime.idle_calls import run as run_idle

            run_idle(args, emit)
        if not args.quick:
            keep_others(args.out, bench, lines)
        return 0
    crypto.configure_keys([Fernet.generate_key().decode()])
    for database in args.database:
        if database == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
            run(f"sqlite:///{folder / 'bench.sqlite3'}", "SQLite", args.quick, emit)
        else:
            from tests.scratch import create_scratch_postgres, drop_scratch_postgres

            url = create_scratch_postgres(args.postgres_url, prefix="bench_realtime")
            try:
                run(url, "PostgreSQL", args.quick, emit)
            finally:
                drop_scratch_postgres(args.postgres_url, url)
    if not args.quick:
        keep_others(args.out, bench, lines)
    return 0


def keep_others(out: Path, bench: str, lines: list[str]) -> None:
    """Replace this benchmark's lines in the results file, keep the other benchmarks'."""
    kept = []
    if out.exists():
        for line in out.read_text().splitlines():
            if line.strip() and json.loads(line).get("bench", "storm") != bench:
                kept.append(line)
    out.write_text("\n".join(kept + lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
