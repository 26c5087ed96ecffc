"""The pure cores read no clock and draw no randomness: `now` is a parameter, ids are derived.
Which modules they may import is import-linter's job (`lint-imports`, the contracts in
pyproject.toml); this checks the calls that an import rule cannot see."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CORES = ("planner", "sync")
CLOCK_AND_CHANCE = {
    "now",
    "utcnow",
    "today",
    "time",
    "time_ns",
    "monotonic",
    "perf_counter",
    "uuid1",
    "uuid4",
    "random",
    "randint",
    "choice",
    "urandom",
    "token_hex",
}
BARE_CALLS = {"uuid1", "uuid4", "urandom", "token_hex"}
BANNED_MODULES = {"random", "secrets", "time"}


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            # A bare `time(0)` is datetime.time, not a clock: bare names count only where they
            # cannot be a constructor (the time and random modules are banned outright).
            if isinstance(func, ast.Attribute):
                name: str | None = func.attr if func.attr in CLOCK_AND_CHANCE else None
            else:
                bare = getattr(func, "id", None)
                name = bare if bare in BARE_CALLS else None
            if name is not None:
                found.append(f"{path.name}:{node.lineno} calls {name}()")
        elif isinstance(node, ast.Import):
            found.extend(
                f"{path.name}:{node.lineno} imports {a.name}"
                for a in node.names
                if a.name.split(".")[0] in BANNED_MODULES
            )
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and node.module.split(".")[0] in BANNED_MODULES
        ):
            found.append(f"{path.name}:{node.lineno} imports {node.module}")
    return found


@pytest.mark.parametrize("core", CORES)
def test_a_pure_core_reads_no_clock_and_draws_no_chance(core: str) -> None:
    files = sorted((ROOT / core).glob("*.py"))
    assert files
    assert [v for f in files for v in violations(f)] == []


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import datetime\nx = datetime.now()\n",
        "import uuid\nx = uuid.uuid4()\n",
        "import time\n",
        "from random import choice\n",
        "from uuid import uuid4\nx = uuid4()\n",
    ],
)
def test_the_checker_catches_each_kind_of_violation(tmp_path: Path, source: str) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(source)
    assert violations(bad)
