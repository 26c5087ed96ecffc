"""`GET /v1/health` answers 503 with the failing check when the database is not migrated or
not reachable, or the broker is down — and never shows a password."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.api.conftest import api_settings, running_api


def health(
    settings_dir: Path, database_url: str, **overrides: object
) -> tuple[int, dict[str, Any]]:
    settings = api_settings(settings_dir, database_url, **overrides)
    with running_api(settings) as api, api.client() as client:
        resp = client.get("/v1/health")
    return resp.status_code, resp.json()


def checks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in body["checks"]}


def test_an_unmigrated_database_is_503(tmp_path: Path) -> None:
    status, body = health(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert status == 503 and body["ok"] is False
    database = checks(body)["database"]
    assert database["ok"] is False and "not migrated" in database["detail"]


def test_an_unreachable_database_is_503_without_its_password(tmp_path: Path) -> None:
    status, body = health(tmp_path, "postgresql+psycopg://app:hunter2@127.0.0.1:1/none")
    assert status == 503
    assert checks(body)["database"]["ok"] is False
    assert "hunter2" not in str(body) and "app:***@" in checks(body)["database"]["detail"]


def test_a_stopped_broker_is_503(tmp_path: Path, sqlite_url: str) -> None:
    status, body = health(tmp_path, sqlite_url, broker_url="redis://:s3cret@127.0.0.1:1/0")
    assert status == 503
    assert checks(body)["database"]["ok"] is True
    assert checks(body)["broker"]["ok"] is False and "s3cret" not in str(body)
    assert checks(body)["workers"]["ok"] is True  # reported, never a reason for 503
