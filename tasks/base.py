"""The one base class of our Celery tasks: it hands each task the engine and the settings its
own Celery app was configured with (`create_app(settings)`), so a task body is a few lines
over one service call."""

from __future__ import annotations

from celery import Task
from sqlalchemy import Engine

from db.session import get_engine
from services.settings import Settings


class StudyplannerTask(Task):  # type: ignore[misc]
    abstract = True

    @property
    def settings(self) -> Settings:
        settings = self.app.conf.get("studyplanner_secret_settings")
        if not isinstance(settings, Settings):
            raise RuntimeError("the Celery app has no studyplanner_settings configured")
        return settings

    @property
    def engine(self) -> Engine:
        url = self.app.conf.get("studyplanner_database_url")
        if not url:
            raise RuntimeError("the Celery app has no studyplanner_database_url configured")
        return get_engine(str(url))
