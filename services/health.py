"""`studyplanner health`: is the database reachable and migrated, is the broker reachable, which
workers have beaten lately. Each check returns a value; the CLI decides how to show it.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from db import migrate
from db.models import WorkerHeartbeat
from services.settings import Settings, broker_transport_options


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


def redact_url(url: str) -> str:
    """Drop the password (and a feed's query string) before a URL is shown or logged."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def check_database(engine: Engine) -> Check:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return Check("database", False, f"unreachable at {redact_url(str(engine.url))}: {reason}")
    head = migrate.head_revision()
    if current != head:
        return Check(
            "database",
            False,
            f"not migrated (at {current or 'empty'}, head is {head}): "
            "run 'studyplanner db upgrade'",
        )
    return Check("database", True, f"{engine.dialect.name}, schema at {current}")


def check_broker(settings: Settings, timeout_s: float = 3.0) -> Check:
    if settings.uses_embedded_broker:
        folders = broker_transport_options(settings)
        for key in ("data_folder_in", "control_folder"):
            folder = Path(folders[key])
            if not folder.is_dir() or not os.access(folder, os.W_OK):
                return Check("broker", False, f"broker folder {folder} is missing or read-only")
        return Check("broker", True, f"embedded folder broker at {settings.broker_folder}")
    from kombu.connection import Connection

    shown = redact_url(settings.broker_url)
    try:
        with Connection(settings.broker_url, connect_timeout=timeout_s) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout_s)
    except Exception as exc:  # kombu raises transport-specific errors; any of them means "down"
        return Check("broker", False, f"unreachable at {shown}: {type(exc).__name__}: {exc}")
    return Check("broker", True, f"reachable at {shown}")


def check_workers(engine: Engine, settings: Settings, now: datetime) -> Check:
    """Informational: a worker is 'alive' if it beat within three heartbeat intervals."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(WorkerHeartbeat.hostname, WorkerHeartbeat.last_seen_at))
            beats = [(host, seen) for host, seen in rows]
    except SQLAlchemyError:
        return Check("workers", True, "unknown (database unavailable)")
    fresh_after = now - timedelta(seconds=3 * settings.heartbeat_interval_s)
    alive = sorted(host for host, seen in beats if _aware(seen) >= fresh_after)
    if not alive:
        return Check("workers", True, "no heartbeat seen recently (is a worker with -B running?)")
    return Check("workers", True, f"alive: {', '.join(alive)}")


def check_integrations(engine: Engine) -> Check:
    """Informational: how many students have a Google or Notion connection that stopped (a
    revoked grant, an unshared database) and waits for them or an admin. Counts only: no names."""
    from sqlalchemy import func, or_

    from db.enums import IntegrationHealth
    from db.models import IntegrationSettings as Row

    try:
        with engine.connect() as conn:
            count = conn.execute(
                select(func.count()).where(
                    or_(
                        Row.google_calendar_enabled & (Row.google_health != IntegrationHealth.OK),
                        Row.notion_enabled & (Row.notion_health != IntegrationHealth.OK),
                    )
                )
            ).scalar_one()
    except SQLAlchemyError:
        return Check("integrations", True, "unknown (database unavailable)")
    if not count:
        return Check("integrations", True, "none needs attention")
    return Check(
        "integrations", True, f"{count} student(s) need to reconnect or fix an integration"
    )


SECRETS_SAMPLED_PER_COLUMN = 20


def check_secrets(engine: Engine) -> Check:
    """Do the configured keys read the stored secrets? A sample of every encrypted column is
    decrypted (nothing is shown), and students whose last sync could not decrypt their tokens
    are counted: a regenerated or replaced key makes this DOWN before and after any sync."""
    from sqlalchemy import LargeBinary, func, type_coerce

    from db import crypto
    from db.keyrotation import encrypted_columns
    from db.models import SyncError
    from services.unreadable_secrets import UNREADABLE

    sampled = unreadable = 0
    try:
        with engine.connect() as conn:
            for table, column in encrypted_columns():
                raw = type_coerce(column, LargeBinary())
                query = select(raw).select_from(table).where(column.is_not(None))
                for (value,) in conn.execute(query.limit(SECRETS_SAMPLED_PER_COLUMN)):
                    sampled += 1
                    unreadable += not crypto.can_decrypt(bytes(value))
            students = conn.execute(
                select(func.count(SyncError.user_id.distinct())).where(
                    SyncError.error_code == UNREADABLE, SyncError.resolved_at.is_(None)
                )
            ).scalar_one()
    except SQLAlchemyError:
        return Check("secrets", True, "unknown (database unavailable)")
    fix = "put back the Fernet key they were written with (STUDYPLANNER_FERNET_KEYS or fernet.key)"
    if unreadable:
        return Check(
            "secrets",
            False,
            f"{unreadable} of {sampled} stored secret(s) sampled cannot be decrypted with the "
            f"configured keys: {fix}",
        )
    if students:
        return Check(
            "secrets",
            False,
            f"the tokens of {students} student(s) could not be decrypted by their last sync "
            "(see 'studyplanner status'): "
            f"{fix} and sync them again, or they reconnect",
        )
    if not sampled:
        return Check("secrets", True, "no stored secret yet")
    return Check("secrets", True, f"the configured keys read the {sampled} secret(s) sampled")


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def versions() -> str:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "?"

    return (
        f"studyplanner {version('studyplanner')}, python {platform.python_version()}, "
        f"celery {version('celery')}, sqlalchemy {version('sqlalchemy')}, "
        f"schema head {migrate.head_revision()}"
    )
