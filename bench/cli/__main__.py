"""``python -m bench.cli [--runs N]``: wall time of CLI commands, each in a fresh process.

Prints JSON lines ``{"metric", "value", "unit", "command"}`` (p50 and max per command, and the
import time of the modules `--help` loads, from ``-X importtime``) and keeps the last run in
``bench/cli/results.jsonl``. The commands run as a user runs them: the installed console script,
cwd a scratch folder, the embedded default (a migrated SQLite database) for the ones that read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STUDYPLANNER = str(Path(sys.executable).parent / "studyplanner")
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("plan", "--help"),
    ("week", "--help"),
    ("user", "list"),
    ("status",),
)


def timed(args: tuple[str, ...], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([STUDYPLANNER, *args], env=env, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"studyplanner {' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def import_breakdown(env: dict[str, str], cwd: Path) -> list[tuple[str, float]]:
    """Cumulative import time (ms) of the top-level packages `--help` loads."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c",
         "import sys; sys.argv = ['studyplanner', '--help']\n"
         "from worker.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass"],
        env=env, cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.split("|"))
        if cumulative.isdigit() and not name.startswith(" ") and name.split(".")[0] == name:
            totals[name] = totals.get(name, 0.0) + int(cumulative) / 1000
    return sorted(totals.items(), key=lambda kv: -kv[1])[:8]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cli")
    parser.add_argument("--runs", type=int, default=21, help="runs per command")
    args = parser.parse_args()
    lines: list[dict[str, object]] = []

    def emit(metric: str, value: float, unit: str, command: str) -> None:
        line = {"metric": metric, "value": round(value, 1), "unit": unit, "command": command}
        lines.append(line)
        print(json.dumps(line), flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-cli-") as scratch:
        cwd = Path(scratch)
        env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYPLANNER_")}
        env["STUDYPLANNER_VAR_DIR"] = str(cwd / "var")
        timed(("db", "upgrade"), env, cwd)
        for command in COMMANDS:
            label = "studyplanner " + " ".join(command)
            timed(command, env, cwd)  # warm the OS file cache once
            runs = [timed(command, env, cwd) * 1000 for _ in range(args.runs)]
            emit("wall_p50", statistics.median(runs), "ms", label)
            emit("wall_max", max(runs), "ms", label)
        for package, ms in import_breakdown(env, cwd):
            emit(f"import_{package}", ms, "ms", "studyplanner --help")
    (HERE / "results.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


if __name__ == "__main__":
    main()
