"""The API under test: a real uvicorn server per module and database (SQLite and PostgreSQL,
both built by the migrations), students created with the CLI's own functions, tokens minted
the way `studyplanner api token` mints them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_api
from api.auth import mint_token
from db.session import make_engine, session_scope
from services.catalog import upsert_user
from services.schemas import UserIn
from services.settings import Settings, ensure_broker_folders
from tests.e2e.api.server import serve

SECRET = "test-secret-" + "x" * 40


def api_settings(var_dir: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "var_dir": var_dir,
        "database_url": database_url,
        "broker_url": "filesystem://",
        "redis_url": None,
        "api_jwt_secret": SECRET,
        "api_rate_limit": 0,
        "api_max_body_bytes": 8192,
        "api_health_cache_s": 0,
        # The tests serve LMS feeds from 127.0.0.1 over plain HTTP: allowed here explicitly.
        "feed_allow_http": True,
        "feed_allowed_networks": "127.0.0.1",
    }
    values.update(overrides)
    settings = Settings(_env_file=None, **values)
    ensure_broker_folders(settings)
    return settings


@dataclass
class Api:
    url: str
    settings: Settings
    engine: Engine

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)

    def new_user(self, **fields: Any) -> uuid.UUID:
        data = {
            "email": f"student-{uuid.uuid4().hex[:10]}@example.edu",
            "full_name": "Ada Student",
            "timezone": "Europe/Berlin",
        } | fields
        with session_scope(self.engine) as session:
            return upsert_user(session, UserIn.model_validate(data)).id

    def token(self, user_id: uuid.UUID, *, admin: bool = False, ttl_s: int = 600) -> str:
        return mint_token(
            self.settings,
            user_id=user_id,
            email="unused@example.edu",
            admin=admin,
            ttl=timedelta(seconds=ttl_s),
        )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api_database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@contextmanager
def running_api(settings: Settings, app: Any = None) -> Iterator[Api]:
    """A server for `settings` (or for an app built from them and changed by the test)."""
    engine = make_engine(settings.effective_database_url)
    try:
        with serve(app or create_api(settings)) as url:
            yield Api(url=url, settings=settings, engine=engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def api(api_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = api_settings(tmp_path_factory.mktemp("api-var"), api_database_url)
    with running_api(settings) as running:
        yield running
