"""`studyplanner --help` stays fast by importing nothing heavy: the command modules import their
services, the database layer, Celery and rich only when a command runs (bench/cli measures the
time; this checks the rule that keeps it low)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("sqlalchemy", "celery", "kombu", "googleapiclient", "notion_client", "rich", "pydantic")

PROBE = """
import json, sys
sys.argv = ["studyplanner", "--help"]
from worker.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_help_imports_no_database_celery_google_or_rich() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    *help_text, modules_line = done.stdout.strip().splitlines()
    loaded = set(json.loads(modules_line))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    text = "\n".join(help_text)
    assert "Usage: studyplanner" in text and "sync" in text
    assert "<bool>" not in text  # flags are shown as flags
