"""Throw-away PostgreSQL databases for tests and benchmarks: created fresh, dropped after, so
parallel runs and old schemas never interfere."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def create_scratch_postgres(base_url: str, prefix: str = "studyplanner_test") -> str:
    url = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_scratch_postgres(base_url: str, scratch_url: str) -> None:
    name = make_url(scratch_url).database
    admin = create_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
