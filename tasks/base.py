"""How a task reaches the database: through the URL its own Celery app was configured with."""

from __future__ import annotations

from celery import Celery
from sqlalchemy import Engine

from db.session import get_engine
from services.settings import Settings


def settings_for(app: Celery) -> Settings:
    settings = app.conf.get("studyplanner_secret_settings")
    if not isinstance(settings, Settings):
        raise RuntimeError("the Celery app has no studyplanner_settings configured")
    return settings


def engine_for(app: Celery) -> Engine:
    url = app.conf.get("studyplanner_database_url")
    if not url:
        raise RuntimeError("the Celery app has no studyplanner_database_url configured")
    return get_engine(str(url))
