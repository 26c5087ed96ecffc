"""python -m bench.api [--workers 2] [--requests 3000] [--concurrency 8] [--single-requests 1000]
[--quick] — the API benchmark; JSON lines on stdout and in bench/api/results.jsonl."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.api import ApiBenchConfig, Metric, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--heavy-users", type=int, default=10)
    parser.add_argument("--tasks-each", type=int, default=2000)
    parser.add_argument(
        "--single-requests",
        type=int,
        default=1000,
        help="Requests per endpoint of the 1-worker/1-connection pass (0: none).",
    )
    parser.add_argument("--quick", action="store_true", help="300 requests: a smoke run.")
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="Base PostgreSQL URL; a scratch database is created next to it and dropped.",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/13",
        help="For the rate limiter ('' for none).",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("bench/api/results.jsonl"), help="Appended to."
    )
    parser.add_argument(
        "--only", default="", help="Comma-separated endpoint slugs (health,user,tasks,plan)."
    )
    parser.add_argument("--label", default="", help="Names this run in every line.")
    args = parser.parse_args()
    config = ApiBenchConfig(
        base_database_url=args.database_url,
        redis_url=args.redis_url or None,
        workdir=Path(tempfile.mkdtemp(prefix="bench-api-")),
        workers=args.workers,
        users=20 if args.quick else args.users,
        requests=300 if args.quick else args.requests,
        warmup=50 if args.quick else 300,
        concurrency=args.concurrency,
        heavy_users=2 if args.quick else args.heavy_users,
        tasks_each=args.tasks_each,
        single_requests=100 if args.quick else args.single_requests,
        only=tuple(s for s in args.only.split(",") if s),
    )
    with args.out.open("a") as out:

        def emit(metric: Metric) -> None:
            line = json.dumps({"run": args.label, **metric.as_json()})
            print(line, flush=True)
            out.write(line + "\n")
            out.flush()

        run(config, log=lambda m: print(m, file=sys.stderr, flush=True), emit=emit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
