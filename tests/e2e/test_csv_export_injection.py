"""CSV exports are safe to open in a spreadsheet: a cell that starts like a formula (`=`, `+`,
`-`, `@`, tab, carriage return) is written with a leading apostrophe, through the real CLI
(`tasks --format csv`) and the student's page (`/tasks.csv`); JSON keeps the stored text."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import update

from db.models import Course
from db.session import session_scope
from services.csv_export import FORMULA_START
from services.sync.run import sync_user
from tests.e2e.cli import run_cli
from tests.e2e.pages.conftest import Pages
from tests.e2e.pages.conftest import pages as pages  # the fixture
from tests.e2e.pages.conftest import pages_database_url as pages_database_url  # the fixture

EMAIL = "ada@example.edu"


def cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def assert_no_live_formula(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(FORMULA_START), (column, value)


def test_the_cli_export_escapes_formula_cells(tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    # Due within the written window (sync_horizon_days): the sync writes its tasks.
    due = (today + timedelta(days=10)).isoformat()
    env = {
        "STUDYPLANNER_VAR_DIR": str(tmp_path / "var"),
        "STUDYPLANNER_FERNET_KEYS": Fernet.generate_key().decode(),
    }
    for args in (
        ("db", "upgrade"),
        ("user", "add", "--email", EMAIL, "--name", "Ada"),
        ("course", "add", "--user", EMAIL, "--code", "=1+2", "--name", "@SUM(A1)",
         "--semester", "Now", "--start", (today - timedelta(days=30)).isoformat(),
         "--end", (today + timedelta(days=60)).isoformat()),
        ("assessment", "add", "--user", EMAIL, "--course", "=1+2", "--name", "-2+3",
         "--type", "quiz", "--weight", "10", "--due", due, "--minutes", "90"),
        ("sync", "--user", EMAIL),  # nothing connected: plans and writes the tasks
    ):  # fmt: skip
        done = run_cli(*args, cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr

    exported = run_cli("tasks", "--user", EMAIL, "--format", "csv", cwd=tmp_path, env=env)
    assert exported.returncode == 0, exported.stderr
    rows = cells(exported.stdout)
    assert rows, "the sync planned no task"
    assert_no_live_formula(rows)
    assert {r["course"] for r in rows} == {"'=1+2"}
    assert all(r["title"].startswith("'=1+2: ") for r in rows)
    assert all(float(r["minutes"]) > 0 for r in rows)  # numbers are left alone

    as_json = run_cli("tasks", "--user", EMAIL, "--format", "json", cwd=tmp_path, env=env)
    assert {r["course"] for r in json.loads(as_json.stdout)} == {"=1+2"}  # as stored


def test_the_student_page_export_escapes_formula_cells(pages: Pages) -> None:
    user_id: uuid.UUID = pages.new_student()
    with session_scope(pages.engine) as session:
        session.execute(update(Course).where(Course.user_id == user_id).values(code="+CMD|x"))
    sync_user(pages.engine, pages.settings, user_id, now=datetime.now(UTC))
    browser = pages.signed_in(user_id)
    try:
        exported = browser.get("/tasks.csv")
    finally:
        browser.close()
    assert exported.status_code == 200, exported.text
    rows = cells(exported.text)
    assert rows, "the sync planned no task"
    assert_no_live_formula(rows)
    assert "'+CMD|x" in {value for row in rows for value in row.values()}
