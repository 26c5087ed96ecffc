"""Housekeeping of the folder broker's event queues (the embedded default only).

Every event consumer — a Flower, `celery events` — binds a queue of its own (`celeryev.<uuid>`)
to the `celeryev` exchange. On the folder broker that binding is a line in
`<broker>/control/celeryev.exchange` and outlives a consumer that is stopped: workers then go on
writing every event, as one file each, into a queue nobody reads. `studyplanner flower` removes
the binding of the Flower it started when it stops, and at start drops bindings whose messages
nobody has read for a while (a live consumer reads its events within a second)."""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Iterable
from pathlib import Path

from services.settings import Settings, broker_transport_options

EVENT_EXCHANGE = "celeryev"
STALE_AFTER_S = 300.0


def _folders(settings: Settings) -> tuple[Path, Path]:
    options = broker_transport_options(settings)
    return Path(options["control_folder"]), Path(options["data_folder_in"])


def event_queues(settings: Settings) -> set[str]:
    """The queues bound to the event exchange now."""
    control, _ = _folders(settings)
    table = control / f"{EVENT_EXCHANGE}.exchange"
    if not table.exists():
        return set()
    with table.open("r") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        rows = json.loads(handle.read() or "[]")
    return {str(row[2]) for row in rows}


def forget_event_queues(settings: Settings, queues: Iterable[str]) -> int:
    """Unbind `queues` from the event exchange and delete their waiting messages."""
    gone = set(queues)
    if not gone:
        return 0
    control, data = _folders(settings)
    table = control / f"{EVENT_EXCHANGE}.exchange"
    if table.exists():
        # The same lock kombu's folder transport takes around its exchange tables.
        with table.open("r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            rows = json.loads(handle.read() or "[]")
            kept = [row for row in rows if str(row[2]) not in gone]
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(kept))
    removed = 0
    for message in data.glob("*.msg"):
        # kombu names a message '<ms>_<uuid>.<queue>.msg'
        if message.name.split(".", 1)[-1].removesuffix(".msg") in gone:
            message.unlink(missing_ok=True)
            removed += 1
    return removed


def stale_event_queues(settings: Settings, *, older_than_s: float = STALE_AFTER_S) -> set[str]:
    """Bound event queues holding a message older than `older_than_s`: no one reads them."""
    bound = event_queues(settings)
    if not bound:
        return set()
    _, data = _folders(settings)
    cutoff = time.time() - older_than_s
    stale = set()
    for message in data.glob("*.msg"):
        queue = message.name.split(".", 1)[-1].removesuffix(".msg")
        if queue in bound and queue not in stale:
            try:
                if message.stat().st_mtime < cutoff:
                    stale.add(queue)
            except FileNotFoundError:  # read meanwhile: its consumer is alive
                continue
    return stale
