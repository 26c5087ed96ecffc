"""Maintenance tasks (queue `maintenance`). Thin: load, act, write, return a small summary."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from sqlalchemy.exc import IntegrityError

from db.models import WorkerHeartbeat, utcnow
from db.session import session_scope
from tasks.base import engine_for


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


@shared_task(bind=True, name="studyplanner.maintenance.expire_missed_tasks")
def expire_missed_tasks(self: Task) -> dict[str, Any]:
    """Scheduled tasks whose time passed without a start become `expired` (seed 003)."""
    from services.history import expire_missed

    with session_scope(engine_for(self.app)) as session:
        count = expire_missed(session, None, now=utcnow())
    return {"expired": count}


@shared_task(bind=True, name="studyplanner.maintenance.archive_task_events")
def archive_task_events(self: Task) -> dict[str, Any]:
    from services.history import archive_events, months_ago

    months = int(self.app.conf.get("studyplanner_event_archive_months", 12))
    with session_scope(engine_for(self.app)) as session:
        moved = archive_events(session, older_than=months_ago(utcnow(), months))
    return {"archived": moved, "older_than_months": months}


@shared_task(bind=True, name="studyplanner.maintenance.refresh_feeds")
def refresh_feeds(self: Task) -> dict[str, Any]:
    """Fetch every LMS feed not fetched within the interval. One feed's failure is recorded on
    it and in sync_errors; the others go on."""
    from datetime import timedelta

    from services.ingest.feeds import due_feeds, refresh_feed

    every = timedelta(minutes=int(self.app.conf.get("studyplanner_feed_refresh_min", 60)))
    refreshed = failed = 0
    engine = engine_for(self.app)
    with session_scope(engine) as session:
        feed_ids = [f.id for f in due_feeds(session, now=utcnow(), every=every)]
    for feed_id in feed_ids:
        with session_scope(engine) as session:
            from db.models import AssessmentFeed

            feed = session.get(AssessmentFeed, feed_id, with_for_update=True)
            if feed is None:
                continue
            outcome = refresh_feed(session, feed, now=utcnow())
            refreshed += outcome.error is None
            failed += outcome.error is not None
    return {"refreshed": refreshed, "failed": failed}


@shared_task(bind=True, name="studyplanner.maintenance.apply_performance")
def apply_performance(self: Task, performance_record_id: str) -> dict[str, Any]:
    """Recompute the mastery of every topic a stored result touches, in one transaction (for
    results written by another front end). Idempotent: mastery is a fold over the history."""
    import uuid

    from db.models import PerformanceRecord, User
    from services.performance import recompute_topic_mastery

    with session_scope(engine_for(self.app)) as session:
        record = session.get(PerformanceRecord, uuid.UUID(performance_record_id))
        if record is None:
            return {"updated": 0, "error": "not_found"}
        user = session.get(User, record.user_id)
        assert user is not None
        topics = sorted(uuid.UUID(t) for t in record.topic_breakdown)
        for topic_id in topics:
            recompute_topic_mastery(session, user, topic_id, now=utcnow())
    return {"updated": len(topics)}
