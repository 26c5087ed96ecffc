"""``python -m bench.data [--users N] [--tasks N] [--perf N] [--topics-per-user N] [--samples N]
[--keep] [--reuse URL]``: JSON lines on stdout (and in bench/data/results.jsonl), logs on stderr.

The PostgreSQL server is ``$STUDYPLANNER_BENCH_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); a scratch database is created on it.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bench.data.generate import Sizes
from bench.data.run import DEFAULT_URL, run

RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def main(argv: list[str] | None = None) -> None:
    defaults = Sizes()
    parser = argparse.ArgumentParser(prog="python -m bench.data")
    parser.add_argument("--users", type=int, default=defaults.users)
    parser.add_argument("--tasks", type=int, default=defaults.tasks)
    parser.add_argument("--perf", type=int, default=defaults.perf)
    parser.add_argument("--topics-per-user", type=int, default=defaults.topics_per_user)
    parser.add_argument(
        "--samples",
        type=int,
        default=defaults.samples,
        help="samples for plan load and each history variant",
    )
    parser.add_argument(
        "--mastery-samples",
        type=int,
        default=defaults.mastery_samples,
        help="100-topic recomputes to time",
    )
    parser.add_argument(
        "--writer-iterations",
        type=int,
        default=defaults.writer_iterations,
        help="records per concurrent writer (8 writers)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--proposed-indexes",
        action="store_true",
        help="also create the indexes proposed in README.md (not migrated)",
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the scratch database")
    parser.add_argument(
        "--reuse",
        metavar="URL",
        help="measure a database kept by an earlier --keep run (no generation)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = Sizes(
        users=args.users,
        tasks=args.tasks,
        perf=args.perf,
        topics_per_user=args.topics_per_user,
        samples=args.samples,
        mastery_samples=args.mastery_samples,
        writer_iterations=args.writer_iterations,
        seed=args.seed,
        proposed_indexes=args.proposed_indexes,
    )
    base_url = os.environ.get("STUDYPLANNER_BENCH_DATABASE_URL", DEFAULT_URL)
    metrics = run(base_url, sizes, keep=args.keep, reuse_url=args.reuse)
    lines = [json.dumps(m) for m in metrics]
    for line in lines:
        print(line, flush=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
