"""`python -m emulators.google [--host H] [--port P]`."""

from __future__ import annotations

import argparse

from emulators.google.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(description="Google Calendar v3 emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
