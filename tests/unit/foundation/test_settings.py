"""Settings handed to a child process come back identical on the other side."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.settings import Settings, child_process_env


def test_a_child_process_reads_back_the_same_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = Settings(
        var_dir=tmp_path / "var",
        database_url="postgresql+psycopg://app:pw@db/sp",
        broker_url="redis://broker:6379/0",
        fernet_keys=Fernet.generate_key().decode(),
        google_client_secret="s3cret",
        notion_rate_per_s=7.5,
        dispatch_spread_max_s=0,
    )
    env = child_process_env(sent, STUDYPLANNER_LOG_LEVEL="WARNING")
    assert "STUDYPLANNER_RESULT_BACKEND" not in env  # unset settings stay unset
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    received = Settings(_env_file=None)
    assert received.model_dump() == {
        **sent.model_dump(),
        "var_dir": sent.var_dir.resolve(),
        "log_level": "WARNING",
    }


def test_push_needs_a_public_https_address(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        Settings(_env_file=None, var_dir=tmp_path, push_enabled=True)
    with pytest.raises(ValueError, match="https"):
        Settings(_env_file=None, push_enabled=True, public_base_url="http://planner.example.edu")
    local = Settings(_env_file=None, push_enabled=True, public_base_url="http://127.0.0.1:8000/")
    assert local.webhook_url("google") == "http://127.0.0.1:8000/v1/webhooks/google"
    with pytest.raises(ValueError, match="renew_margin"):
        Settings(_env_file=None, push_channel_ttl_s=3600, push_renew_margin_s=3600)
    with pytest.raises(ValueError, match="storm_cap"):
        Settings(_env_file=None, push_debounce_s=10, push_storm_cap_s=5)


def test_the_embedded_key_is_private_kept_and_never_made_next_to_a_database(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, var_dir=tmp_path / "var")
    [key] = settings.fernet_key_list()
    key_file = tmp_path / "var" / "fernet.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    Fernet(key.encode())  # a usable key
    assert settings.fernet_key_list() == [key]  # read back, not made again
    key_file.unlink()
    (tmp_path / "var" / "studyplanner.sqlite3").write_bytes(b"")
    with pytest.raises(ValueError, match="exists but its key"):
        settings.fernet_key_list()
    assert not key_file.exists()


def test_no_key_is_made_next_to_a_configured_sqlite_database_either(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere.sqlite3"
    database.write_bytes(b"")
    settings = Settings(
        _env_file=None, var_dir=tmp_path / "var", database_url=f"sqlite:///{database}"
    )
    with pytest.raises(ValueError, match=r"elsewhere\.sqlite3 exists but its key"):
        settings.fernet_key_list()
    assert not (tmp_path / "var" / "fernet.key").exists()
