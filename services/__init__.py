"""The application layer: every use case, called by the CLI, the Celery tasks and the HTTP API."""
