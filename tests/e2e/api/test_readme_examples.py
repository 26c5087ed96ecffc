"""The README's HTTP API examples, run verbatim with bash against `studyplanner api serve` with
two workers on the embedded default: both workers must accept tokens signed with the one
generated secret."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.api.server import serve_cli
from tests.e2e.cli import run_cli

ROOT = Path(__file__).resolve().parents[3]


def readme_examples() -> str:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- api-examples:start -->", 1)[1].split("<!-- api-examples:end -->")[0]
    return block.strip().removeprefix("```bash").removesuffix("```")


def test_the_readme_curl_examples_work_as_written(tmp_path: Path) -> None:
    if not (shutil.which("curl") and shutil.which("jq")):
        pytest.skip("curl and jq are needed to run the README's examples")
    env = {"STUDYPLANNER_VAR_DIR": str(tmp_path / "var")}
    assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    added = run_cli(
        "user", "add", "--email", "ada@example.edu", "--name", "Ada Lovelace",
        "--timezone", "Europe/London", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    with serve_cli(env, tmp_path, workers=2) as url:
        shell_env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYPLANNER_")}
        shell_env |= env | {"API": url}
        shell_env["PATH"] = f"{Path(sys.executable).parent}:{shell_env.get('PATH', '')}"
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", readme_examples()],
            cwd=tmp_path,
            env=shell_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert '"ok":true' in out
    assert '"timezone":"Europe/Berlin"' in out
    assert '"max_hours_per_day":3.0' in out
    assert "'Mars/Olympus' is not an IANA time zone" in out
    assert '"code":"unauthorized"' in out
    assert '"items":[{' in out and '"email":"ada@example.edu"' in out
    assert (tmp_path / "var" / "api-jwt.secret").stat().st_mode & 0o777 == 0o600
