"""Maintenance tasks (queue `maintenance`). Thin: load, act, write, return a small summary."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from sqlalchemy.exc import IntegrityError

from db.models import WorkerHeartbeat, utcnow
from db.session import session_scope
from tasks.runtime import engine_for


@shared_task(bind=True, name="studyplanner.maintenance.heartbeat", ignore_result=False)
def heartbeat(self: Task) -> dict[str, Any]:
    """Prove the whole loop (beat → broker → worker → database) and let `health` see workers."""
    hostname = str(self.request.hostname or "unknown")
    engine = engine_for(self.app)
    now = utcnow()
    try:
        with session_scope(engine) as session:
            row = session.get(WorkerHeartbeat, hostname, with_for_update=True)
            if row is None:
                row = WorkerHeartbeat(hostname=hostname, last_seen_at=now, beats=0)
                session.add(row)
            row.beats += 1
            row.last_seen_at = now
            beats = row.beats
    except IntegrityError:
        # Two first beats of one hostname raced on the insert; the other one counted.
        beats = 1
    return {"hostname": hostname, "beats": beats, "at": now.isoformat()}
