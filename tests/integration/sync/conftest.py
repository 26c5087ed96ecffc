"""A student with courses and assessments, connected to both emulators, synced by the real
pipeline against the real database."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bench.students import seed_small_student
from db.models import User
from db.session import session_scope
from emulators.google import GoogleEmulator, start_google_emulator
from emulators.notion import EmulatedWorkspace, NotionEmulator, start_notion_emulator
from services.connect import connect_google, connect_notion
from services.settings import Settings
from services.sync.run import SyncOptions, SyncReport, sync_user


@dataclass
class Student:
    engine: Engine
    settings: Settings
    user_id: uuid.UUID
    google: GoogleEmulator
    notion: NotionEmulator
    workspace: EmulatedWorkspace
    calendar_owner: str

    def sync(self, **options: object) -> SyncReport:
        return sync_user(
            self.engine,
            self.settings,
            self.user_id,
            options=SyncOptions(**options),  # type: ignore[arg-type]
        )


@pytest.fixture
def google_emulator() -> Iterator[GoogleEmulator]:
    emu = start_google_emulator("127.0.0.1", 0)
    yield emu
    emu.stop()


@pytest.fixture
def notion_emulator() -> Iterator[NotionEmulator]:
    emu = start_notion_emulator("127.0.0.1", 0, rate_per_s=100.0, burst=20.0)
    yield emu
    emu.stop()


def seed(engine: Engine, now: datetime) -> uuid.UUID:
    """A small student (bench/students.py) in a fixed zone, so every run plans alike."""
    email = f"s{uuid.uuid4().hex[:8]}@example.edu"
    return seed_small_student(engine, now, email=email, rng=random.Random(5), zone="Europe/Berlin")


@pytest.fixture
def student(
    engine: Engine, google_emulator: GoogleEmulator, notion_emulator: NotionEmulator, tmp_path: Path
) -> Student:
    grant = google_emulator.admin.grant()
    workspace = notion_emulator.admin.create_workspace()
    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=str(engine.url.render_as_string(hide_password=False)),
        google_api_endpoint=google_emulator.base_url,
        google_token_uri=google_emulator.token_uri,
        google_client_id=grant["client_id"],
        google_client_secret=grant["client_secret"],
        notion_base_url=notion_emulator.base_url,
        notion_rate_per_s=50.0,
        notion_burst=10,
    )
    now = datetime.now(UTC)
    user_id = seed(engine, now)
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        connect_google(session, user, grant)
        connect_notion(
            session, settings, user, token=workspace.token, database_id=workspace.database_id
        )
    return Student(
        engine, settings, user_id, google_emulator, notion_emulator, workspace, grant["email"]
    )
