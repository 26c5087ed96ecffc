"""The README's examples of the resource routes ("### Resources", the block between the
`api-resources-examples` markers), run verbatim with bash and curl against a real server on a
fresh SQLite database, from the repository's root (they upload `examples/*.csv`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from db import migrate
from tests.e2e.api.conftest import api_settings, running_api
from tests.e2e.api.helpers import canvas_feed, feed_server

ROOT = Path(__file__).resolve().parents[3]
START, END = "<!-- api-resources-examples:start -->", "<!-- api-resources-examples:end -->"


def readme_examples() -> str:
    readme = (ROOT / "README.md").read_text()
    block = readme.split(START, 1)[1].split(END, 1)[0].strip()
    return block.removeprefix("```bash").removesuffix("```")


def outputs(stdout: str) -> list[dict[str, object]]:
    """The JSON documents the block printed (one per line), skipping the CSV export."""
    found = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def test_the_readme_resource_examples_work_as_written(tmp_path: Path, key_ring: list[str]) -> None:
    if not (shutil.which("curl") and shutil.which("jq")):
        pytest.skip("curl and jq are needed to run the README's examples")
    database_url = f"sqlite:///{tmp_path / 'readme.sqlite3'}"
    migrate.upgrade(database_url)
    settings = api_settings(tmp_path / "var", database_url)
    with running_api(settings) as api, feed_server() as lms:
        api.new_user(email="ada@example.edu", full_name="Ada Lovelace", timezone="Europe/London")
        due = datetime.now(UTC) + timedelta(days=9)
        lms.files["/canvas.ics"] = canvas_feed([("event-assignment-7", "Lab 6 [CSE 110]", due)])
        env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYPLANNER_")}
        env |= settings.as_env() | {"API": api.url, "FEED_URL": lms.url("/canvas.ics")}
        # The commands share the database with the API in this process, so its keys too (no key
        # is ever generated next to an existing database).
        env["STUDYPLANNER_FERNET_KEYS"] = ",".join(key_ring)
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", readme_examples()],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    docs = outputs(out)
    imports = [d for d in docs if "kind" in d and "rows" in d]
    assert [(d["kind"], d["created"]) for d in imports[:4]] == [
        ("courses", 2), ("topics", 9), ("assessments", 6), ("grades", 3),
    ]  # fmt: skip
    assert '"path":"difficulty"' in out and '"line":2' in out
    assert '"prerequisites":["Integrals"]' in out
    assert '"topic_weights":{"Integrals":50.0,"Series":50.0}' in out
    assert any(d.get("kind") == "grades" and d.get("created") == 1 for d in docs)
    assert any(d.get("label") == "Canvas" for d in docs)
    assert '"code":"illegal_transition"' in out and "completed → expired" in out
    assert '"event_type":"evaluated"' in out
    assert "id,title,course,type,difficulty,status" in out and "Series drill" in out
    assert '"task_id":' in out and '"percent_complete":' in out
    assert any(d.get("counts_by_status") == {"completed": 1} for d in docs)
