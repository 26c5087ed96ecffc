"""Key rotation beside live token writers: a concurrent write always wins, none is reverted.

Real threads, each the only writer of its own rows, write a new token again and again (a token
refresh), and before each write check that the row still holds the token it wrote last. Meanwhile
the rotation re-encrypts the whole column again and again under a new primary key. A rotation
that writes back what it read earlier puts an older token back: the writer sees it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, LargeBinary, select, type_coerce

from db import crypto, migrate
from db.keyrotation import rotate_all
from db.models import IntegrationSettings
from db.session import make_engine, session_scope
from tests.integration.db.factories import add_user
from tests.scratch import create_scratch_postgres, drop_scratch_postgres

WRITERS = 3
ROWS_PER_WRITER = 15
WRITES_PER_WRITER = 40


@pytest.fixture
def engine(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Iterator[Engine]:
    """A database of the test's own: the rotation re-encrypts every row of a table, and rows that
    other tests committed under other key rings are none of its business."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'rotation.sqlite3'}"
        migrate.upgrade(url)
        eng = make_engine(url)
        yield eng
        eng.dispose()
        return
    base_url = str(request.getfixturevalue("postgres_base_url"))
    url = create_scratch_postgres(base_url, prefix="studyplanner_rotation")
    try:
        migrate.upgrade(url)
        eng = make_engine(url)
        yield eng
        eng.dispose()
    finally:
        drop_scratch_postgres(base_url, url)


@pytest.fixture
def new_primary(key_ring: list[str]) -> str:
    """A new primary key for the test (the suite's autouse fixture puts the old ring back)."""
    key = Fernet.generate_key().decode()
    crypto.configure_keys([key, *key_ring])
    return key


def make_rows(engine: Engine, count: int) -> list[uuid.UUID]:
    ids = []
    with session_scope(engine) as session:
        for n in range(count):
            user = add_user(session)
            row = IntegrationSettings(user_id=user.id, google_refresh_token=f"initial-{n}")
            session.add(row)
            session.flush()
            ids.append(row.id)
    return ids


def writer(
    engine: Engine,
    rows: list[uuid.UUID],
    name: str,
    reverted: list[str],
    errors: list[BaseException],
) -> None:
    last: dict[uuid.UUID, str | None] = {row_id: None for row_id in rows}
    try:
        for i in range(WRITES_PER_WRITER):
            row_id = rows[i % len(rows)]
            with session_scope(engine) as session:
                row = session.execute(
                    select(IntegrationSettings).where(IntegrationSettings.id == row_id)
                ).scalar_one()
                expected = last[row_id]
                if expected is not None and row.google_refresh_token != expected:
                    reverted.append(f"{expected} became {row.google_refresh_token}")
                token = f"{name}-{i}"
                row.google_refresh_token = token
            last[row_id] = token
    except BaseException as exc:  # surfaced in the main thread
        errors.append(exc)


def test_no_concurrent_token_write_is_reverted_by_rotation(
    engine: Engine, new_primary: str
) -> None:
    reverted: list[str] = []
    errors: list[BaseException] = []
    threads = []
    for w in range(WRITERS):
        rows = make_rows(engine, ROWS_PER_WRITER)
        args = (engine, rows, f"w{w}", reverted, errors)
        threads.append(threading.Thread(target=writer, args=args))
    for thread in threads:
        thread.start()
    rotations = 0
    while any(thread.is_alive() for thread in threads) or rotations < 2:
        rotate_all(engine, batch_size=20)
        rotations += 1
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert reverted == [], f"{len(reverted)} write(s) reverted, e.g. {reverted[:3]}"
    assert rotations >= 2
    # Everything ends under the primary key once a last rotation ran with no writer left.
    rotate_all(engine)
    with engine.connect() as conn:
        values = conn.execute(
            select(type_coerce(IntegrationSettings.google_refresh_token, LargeBinary())).where(
                IntegrationSettings.google_refresh_token.is_not(None)
            )
        ).scalars()
        assert all(crypto.is_encrypted_with_primary(bytes(v)) for v in values)
