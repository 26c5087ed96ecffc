"""`studyplanner db upgrade`, `health`, `keys rotate` and `demo` as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.e2e.cli import run_cli
from tests.scratch import create_scratch_postgres, drop_scratch_postgres


def embedded_env(tmp_path: Path) -> dict[str, str]:
    return {"STUDYPLANNER_VAR_DIR": str(tmp_path / "var")}


def test_health_fails_before_migration_and_passes_after(tmp_path: Path) -> None:
    env = embedded_env(tmp_path)
    before = run_cli("health", cwd=tmp_path, env=env)
    assert before.returncode == 1
    assert "not migrated" in before.stderr and "studyplanner db upgrade" in before.stderr
    assert "Traceback" not in before.stderr

    upgrade = run_cli("db", "upgrade", cwd=tmp_path, env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    after = run_cli("health", "--json", cwd=tmp_path, env=env)
    assert after.returncode == 0, after.stderr
    assert '"ok": true' in after.stdout


def test_health_reports_a_stopped_database(tmp_path: Path) -> None:
    # Nothing listens on port 1: a stopped PostgreSQL.
    env = {
        **embedded_env(tmp_path),
        "STUDYPLANNER_DATABASE_URL": "postgresql+psycopg://app:hunter2@127.0.0.1:1/none",
    }
    result = run_cli("health", cwd=tmp_path, env=env)
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("unhealthy: database unreachable at postgresql+psycopg://app:***@")
    assert "hunter2" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_health_reports_a_stopped_broker(tmp_path: Path) -> None:
    env = {**embedded_env(tmp_path), "STUDYPLANNER_BROKER_URL": "redis://127.0.0.1:1/0"}
    assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    result = run_cli("health", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "unhealthy: broker unreachable at redis://127.0.0.1:1/0" in result.stderr


@pytest.mark.postgres
@pytest.mark.redis
def test_health_against_running_postgres_and_redis(
    tmp_path: Path, postgres_base_url: str, redis_url: str
) -> None:
    # A database of its own: the suite's shared one holds tokens written with other keys, which
    # the health check's key test would rightly report as unreadable with this folder's key.
    database_url = create_scratch_postgres(postgres_base_url)
    env = {
        **embedded_env(tmp_path),
        "STUDYPLANNER_DATABASE_URL": database_url,
        "STUDYPLANNER_BROKER_URL": redis_url,
    }
    try:
        assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
        result = run_cli("health", cwd=tmp_path, env=env)
    finally:
        drop_scratch_postgres(postgres_base_url, database_url)
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout and "reachable at redis://" in result.stdout


def test_keys_rotate_needs_the_old_key_and_says_so(tmp_path: Path, key_ring: list[str]) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env = {**embedded_env(tmp_path), "STUDYPLANNER_FERNET_KEYS": old}
    assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    _store_a_secret(tmp_path, old, restore=key_ring)

    wrong = run_cli("keys", "rotate", cwd=tmp_path, env={**env, "STUDYPLANNER_FERNET_KEYS": new})
    assert wrong.returncode == 2
    assert "keep the old key" in wrong.stderr and "Traceback" not in wrong.stderr

    rotated = run_cli(
        "keys", "rotate", cwd=tmp_path, env={**env, "STUDYPLANNER_FERNET_KEYS": f"{new},{old}"}
    )
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 1 value(s)" in rotated.stdout
    # Now the new key alone reads it.
    again = run_cli("keys", "rotate", cwd=tmp_path, env={**env, "STUDYPLANNER_FERNET_KEYS": new})
    assert again.returncode == 0, again.stderr


def _store_a_secret(tmp_path: Path, key: str, *, restore: list[str]) -> None:
    from db import crypto
    from db.models import AssessmentFeed
    from db.session import make_engine, session_scope
    from tests.integration.db.factories import add_user

    crypto.configure_keys([key])
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'studyplanner.sqlite3'}")
    try:
        with session_scope(engine) as session:
            user = add_user(session)
            session.add(AssessmentFeed(user_id=user.id, label="x", url="https://x/secret.ics"))
    finally:
        engine.dispose()
        crypto.configure_keys(restore)  # this process's key ring, for the tests that follow


def test_a_malformed_key_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {**embedded_env(tmp_path), "STUDYPLANNER_FERNET_KEYS": "nope"}
    result = run_cli("db", "upgrade", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: configuration: a Fernet key is malformed: each must be 32 url-safe "
        "base64-encoded bytes"
    )


@pytest.mark.slow
def test_demo_runs_the_whole_product_on_the_embedded_default(tmp_path: Path) -> None:
    result = run_cli("demo", "--timeout", "150", cwd=tmp_path, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())  # rich wraps lines
    assert "first sync ok:" in out and "Google events and" in out
    assert "what the second sync reconciled" in out
    for source_and_change in ("google rescheduled", "notion status_changed"):
        assert source_and_change in " ".join(out.replace("│", " ").split())
    assert (tmp_path / "var" / "demo" / "week.html").exists()
    assert "Traceback" not in result.stderr


def test_a_command_before_migration_says_what_to_do(tmp_path: Path) -> None:
    result = run_cli(
        "user",
        "add",
        "--email",
        "a@example.edu",
        "--name",
        "A",
        cwd=tmp_path,
        env=embedded_env(tmp_path),
    )
    assert result.returncode == 1
    assert "run 'studyplanner db upgrade'" in result.stderr
    assert "Traceback" not in result.stderr
