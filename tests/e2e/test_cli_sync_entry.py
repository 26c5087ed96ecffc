"""`studyplanner sync` as an operator runs it: `--all` claims exactly the students beat's
dispatch would (healthy, due) and moves their cursor; `--dry-run` writes nothing at all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select

from db.enums import IntegrationHealth
from db.models import IntegrationSettings, SyncRun, User
from db.session import session_scope
from tests.e2e.cli import run_cli


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def env(home: Path, key_ring: list[str]) -> dict[str, str]:
    # The CLI encrypts with the key this process already uses, so the rows written here by the
    # test and there by the CLI read alike (the process's key ring is never replaced).
    return {
        "STUDYPLANNER_VAR_DIR": str(home / "var"),
        "STUDYPLANNER_FERNET_KEYS": key_ring[0],
        # No Google here: a sync that reaches for it records a failure, which is all we need
        # to see which students it ran for.
        "STUDYPLANNER_GOOGLE_API_ENDPOINT": "http://127.0.0.1:9/",
        "STUDYPLANNER_GOOGLE_TOKEN_URI": "http://127.0.0.1:9/token",
    }


@pytest.fixture
def engine(home: Path, env: dict[str, str]) -> Engine:
    result = run_cli("db", "upgrade", cwd=home, env=env)
    assert result.returncode == 0, result.stderr
    return create_engine(f"sqlite:///{home / 'var' / 'studyplanner.sqlite3'}")


def add_student(engine: Engine, email: str, **integration: object) -> uuid.UUID:
    with session_scope(engine) as session:
        user = User(email=email, full_name=email.split("@")[0], timezone="Europe/Berlin")
        session.add(user)
        session.flush()
        if integration:
            session.add(IntegrationSettings(user_id=user.id, **integration))
        return user.id


def google(health: IntegrationHealth, next_sync_at: datetime | None) -> dict[str, object]:
    return {
        "google_calendar_enabled": True,
        "google_health": health,
        "google_refresh_token": "refresh-not-real",
        "google_access_token": "access-not-real",
        "next_sync_at": next_sync_at,
    }


def runs_of(engine: Engine, user_id: uuid.UUID) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).where(SyncRun.user_id == user_id)) or 0


def test_sync_all_runs_only_the_healthy_due_students_and_moves_their_cursor(
    home: Path, env: dict[str, str], engine: Engine
) -> None:
    now = datetime.now(UTC)
    due = add_student(engine, "due@example.edu", **google(IntegrationHealth.OK, None))
    revoked = add_student(
        engine, "revoked@example.edu", **google(IntegrationHealth.NEEDS_REAUTH, None)
    )
    later = add_student(
        engine, "later@example.edu", **google(IntegrationHealth.OK, now + timedelta(hours=1))
    )

    result = run_cli("sync", "--all", cwd=home, env=env)

    assert "Traceback" not in result.stderr
    assert (runs_of(engine, due), runs_of(engine, revoked), runs_of(engine, later)) == (1, 0, 0)
    with session_scope(engine) as session:
        row = session.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == due)
        ).one()
        assert row.next_sync_at is not None and row.next_sync_at > now
    again = run_cli("sync", "--all", cwd=home, env=env)
    assert "Traceback" not in again.stderr
    assert runs_of(engine, due) == 1  # claimed: not due again until its interval has passed


@pytest.fixture(params=["lease", pytest.param("redis", marks=pytest.mark.redis)])
def lock_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The sync lock in the integration row (embedded default) or in Redis."""
    if request.param == "lease":
        return {}
    return {"STUDYPLANNER_REDIS_URL": str(request.getfixturevalue("redis_url"))}


def test_a_dry_run_adds_no_integration_row_and_no_run(
    home: Path, env: dict[str, str], engine: Engine, lock_env: dict[str, str]
) -> None:
    bare = add_student(engine, "bare@example.edu")

    result = run_cli(
        "sync", "--user", "bare@example.edu", "--dry-run", cwd=home, env={**env, **lock_env}
    )

    assert result.returncode == 0, result.stderr
    assert "nothing was written" in result.stdout
    with session_scope(engine) as session:
        rows = session.scalar(select(func.count()).where(IntegrationSettings.user_id == bare))
        assert rows == 0
    assert runs_of(engine, bare) == 0


def test_a_first_sync_with_the_lease_lock_is_not_reported_as_locked(
    home: Path, env: dict[str, str], engine: Engine
) -> None:
    """The lease lives in the integration row: a student without one yet gets it created
    rather than a `skipped` run blamed on another sync."""
    bare = add_student(engine, "first@example.edu")

    result = run_cli("sync", "--user", "first@example.edu", cwd=home, env=env)

    assert result.returncode == 0, result.stderr
    with session_scope(engine) as session:
        run = session.scalars(select(SyncRun).where(SyncRun.user_id == bare)).one()
        assert run.outcome != "skipped"
        assert session.scalar(select(func.count()).where(IntegrationSettings.user_id == bare)) == 1
