"""`connect notion` takes the secret from a file, the environment or standard input (a hidden
prompt on a terminal), never from the command line, where the process list shows it to every
user of the machine. The old `--token` is refused and says what to use instead."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select

from db import crypto
from db.models import IntegrationSettings
from db.session import session_scope
from emulators.notion import NotionEmulator, start_notion_emulator
from tests.e2e.cli import STUDYPLANNER, run_cli

EMAIL = "ada@example.edu"


@pytest.fixture(scope="module")
def notion() -> Iterator[NotionEmulator]:
    emulator = start_notion_emulator("127.0.0.1", 0, rate_per_s=100.0, burst=20.0)
    yield emulator
    emulator.stop()


@pytest.fixture
def env(tmp_path: Path, notion: NotionEmulator) -> dict[str, str]:
    values = {
        "STUDYPLANNER_VAR_DIR": str(tmp_path / "var"),
        "STUDYPLANNER_FERNET_KEYS": Fernet.generate_key().decode(),
        "STUDYPLANNER_NOTION_BASE_URL": notion.base_url,
    }
    for args in (("db", "upgrade"), ("user", "add", "--email", EMAIL, "--name", "Ada")):
        assert run_cli(*args, cwd=tmp_path, env=values).returncode == 0
    return values


def connect(
    tmp_path: Path, env: dict[str, str], database: str, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("STUDYPLANNER_")}
    full.update(env, COLUMNS="200")
    command = [STUDYPLANNER, "connect", "notion", "--user", EMAIL, "--database", database]
    return subprocess.run(
        [*command, *args], cwd=tmp_path, env=full, input=stdin, capture_output=True, text=True,
        timeout=120, check=False, start_new_session=True,  # no terminal: stdin is the source
    )  # fmt: skip


def stored_token(tmp_path: Path, env: dict[str, str]) -> str | None:
    crypto.configure_keys([env["STUDYPLANNER_FERNET_KEYS"]])  # restored after the test
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'studyplanner.sqlite3'}")
    try:
        with session_scope(engine) as session:
            return session.scalars(select(IntegrationSettings.notion_access_token)).first()
    finally:
        engine.dispose()


@pytest.mark.parametrize("source", ["file", "environment", "stdin"])
def test_the_secret_comes_from_a_file_the_environment_or_stdin(
    tmp_path: Path, env: dict[str, str], notion: NotionEmulator, source: str
) -> None:
    workspace = notion.admin.create_workspace()
    args: tuple[str, ...] = ()
    stdin = ""
    if source == "file":
        secret = tmp_path / "notion.secret"
        secret.write_text(workspace.token + "\n")
        args = ("--token-file", str(secret))
    elif source == "environment":
        env = {**env, "STUDYPLANNER_NOTION_TOKEN": workspace.token}
    else:
        stdin = workspace.token + "\n"
    done = connect(tmp_path, env, workspace.database_id, *args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    assert "Notion connected" in done.stdout
    assert workspace.token not in done.stdout + done.stderr
    assert stored_token(tmp_path, env) == workspace.token


def test_the_old_token_option_is_refused_and_nothing_is_stored(
    tmp_path: Path, env: dict[str, str], notion: NotionEmulator
) -> None:
    workspace = notion.admin.create_workspace()
    done = connect(tmp_path, env, workspace.database_id, "--token", workspace.token)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: token: --token was removed") and "--token-file" in line
    assert workspace.token not in line
    assert stored_token(tmp_path, env) is None


def test_no_secret_anywhere_is_one_error_line(
    tmp_path: Path, env: dict[str, str], notion: NotionEmulator
) -> None:
    workspace = notion.admin.create_workspace()
    done = connect(tmp_path, env, workspace.database_id)  # empty standard input
    assert done.returncode == 2
    assert done.stderr.strip() == "error: token: no Notion secret in standard input"
    missing = connect(tmp_path, env, workspace.database_id, "--token-file", "nowhere.secret")
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith("error: token-file: cannot read nowhere.secret")
