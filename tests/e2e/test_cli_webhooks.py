"""The admin's side of real-time sync on the command line: the Notion verification token
(shown once Notion sent it, forgotten on --reset), push health in `status` and `health`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from services.realtime.receive import receive_notion_webhook
from services.settings import Settings
from tests.e2e.cli import run_cli
from tests.integration.realtime.conftest import RecordingScheduler

TOKEN = "secret_from_notion_0123456789"


@pytest.fixture
def env(tmp_path: Path, key_ring: list[str]) -> dict[str, str]:
    return {
        "STUDYPLANNER_VAR_DIR": str(tmp_path / "var"),
        "STUDYPLANNER_FERNET_KEYS": ",".join(key_ring),
        "STUDYPLANNER_PUSH_ENABLED": "true",
        "STUDYPLANNER_PUBLIC_BASE_URL": "https://planner.example.edu",
    }


def test_the_admin_reads_and_resets_the_notion_token(tmp_path: Path, env: dict[str, str]) -> None:
    assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    before = run_cli("webhooks", "notion-token", cwd=tmp_path, env=env)
    assert before.returncode == 1
    assert "https://planner.example.edu/v1/webhooks/notion" in before.stdout

    settings = Settings.model_validate(
        {k.removeprefix("STUDYPLANNER_").lower(): v for k, v in env.items()}
    )
    engine = create_engine(settings.effective_database_url)
    body = json.dumps({"verification_token": TOKEN}).encode()
    outcome = receive_notion_webhook(engine, settings, body, {}, RecordingScheduler())
    assert outcome.result == "verification_stored"

    shown = run_cli("webhooks", "notion-token", cwd=tmp_path, env=env)
    assert shown.returncode == 0 and shown.stdout.strip() == TOKEN
    assert "paste it into Notion" in shown.stderr

    status = run_cli("status", cwd=tmp_path, env=env)
    assert "real-time sync: on" in status.stdout
    assert "token stored; waiting for the first signed event" in status.stdout
    health = run_cli("health", "--json", cwd=tmp_path, env=env)
    checks = {c["name"]: c for c in json.loads(health.stdout)["checks"]}
    assert checks["push"]["ok"] and checks["push"]["detail"].startswith("on: ")

    reset = run_cli("webhooks", "notion-token", "--reset", cwd=tmp_path, env=env)
    assert reset.returncode == 0 and "forgotten" in reset.stdout
    assert run_cli("webhooks", "notion-token", cwd=tmp_path, env=env).returncode == 1
    engine.dispose()


def test_push_without_an_address_is_a_configuration_error(
    tmp_path: Path, env: dict[str, str]
) -> None:
    del env["STUDYPLANNER_PUBLIC_BASE_URL"]
    result = run_cli("webhooks", "notion-token", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "STUDYPLANNER_PUBLIC_BASE_URL" in result.stderr and "Traceback" not in result.stderr
