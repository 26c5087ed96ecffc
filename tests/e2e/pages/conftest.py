"""The student's pages under test: a real uvicorn server on the migrated database (SQLite, and
PostgreSQL when configured), both emulators with their OAuth endpoints, the API configured with
the emulators' client ids and URIs. `browser_of(student)` is an httpx client signed in through a
one-time link, the way a browser is."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from api.app import create_api
from db.models import User
from db.session import make_engine, session_scope
from emulators.google import GoogleEmulator, start_google_emulator
from emulators.notion import NotionEmulator, start_notion_emulator
from services.onboarding.signin import create_invite
from services.settings import Settings, ensure_broker_folders
from tests.e2e.api.server import serve
from tests.integration.sync.conftest import seed

SECRET = "pages-secret-" + "y" * 40
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Pages:
    url: str
    settings: Settings
    engine: Engine
    google: GoogleEmulator
    notion: NotionEmulator

    def new_student(self) -> uuid.UUID:
        return seed(self.engine, datetime.now(UTC))

    def invite(self, user_id: uuid.UUID) -> str:
        with session_scope(self.engine) as session:
            user = session.get(User, user_id)
            assert user is not None
            return create_invite(session, self.settings, user, now=datetime.now(UTC))

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=False)

    def signed_in(self, user_id: uuid.UUID) -> httpx.Client:
        client = self.browser()
        token = self.invite(user_id)
        page = client.get(f"/signin/{token}")
        assert page.status_code == 200, page.text
        answer = client.post("/signin", data={"token": token, "csrf": csrf_of(page.text)})
        assert answer.status_code == 303 and answer.headers["location"] == "/connections"
        return client


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def pages_settings(var_dir: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "var_dir": var_dir,
        "database_url": database_url,
        "broker_url": "filesystem://",
        "redis_url": None,
        "api_jwt_secret": SECRET,
        "api_rate_limit": 0,
    }
    values.update(overrides)
    settings = Settings(_env_file=None, **values)
    ensure_broker_folders(settings)
    return settings


def stack_settings(
    var_dir: Path, database_url: str, google: GoogleEmulator, notion: NotionEmulator, **extra: Any
) -> Settings:
    return pages_settings(
        var_dir,
        database_url,
        google_api_endpoint=google.base_url,
        google_token_uri=google.token_uri,
        google_auth_uri=google.auth_uri,
        google_revoke_uri=google.revoke_uri,
        google_client_id=google.settings.client_id,
        google_client_secret=SecretStr(google.settings.client_secret),
        notion_base_url=notion.base_url,
        notion_client_id=notion.settings.oauth_client_id,
        notion_client_secret=SecretStr(notion.settings.oauth_client_secret),
        notion_rate_per_s=50.0,
        notion_burst=10,
        **extra,
    )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def pages_database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(scope="module")
def pages(
    pages_database_url: str, tmp_path_factory: pytest.TempPathFactory, key_ring: list[str]
) -> Iterator[Pages]:
    google = start_google_emulator("127.0.0.1", 0)
    notion = start_notion_emulator("127.0.0.1", 0, rate_per_s=100.0, burst=20.0)
    settings = stack_settings(
        tmp_path_factory.mktemp("pages-var"),
        pages_database_url,
        google,
        notion,
        fernet_keys=SecretStr(",".join(key_ring)),
    )
    engine = make_engine(settings.effective_database_url)
    try:
        with serve(create_api(settings)) as url:
            yield Pages(url, settings, engine, google, notion)
    finally:
        engine.dispose()
        google.stop()
        notion.stop()


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record of the test (all loggers, DEBUG up): where a token must never appear."""
    caplog.set_level(logging.DEBUG)
    return caplog
