"""Keeps secrets of the page URLs out of the access log: a sign-in link's token and the
query string of an OAuth callback (its code and state)."""

from __future__ import annotations

import logging
import re

_SIGNIN = re.compile(r"(/signin/)[^/?\s\"]+")
_CALLBACK = re.compile(r"(/v1/connect/(?:google|notion)/callback)\?[^\s\"]*")


def redact(text: str) -> str:
    return _CALLBACK.sub(r"\1?…", _SIGNIN.sub(r"\1…", text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
