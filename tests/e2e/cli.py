"""Run the installed `studyplanner` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STUDYPLANNER = str(Path(sys.executable).parent / "studyplanner")


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYPLANNER_")}
    full_env["COLUMNS"] = "200"
    full_env.update(env or {})
    return subprocess.run(
        [STUDYPLANNER, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
