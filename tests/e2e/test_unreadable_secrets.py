"""A Fernet key that no longer reads the stored tokens (the key file regenerated or replaced),
end to end: through the CLI `sync` says so in one line and records it, `status` and `health`
show it, and the right key put back makes the next sync clear the mark; a real worker's task
records it too instead of failing without a trace."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select

from db import crypto
from db.enums import IntegrationHealth
from db.models import IntegrationSettings, SyncError
from db.session import make_engine, session_scope
from tasks.celery_app import create_app
from tasks.sync import SYNC_TASK
from tests.e2e.cli import run_cli
from tests.e2e.test_sync_worker import Stack, connected_student, runs_of
from tests.e2e.test_sync_worker import stack as stack  # the fixture

# Nothing listens on port 9: a sync that gets as far as Google records a transient failure.
NO_GOOGLE = {
    "STUDYPLANNER_GOOGLE_API_ENDPOINT": "http://127.0.0.1:9/",
    "STUDYPLANNER_GOOGLE_TOKEN_URI": "http://127.0.0.1:9/token",
}
EMAIL = "ada@example.edu"


def cli(home: Path, *args: str) -> Any:
    env = {"STUDYPLANNER_VAR_DIR": str(home / "var"), **NO_GOOGLE}
    return run_cli(*args, cwd=home, env=env)


def cli_student(home: Path) -> str:
    """A student with Google connected, their tokens written with the data folder's own key."""
    for args in (
        ("db", "upgrade"),
        ("user", "add", "--email", EMAIL, "--name", "Ada"),
    ):
        assert cli(home, *args).returncode == 0
    grant = home / "grant.json"
    grant.write_text(
        json.dumps({"token": "ya29.not-real", "refresh_token": "1//not-real", "expiry": None})
    )
    connected = cli(home, "connect", "google", "--user", EMAIL, "--token-file", str(grant))
    assert connected.returncode == 0, connected.stderr
    return (home / "var" / "fernet.key").read_text()


def status(home: Path) -> dict[str, Any]:
    shown = cli(home, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


def test_a_replaced_key_is_one_error_line_recorded_and_shown(tmp_path: Path) -> None:
    old_key = cli_student(tmp_path)
    (tmp_path / "var" / "fernet.key").write_text(Fernet.generate_key().decode() + "\n")

    synced = cli(tmp_path, "sync", "--user", EMAIL)
    assert synced.returncode == 2
    assert "Traceback" not in synced.stderr
    lines = synced.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), synced.stderr
    assert "cannot be decrypted" in lines[0] and "fernet.key" in lines[0]

    shown = status(tmp_path)
    assert [r["outcome"] for r in shown["runs"]] == ["failed"]
    [error] = shown["errors"]
    assert (error["provider"], error["operation"], error["error_code"], error["retryable"]) == (
        "google",
        "decrypt",
        "decryption_failed",
        False,
    )
    assert [(a["email"], a["google"]) for a in shown["attention"]] == [(EMAIL, "needs_attention")]

    health = cli(tmp_path, "health", "--json")
    assert health.returncode == 1
    checks = {c["name"]: c for c in json.loads(health.stdout)["checks"]}
    assert checks["secrets"]["ok"] is False
    assert "cannot be decrypted" in checks["secrets"]["detail"]
    assert "unhealthy: secrets" in health.stderr

    # The right key back: the next sync reads the tokens again and clears the mark (it then
    # reaches Google, which is not there: an ordinary, retryable failure).
    (tmp_path / "var" / "fernet.key").write_text(old_key)
    again = cli(tmp_path, "sync", "--user", EMAIL)
    assert "Traceback" not in again.stderr
    assert "cannot be decrypted" not in again.stdout + again.stderr
    after = status(tmp_path)
    assert after["attention"] == []
    assert all(e["error_code"] != "decryption_failed" for e in after["errors"])
    healthy = cli(tmp_path, "health", "--json")
    checks = {c["name"]: c for c in json.loads(healthy.stdout)["checks"]}
    assert checks["secrets"]["ok"] is True, checks["secrets"]


def test_a_dry_run_with_a_replaced_key_says_so_and_writes_nothing(tmp_path: Path) -> None:
    cli_student(tmp_path)
    (tmp_path / "var" / "fernet.key").write_text(Fernet.generate_key().decode() + "\n")

    dry = cli(tmp_path, "sync", "--user", EMAIL, "--dry-run")
    assert dry.returncode == 2 and "Traceback" not in dry.stderr
    assert dry.stderr.startswith("error: ") and "cannot be decrypted" in dry.stderr
    shown = status(tmp_path)
    assert shown["runs"] == [] and shown["errors"] == [] and shown["attention"] == []


@pytest.mark.timeout(180)
def test_a_worker_whose_key_cannot_read_the_tokens_records_a_permanent_failure(
    stack: Stack,
) -> None:
    user_id = connected_student(stack)  # both tokens written with the session's key ring
    wrong = Fernet.generate_key().decode()
    crypto.configure_keys([wrong])  # the worker runs in this process (restored after the test)
    app = create_app(stack.settings.model_copy(update={"fernet_keys": SecretStr(wrong)}))
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        result = app.send_task(SYNC_TASK, args=(user_id,))
        summary = result.get(timeout=120)
    assert result.state == "SUCCESS"  # recorded and finished, not a task failure to retry
    assert summary["outcome"] == "failed"
    assert sorted((e["provider"], e["operation"], e["code"], e["retryable"]) for e in summary[
        "errors"
    ]) == [("google", "decrypt", "decryption_failed", False), ("notion", "decrypt",
            "decryption_failed", False)]  # fmt: skip
    assert [run.outcome.value for run in runs_of(stack, user_id)] == ["failed"]
    engine = make_engine(stack.settings.effective_database_url)
    try:
        with session_scope(engine) as session:
            health = session.execute(
                select(IntegrationSettings.google_health, IntegrationSettings.notion_health)
                .where(IntegrationSettings.user_id == uuid.UUID(user_id))
            ).one()  # fmt: skip
            errors = session.scalars(
                select(SyncError.message).where(SyncError.error_code == "decryption_failed")
            ).all()
    finally:
        engine.dispose()
    assert tuple(health) == (IntegrationHealth.NEEDS_ATTENTION, IntegrationHealth.NEEDS_ATTENTION)
    assert len(errors) >= 2 and all("put back the key" in m for m in errors)
