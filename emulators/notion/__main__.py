"""`python -m emulators.notion --port 8766` runs the emulator standalone."""

from __future__ import annotations

import argparse
import logging

from emulators.notion.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the local Notion API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--rate-per-s", type=float, default=3.0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    serve(args.host, args.port, rate_per_s=args.rate_per_s, error_rate=args.error_rate)


if __name__ == "__main__":
    main()
