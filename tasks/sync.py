"""Sync entry points. Thin: ids in, a small secret-free summary out (what Flower shows)."""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task

from db.models import utcnow
from db.session import session_scope
from services.dispatch import claim_due_users, spread_countdown, users_with_failed_pushes
from services.sync.report import record_retries_exhausted
from services.sync.run import SyncOptions, sync_user
from tasks.base import StudyplannerTask

SYNC_TASK = "studyplanner.sync.sync_user"
# Both can be changed per deployment with Celery's task_annotations (the retry test does).
MAX_SYNC_RETRIES = 5
RETRY_BASE_DELAY_S = 5.0
# Beat's dispatch publishes one message per this many due users; workers fan them out. One
# publish costs ~0.8 ms (message, sent event, Redis round trip): 10,000 of them in the beat task
# took 7.9 s, 20 of them take a few milliseconds.
PUBLISH_BATCH = 500


@shared_task(
    bind=True,
    base=StudyplannerTask,
    name=SYNC_TASK,
    max_retries=MAX_SYNC_RETRIES,
    default_retry_delay=RETRY_BASE_DELAY_S,
)
def sync_user_task(
    self: StudyplannerTask, user_id: str, trigger: str = "schedule"
) -> dict[str, Any]:
    report = sync_user(
        self.engine, self.settings, uuid.UUID(user_id), options=SyncOptions(trigger=trigger)
    )
    retry_after = report.retry_after
    if retry_after is not None:
        retries = self.request.retries
        if self.max_retries is None or retries < self.max_retries:
            # retry_jitter could make the delay 0 and ignore Retry-After: pass countdown ourselves.
            backoff = min(600.0, max(retry_after, float(self.default_retry_delay) * 2**retries))
            raise self.retry(countdown=backoff)
        # Given up: say so where admins look; the next scheduled sync starts afresh.
        record_retries_exhausted(self.engine, report, retries)
    return report.summary()


@shared_task(bind=True, base=StudyplannerTask, name="studyplanner.maintenance.dispatch_due_syncs")
def dispatch_due_syncs(self: StudyplannerTask) -> dict[str, Any]:
    max_spread = self.settings.dispatch_spread_max_s
    with session_scope(self.engine) as session:
        due = claim_due_users(session, now=utcnow(), settings=self.settings)
    # Publish after commit: batches of ids, expanded into per-user syncs by the workers.
    batches = 0
    with self.app.producer_or_acquire() as producer:
        for start in range(0, len(due), PUBLISH_BATCH):
            batch = due[start : start + PUBLISH_BATCH]
            publish_syncs.apply_async(
                (
                    [str(d.user_id) for d in batch],
                    [spread_countdown(d.user_id, d.interval_min, max_spread) for d in batch],
                ),
                producer=producer,
            )
            batches += 1
    return {"dispatched": len(due), "batches": batches}


@shared_task(bind=True, base=StudyplannerTask, name="studyplanner.maintenance.publish_syncs")
def publish_syncs(
    self: StudyplannerTask, user_ids: list[str], countdowns: list[int]
) -> dict[str, Any]:
    """One sync per user, each at its countdown. Running twice only syncs twice: harmless."""
    with self.app.producer_or_acquire() as producer:
        for user_id, countdown in zip(user_ids, countdowns, strict=True):
            sync_user_task.apply_async((user_id,), countdown=countdown, producer=producer)
    return {"published": len(user_ids)}


@shared_task(bind=True, base=StudyplannerTask, name="studyplanner.maintenance.retry_failed_pushes")
def retry_failed_pushes(self: StudyplannerTask) -> dict[str, Any]:
    with session_scope(self.engine) as session:
        users = users_with_failed_pushes(session)
    for user_id in users:
        sync_user_task.apply_async((str(user_id), "retry"))
    return {"retried": len(users)}
