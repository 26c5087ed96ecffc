"""The studyplanner worker: `celery -A worker worker -B -E` finds `app` here.

The app is built on first access (PEP 562), not on import: the CLI and the tests import
`worker.*` modules without configuring Celery.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        from tasks.celery_app import create_app

        app = create_app()
        globals()["app"] = app
        return app
    raise AttributeError(f"module 'worker' has no attribute {name!r}")
