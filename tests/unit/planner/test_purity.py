"""The planner is pure: no I/O layers, no clock, no randomness (checked on the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import planner

PLANNER_DIR = Path(planner.__file__).parent
BANNED_MODULES = (
    "db",
    "integrations",
    "tasks",
    "worker",
    "celery",
    "sqlalchemy",
    "kombu",
    "redis",
    "random",
    "time",
    "requests",
    "httpx",
    "socket",
)
CLOCK_CALLS = {"now", "utcnow", "today", "time", "time_ns", "monotonic", "perf_counter"}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        line = getattr(node, "lineno", 0)
        found.extend(
            f"{path.name}:{line} imports {name}"
            for name in names
            if name.split(".")[0] in BANNED_MODULES
        )
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CLOCK_CALLS
        ):
            found.append(f"{path.name}:{node.lineno} calls .{node.func.attr}()")
    return found


def test_planner_sources_import_no_io_layer_and_read_no_clock() -> None:
    files = sorted(PLANNER_DIR.glob("*.py"))
    assert len(files) >= 6
    problems = [v for f in files for v in _violations(f)]
    assert problems == []


def test_the_checker_would_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom datetime import datetime\nx = datetime.now()\n")
    assert len(_violations(bad)) == 2
