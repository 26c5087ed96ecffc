"""Push tests: settings with push on, students with integration rows, a watch server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db import migrate
from db.models import IntegrationSettings
from db.session import make_engine, session_scope
from services.realtime.ports import ChannelClient, ChannelClientFactory
from services.settings import Settings
from tests.integration.db.factories import add_user
from tests.integration.realtime.google_watch_server import HttpChannelClient, WatchServer
from tests.scratch import create_scratch_postgres, drop_scratch_postgres

STUDY_CALENDAR = "study-plan@group.calendar.google.com"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of this test's own, for passes over every student (the renewal beat)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'own.sqlite3'}"
        migrate.upgrade(url)
        eng = make_engine(url)
        yield eng
        eng.dispose()
        return
    base = str(request.getfixturevalue("postgres_base_url"))
    url = create_scratch_postgres(base)
    migrate.upgrade(url)
    eng = make_engine(url)
    try:
        yield eng
    finally:
        eng.dispose()
        drop_scratch_postgres(base, url)


@pytest.fixture
def settings(tmp_path: Path, key_ring: list[str]) -> Settings:
    """Push on. The services under test take their engine as an argument."""
    return Settings(
        _env_file=None,
        var_dir=tmp_path / "var",
        push_enabled=True,
        public_base_url="https://planner.example.edu",
        push_debounce_s=5.0,
        push_storm_cap_s=30.0,
        fernet_keys=",".join(key_ring),
    )


def add_student(
    engine: Engine,
    *,
    google: bool = True,
    notion: bool = False,
    monitored: list[str] | None = None,
    data_source: str | None = None,
) -> uuid.UUID:
    with session_scope(engine) as session:
        user = add_user(session)
        session.add(
            IntegrationSettings(
                user_id=user.id,
                google_calendar_enabled=google,
                google_access_token="access-token" if google else None,
                google_refresh_token="refresh-token" if google else None,
                google_calendar_id=STUDY_CALENDAR if google else None,
                google_monitored_calendars=monitored if monitored is not None else ["primary"],
                notion_enabled=notion,
                notion_access_token="secret_notion" if notion else None,
                notion_database_id=str(uuid.uuid4()) if notion else None,
                notion_data_source_id=(data_source or str(uuid.uuid4())) if notion else None,
            )
        )
        return user.id


@pytest.fixture
def watch_server() -> Iterator[WatchServer]:
    server = WatchServer()
    yield server
    server.stop()


@dataclass
class Clients:
    """The channel client factory the tests hand to services (real HTTP to the server)."""

    base_url: str
    built: list[uuid.UUID] = field(default_factory=list)

    def __call__(self, integration: IntegrationSettings) -> ChannelClient:
        self.built.append(integration.user_id)
        return HttpChannelClient(self.base_url, integration.google_access_token or "")


@pytest.fixture
def clients(watch_server: WatchServer) -> ChannelClientFactory:
    return Clients(watch_server.base_url)


@dataclass
class RecordingScheduler:
    """services.realtime.ports.SyncScheduler that keeps what it was asked (the Celery one is
    exercised with a real worker in tests/e2e/test_push_worker.py)."""

    calls: list[tuple[uuid.UUID, float]] = field(default_factory=list)
    broken: bool = False

    def schedule(self, user_id: uuid.UUID, countdown_s: float) -> None:
        if self.broken:
            raise ConnectionError("broker unreachable")
        self.calls.append((user_id, countdown_s))
