"""Shared fixtures: databases built by running the migrations, a savepoint per test, services.

Without STUDYPLANNER_TEST_DATABASE_URL / STUDYPLANNER_TEST_REDIS_URL (a user's fresh machine) the
PostgreSQL and Redis variants skip. CI sets them and STUDYPLANNER_REQUIRE_SERVICES=1, which turns
such a skip into a failure, so a broken service can never pass as "skipped".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from db import crypto, migrate
from db.session import make_engine
from tests.scratch import create_scratch_postgres, drop_scratch_postgres

settings.register_profile(
    "dev", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=100,
    derandomize=True,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REQUIRE_SERVICES = os.environ.get("STUDYPLANNER_REQUIRE_SERVICES") == "1"
TEST_DATABASE_URL = os.environ.get("STUDYPLANNER_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("STUDYPLANNER_TEST_REDIS_URL")


CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_CHROMIUM = os.environ.get("STUDYPLANNER_REQUIRE_CHROMIUM") == "1"


def require_chromium() -> Path:
    """Debian's Chromium for a browser test: skipped on a user's machine without it, a failure
    in CI (which installs it)."""
    if not CHROMIUM.is_file():
        if REQUIRE_CHROMIUM:
            pytest.fail("Chromium is required (STUDYPLANNER_REQUIRE_CHROMIUM=1) but missing")
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def service_unavailable(reason: str) -> None:
    """Skip on a user's machine; fail in CI, where every service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def key_ring() -> list[str]:
    keys = [Fernet.generate_key().decode()]
    crypto.configure_keys(keys)
    return keys


@pytest.fixture(autouse=True)
def restore_key_ring(key_ring: list[str]) -> Iterator[None]:
    """Each test starts and ends with the session's key ring: a test that boots the product
    (bootstrap configures the keys from its own settings) or rotates keys must not leave rows
    written later unreadable for the tests that follow."""
    saved = (crypto._ring, crypto._primary)
    yield
    crypto._ring, crypto._primary = saved


# --- databases ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    if not TEST_DATABASE_URL:
        service_unavailable("STUDYPLANNER_TEST_DATABASE_URL is not set")
    assert TEST_DATABASE_URL is not None
    probe = create_engine(TEST_DATABASE_URL)
    try:
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        service_unavailable(f"PostgreSQL unreachable: {exc}")
    finally:
        probe.dispose()
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def postgres_url(postgres_base_url: str) -> Iterator[str]:
    url = create_scratch_postgres(postgres_base_url)
    migrate.upgrade(url)
    yield url
    from db.session import dispose_all

    dispose_all()
    drop_scratch_postgres(postgres_base_url, url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits become savepoints of one outer transaction, rolled back after."""
    connection = engine.connect()
    outer = connection.begin()
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield db_session
    finally:
        db_session.close()
        outer.rollback()
        connection.close()


# --- redis ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not TEST_REDIS_URL:
        service_unavailable("STUDYPLANNER_TEST_REDIS_URL is not set")
    assert TEST_REDIS_URL is not None
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        service_unavailable(f"Redis unreachable: {exc}")
    return TEST_REDIS_URL


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
