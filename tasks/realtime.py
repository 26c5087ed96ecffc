"""Push entry points: the debounced sync of one student and the channel and webhook upkeep.
Thin: ids in, one service call, a small secret-free summary out."""

from __future__ import annotations

import uuid
from typing import Any

from celery import Celery, shared_task

from db.models import utcnow
from db.session import session_scope
from services.realtime.channels import google_channel_clients, renew_channels
from services.realtime.debounce import run_debounced_sync
from services.realtime.notion import prune_notion_events
from tasks.base import StudyplannerTask

DEBOUNCED_SYNC_TASK = "studyplanner.sync.debounced_sync"


class CelerySyncScheduler:
    """services.realtime.ports.SyncScheduler over a Celery app: what the API's webhook
    routes and the debounced task itself use to enqueue the task with a countdown."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def schedule(self, user_id: uuid.UUID, countdown_s: float) -> None:
        self.app.send_task(DEBOUNCED_SYNC_TASK, args=(str(user_id),), countdown=countdown_s)


@shared_task(bind=True, base=StudyplannerTask, name=DEBOUNCED_SYNC_TASK)
def debounced_sync(self: StudyplannerTask, user_id: str) -> dict[str, Any]:
    run = run_debounced_sync(
        self.engine, self.settings, uuid.UUID(user_id), CelerySyncScheduler(self.app)
    )
    return {"user_id": user_id, **run.summary()}


@shared_task(bind=True, base=StudyplannerTask, name="studyplanner.maintenance.renew_push_channels")
def renew_push_channels(self: StudyplannerTask) -> dict[str, Any]:
    """Open missing channels, replace those close to expiry or silent, stop unwanted ones."""
    summary = renew_channels(
        self.engine, self.settings, utcnow(), google_channel_clients(self.settings)
    )
    return {
        "users": summary.users,
        "created": summary.created,
        "stopped": summary.stopped,
        "failed": summary.failed,
    }


@shared_task(bind=True, base=StudyplannerTask, name="studyplanner.maintenance.prune_webhook_events")
def prune_webhook_events(self: StudyplannerTask) -> dict[str, Any]:
    with session_scope(self.engine) as session:
        pruned = prune_notion_events(session, utcnow())
    return {"pruned": pruned}
