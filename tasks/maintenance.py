"""Maintenance tasks (queue `maintenance`). Thin: ids in, one service call, a small summary out."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from celery import shared_task

from db.models import utcnow
from db.session import session_scope
from services import history, maintenance
from services.ingest.feeds import feed_policy
from tasks.base import StudyplannerTask


@shared_task(
    bind=True, base=StudyplannerTask, name="studyplanner.maintenance.heartbeat", ignore_result=False
)
def heartbeat(self: StudyplannerTask) -> dict[str, Any]:
    """Prove the whole loop (beat → broker → worker → database) and let `health` see workers."""
    hostname = str(self.request.hostname or "unknown")
    now = utcnow()
    beats = maintenance.record_heartbeat(self.engine, hostname, now=now)
    return {"hostname": hostname, "beats": beats, "at": now.isoformat()}


@shared_task(bind=True, base=StudyplannerTask, name="studyplanner.maintenance.expire_missed_tasks")
def expire_missed_tasks(self: StudyplannerTask) -> dict[str, Any]:
    """Scheduled tasks whose time passed without a start become `expired` (seed 003)."""
    with session_scope(self.engine) as session:
        count = history.expire_missed(session, None, now=utcnow())
    return {"expired": count}


@shared_task(bind=True, base=StudyplannerTask, name="studyplanner.maintenance.archive_task_events")
def archive_task_events(self: StudyplannerTask) -> dict[str, Any]:
    months = int(self.app.conf.get("studyplanner_event_archive_months", 12))
    with session_scope(self.engine) as session:
        moved = history.archive_events(session, older_than=history.months_ago(utcnow(), months))
    return {"archived": moved, "older_than_months": months}


@shared_task(bind=True, base=StudyplannerTask, name="studyplanner.maintenance.refresh_feeds")
def refresh_feeds(self: StudyplannerTask) -> dict[str, Any]:
    every = timedelta(minutes=int(self.app.conf.get("studyplanner_feed_refresh_min", 60)))
    refreshed, failed = maintenance.refresh_due_feeds(
        self.engine, now=utcnow(), every=every, policy=feed_policy(self.settings)
    )
    return {"refreshed": refreshed, "failed": failed}


@shared_task(bind=True, base=StudyplannerTask, name="studyplanner.maintenance.apply_performance")
def apply_performance(self: StudyplannerTask, performance_record_id: str) -> dict[str, Any]:
    """Recompute the mastery of a result written by another front end."""
    updated = maintenance.recompute_result_mastery(
        self.engine, uuid.UUID(performance_record_id), now=utcnow()
    )
    if updated is None:
        return {"updated": 0, "error": "not_found"}
    return {"updated": updated}


@shared_task(
    bind=True, base=StudyplannerTask, name="studyplanner.maintenance.refresh_google_tokens"
)
def refresh_google_tokens(self: StudyplannerTask) -> dict[str, Any]:
    outcome = maintenance.refresh_expiring_google_tokens(
        self.engine, self.settings, now=utcnow(), within=timedelta(minutes=15)
    )
    return {
        "refreshed": outcome.refreshed,
        "needs_reauth": outcome.needs_reauth,
        "failed": outcome.failed,
    }
