"""The studyplanner worker: `celery -A worker worker -B -E` finds `app` here."""

from worker.celery_app import create_app

app = create_app()

__all__ = ["app"]
