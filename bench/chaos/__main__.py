"""python -m bench.chaos [--users 50] [--kills 100] … — the full chaos run; JSON lines out."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.chaos import ChaosConfig, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--error-rate", type=float, default=0.05)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--scratch", action="store_true", help="Create and drop a scratch database."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("bench/chaos/results.jsonl"))
    args = parser.parse_args()
    url = args.database_url
    if args.scratch and url.startswith("postgresql"):
        from tests.scratch import create_scratch_postgres, drop_scratch_postgres

        scratch = create_scratch_postgres(url)
    else:
        scratch = None
    workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
    config = ChaosConfig(
        database_url=scratch or url,
        broker_url=args.broker_url,
        workdir=workdir,
        users=args.users,
        kills=args.kills,
        error_rate=args.error_rate,
        seed=args.seed,
    )
    try:
        result = run(config, log=lambda m: print(m, file=sys.stderr))
    finally:
        if scratch:
            drop_scratch_postgres(url, scratch)
    lines = [
        {
            "metric": f"chaos_{name}",
            "value": value,
            "unit": "count" if name != "duration_s" else "s",
        }
        for name, value in result.metrics.items()
    ]
    with args.out.open("w") as out:
        for line in lines:
            print(json.dumps(line))
            out.write(json.dumps(line) + "\n")
    for violation in result.violations[:50]:
        print(f"violation: {violation}", file=sys.stderr)
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())
