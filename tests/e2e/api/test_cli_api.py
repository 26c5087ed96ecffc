"""`studyplanner api token` and `studyplanner api serve` as a user runs them, on PostgreSQL with
a configured secret, and their mistakes. (The embedded default with two workers is served by
test_readme_examples.py.)"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.api.server import serve_cli
from tests.e2e.cli import run_cli


def prepare(tmp_path: Path, env: dict[str, str]) -> None:
    assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    added = run_cli(
        "user", "add", "--email", "ada@example.edu", "--name", "Ada", cwd=tmp_path, env=env
    )
    assert added.returncode == 0, added.stderr


@pytest.mark.postgres
def test_serve_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    env = {
        "STUDYPLANNER_VAR_DIR": str(tmp_path / "var"),
        "STUDYPLANNER_DATABASE_URL": postgres_url,
        "STUDYPLANNER_API_JWT_SECRET": "a-configured-secret-" + "z" * 20,
    }
    run_cli("user", "add", "--email", "ada@example.edu", "--name", "Ada", cwd=tmp_path, env=env)
    token = run_cli("api", "token", "--user", "ada@example.edu", cwd=tmp_path, env=env)
    with serve_cli(env, tmp_path) as url:
        me = httpx.get(f"{url}/v1/me", headers={"Authorization": f"Bearer {token.stdout.strip()}"})
    assert me.status_code == 200, me.text
    assert not (tmp_path / "var" / "api-jwt.secret").exists()  # the configured one is used


def test_token_mistakes_are_one_line(tmp_path: Path) -> None:
    env = {"STUDYPLANNER_VAR_DIR": str(tmp_path / "var")}
    prepare(tmp_path, env)
    nobody = run_cli("api", "token", "--user", "nobody@example.edu", cwd=tmp_path, env=env)
    assert nobody.returncode == 2 and "no user 'nobody@example.edu'" in nobody.stderr
    jwks = {**env, "STUDYPLANNER_API_AUTH_MODE": "jwks"}
    minted = run_cli("api", "token", "--user", "ada@example.edu", cwd=tmp_path, env=jwks)
    assert minted.returncode == 2 and "hs256 mode" in minted.stderr
    serve = run_cli("api", "serve", cwd=tmp_path, env=jwks)
    assert serve.returncode == 2 and "STUDYPLANNER_API_JWKS_URL" in serve.stderr
    short = run_cli(
        "api", "serve", cwd=tmp_path, env={**env, "STUDYPLANNER_API_JWT_SECRET": "short"}
    )
    assert short.returncode == 2 and "at least 32 characters" in short.stderr
    for result in (nobody, minted, serve, short):
        assert "Traceback" not in result.stderr
