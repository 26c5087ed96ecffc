"""python -m bench.throughput [--users 1000] [--dispatch-users 1000 10000] [--workers 1 2]
[--quick] — the throughput benchmark; JSON lines on stdout and in bench/throughput/results.jsonl."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.throughput import Metric, ThroughputConfig, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--dispatch-users", type=int, nargs="+", default=None)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="50 users: a smoke run.")
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="Base PostgreSQL URL; scratch databases are created next to it and dropped.",
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["dispatch", "sql", "sync"],
        default=["dispatch", "sql", "sync"],
    )
    parser.add_argument("--malloc-arena-max", type=int, default=None)
    parser.add_argument("--seed-processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/throughput/results.jsonl"))
    args = parser.parse_args()
    users = 50 if args.quick else args.users
    dispatch = args.dispatch_users or ([50, 500] if args.quick else [1000, 10000])
    config = ThroughputConfig(
        base_database_url=args.database_url,
        broker_url=args.broker_url,
        workdir=Path(tempfile.mkdtemp(prefix="throughput-")),
        users=users,
        dispatch_users=tuple(dispatch),
        workers=tuple(args.workers),
        sql_sample=3 if args.quick else 5,
        seed_processes=args.seed_processes,
        stages=tuple(args.only),
        malloc_arena_max=args.malloc_arena_max,
    )
    with args.out.open("w") as out:

        def emit(metric: Metric) -> None:
            line = json.dumps(metric.as_json())
            print(line, flush=True)
            out.write(line + "\n")
            out.flush()

        run(config, log=lambda m: print(m, file=sys.stderr, flush=True), emit=emit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
