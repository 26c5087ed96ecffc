"""What every process does once at start-up: logging and the encryption key ring."""

from __future__ import annotations

import logging

from db import crypto
from services.settings import Settings


def configure_process(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httplib2/googleapiclient log request URLs at DEBUG; keep third-party chatter (and any URL
    # that could carry a secret) out of our logs.
    for noisy in ("googleapiclient", "httplib2", "urllib3", "httpx", "notion_client", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    # The folder broker has no host; kombu warns about it on every connection.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    # Keys given explicitly always win. Without them a process keeps a key ring it already has
    # (a worker started inside a running program must not swap its keys for a generated one).
    if settings.fernet_keys is not None or not crypto.is_configured():
        crypto.configure_keys(settings.fernet_key_list())
