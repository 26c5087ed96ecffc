"""The Celery app. Configured lazily from the settings (read when Celery first needs its
configuration, i.e. at start-up, never at import), so `celery -A worker …` and tests that build
their own app with `create_app(settings)` share one set of rules.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery, signals
from kombu.entity import Queue

from services.settings import (
    Settings,
    broker_transport_options,
    ensure_broker_folders,
    get_settings,
)

TASK_MODULES = ["tasks.maintenance", "tasks.realtime", "tasks.sync"]
SYNC_QUEUE = "sync"
MAINTENANCE_QUEUE = "maintenance"
HEARTBEAT_TASK = "studyplanner.maintenance.heartbeat"


def celery_config(settings: Settings) -> dict[str, Any]:
    ensure_broker_folders(settings)
    return {
        "broker_url": settings.broker_url,
        "result_backend": settings.effective_result_backend,
        "broker_transport_options": broker_transport_options(settings),
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "result_expires": timedelta(days=1),
        "result_extended": False,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "task_track_started": True,
        "task_soft_time_limit": settings.task_soft_time_limit_s,
        "task_time_limit": settings.task_time_limit_s,
        "timezone": "UTC",
        "enable_utc": True,
        "task_queues": [Queue(SYNC_QUEUE), Queue(MAINTENANCE_QUEUE)],
        "task_default_queue": SYNC_QUEUE,
        "task_routes": {
            "studyplanner.sync.*": {"queue": SYNC_QUEUE},
            "studyplanner.maintenance.*": {"queue": MAINTENANCE_QUEUE},
        },
        "beat_schedule": {
            "heartbeat": {
                "task": HEARTBEAT_TASK,
                "schedule": timedelta(seconds=settings.heartbeat_interval_s),
            },
            "expire-missed-tasks": {
                "task": "studyplanner.maintenance.expire_missed_tasks",
                "schedule": timedelta(minutes=15),
            },
            "refresh-feeds": {
                "task": "studyplanner.maintenance.refresh_feeds",
                "schedule": timedelta(minutes=5),
            },
            "dispatch-due-syncs": {
                "task": "studyplanner.maintenance.dispatch_due_syncs",
                "schedule": timedelta(seconds=settings.dispatch_interval_s),
            },
            "refresh-google-tokens": {
                "task": "studyplanner.maintenance.refresh_google_tokens",
                "schedule": timedelta(minutes=10),
            },
            "retry-failed-pushes": {
                "task": "studyplanner.maintenance.retry_failed_pushes",
                "schedule": timedelta(minutes=10),
            },
            "renew-push-channels": {
                "task": "studyplanner.maintenance.renew_push_channels",
                "schedule": timedelta(minutes=10),
            },
            "prune-webhook-events": {
                "task": "studyplanner.maintenance.prune_webhook_events",
                "schedule": timedelta(hours=1),
            },
            "archive-task-events": {
                "task": "studyplanner.maintenance.archive_task_events",
                "schedule": timedelta(days=1),
            },
        },
        "beat_schedule_filename": str((settings.var_dir / "celerybeat-schedule").resolve()),
        "worker_hijack_root_logger": False,
        # Our own keys: tasks find the database through the app they run in, so a test app
        # and the production app never share an engine by accident.
        "studyplanner_database_url": settings.effective_database_url,
        # "secret" in the name makes Celery censor it in `inspect conf` (and so in Flower): the
        # settings hold the database URL and OAuth client secret.
        "studyplanner_secret_settings": settings,
        "studyplanner_event_archive_months": settings.event_archive_months,
        "studyplanner_feed_refresh_min": settings.feed_refresh_interval_min,
    }


def create_app(settings: Settings | None = None) -> Celery:
    """An app for the given settings (tests) or, lazily, for the process's settings."""
    celery_app = Celery("studyplanner", include=TASK_MODULES, set_as_current=settings is None)
    if settings is None:
        celery_app.add_defaults(lambda: celery_config(get_settings()))
    else:
        celery_app.config_from_object(celery_config(settings))
    return celery_app


@signals.worker_init.connect
@signals.beat_init.connect
def _configure_process(sender: Any = None, **_kwargs: Any) -> None:
    from services.bootstrap import configure_process

    # The settings the app was built with (a test's, or the process's for `celery -A worker`).
    app = getattr(sender, "app", None)
    settings = app.conf.get("studyplanner_secret_settings") if app is not None else None
    configure_process(settings if isinstance(settings, Settings) else get_settings())


@signals.worker_process_init.connect
def _fresh_connections_after_fork(**_kwargs: Any) -> None:
    from db.session import dispose_after_fork

    dispose_after_fork()
