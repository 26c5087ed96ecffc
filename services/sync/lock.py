"""One sync per user at a time.

With Redis configured: a redis-py lock whose timeout exceeds the task's hard time limit (a
killed worker's lock expires by itself). Otherwise a lease in the user's integration row, taken
with one conditional UPDATE (atomic on PostgreSQL and SQLite alike) and released by its owner.
Either way a second sync of the same user does not wait: it is dropped and reported `skipped`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import IntegrationSettings, utcnow


class UserLock:
    def __init__(self, engine: Engine, redis_url: str | None, ttl_s: int) -> None:
        self.engine = engine
        self.redis_url = redis_url
        self.ttl_s = ttl_s

    @contextmanager
    def hold(self, user_id: uuid.UUID) -> Iterator[bool]:
        """Yields True when this caller holds the lock, False when another sync does."""
        if self.redis_url:
            with self._redis(user_id) as held:
                yield held
        else:
            with self._lease(user_id) as held:
                yield held

    @contextmanager
    def _redis(self, user_id: uuid.UUID) -> Iterator[bool]:
        import redis

        client = redis.Redis.from_url(self.redis_url or "")
        lock = client.lock(f"studyplanner:sync-lock:{user_id}", timeout=self.ttl_s, blocking=False)
        acquired = bool(lock.acquire(blocking=False))
        try:
            yield acquired
        finally:
            if acquired:
                # It may have expired while we worked: then there is nothing to release.
                with contextlib.suppress(redis.exceptions.LockError):
                    lock.release()
            client.close()

    @contextmanager
    def _lease(self, user_id: uuid.UUID) -> Iterator[bool]:
        owner = uuid.uuid4().hex
        ttl = timedelta(seconds=self.ttl_s)
        acquired = take_lease(self.engine, user_id, owner, utcnow(), ttl)
        if not acquired and _add_missing_row(self.engine, user_id):
            # A first sync: the lease lives in the integration row, which did not exist yet.
            acquired = take_lease(self.engine, user_id, owner, utcnow(), ttl)
        try:
            yield acquired
        finally:
            if acquired:
                with self.engine.begin() as conn:
                    conn.execute(
                        update(IntegrationSettings)
                        .where(
                            IntegrationSettings.user_id == user_id,
                            IntegrationSettings.sync_lock_owner == owner,
                        )
                        .values(sync_lock_owner=None, sync_lock_expires_at=None)
                    )


def take_lease(
    engine: Engine, user_id: uuid.UUID, owner: str, now: datetime, ttl: timedelta
) -> bool:
    with engine.begin() as conn:
        result = conn.execute(
            update(IntegrationSettings)
            .where(
                IntegrationSettings.user_id == user_id,
                or_(
                    IntegrationSettings.sync_lock_expires_at.is_(None),
                    IntegrationSettings.sync_lock_expires_at < now,
                ),
            )
            .values(sync_lock_owner=owner, sync_lock_expires_at=now + ttl)
        )
        return result.rowcount == 1


def _add_missing_row(engine: Engine, user_id: uuid.UUID) -> bool:
    """Create the user's integration row if there is none; True when it was missing (two first
    syncs may race here: the loser's insert fails and it sees the row)."""
    with engine.begin() as conn:
        exists = conn.scalar(
            select(IntegrationSettings.id).where(IntegrationSettings.user_id == user_id)
        )
    if exists is not None:
        return False
    try:
        with Session(engine) as session, session.begin():
            session.add(IntegrationSettings(user_id=user_id))
    except IntegrityError:
        pass
    return True
