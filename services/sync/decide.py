"""The decide step: what each remote holds of ours (observations), the safety valve, the
reconcile decisions and the plan. Pure calls on values the write step hands in; no I/O here
beyond the rows already loaded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from db.models import CalendarBlock
from db.user_rows import UserRows
from integrations.google_calendar import ChangeSet, RemoteEvent
from integrations.notion import RemotePage
from sync.reconcile import (
    Decision,
    GoogleSeen,
    NotionSeen,
    RemoteEmpty,
    looks_emptied,
    reconcile,
)


def _seen_time(value: datetime | date | None, zone: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, datetime.min.time(), ZoneInfo(zone)).astimezone(UTC)


def google_observations(
    rows: UserRows, changes: ChangeSet, zone: str
) -> tuple[dict[str, GoogleSeen], dict[str, str], int, int]:
    """Our events as Google holds them, by task id. With a full listing, an event we had
    synced that is not listed at all was deleted during the gap. Returns (seen, the listed
    etags of our live events, synced, gone)."""
    seen: dict[str, GoogleSeen] = {}
    etags: dict[str, str] = {}
    listed: set[uuid.UUID] = set()
    for event in changes.events:
        block = _block_of(rows, event)
        if block is None or block.study_task_id is None:
            continue  # not ours: never touched
        listed.add(block.id)
        if event.etag and not event.cancelled:
            etags[str(block.study_task_id)] = event.etag
        seen[str(block.study_task_id)] = GoogleSeen(
            task_id=str(block.study_task_id),
            content_hash=event.content_hash if not event.cancelled else f"cancelled:{event.etag}",
            cancelled=event.cancelled,
            start=_seen_time(event.start, zone),
            end=_seen_time(event.end, zone),
            title=event.summary,
            edited_at=event.updated,
        )
    synced = [
        b
        for b in rows.blocks.values()
        if b.is_synced and not b.is_tombstoned and not b.pending_delete and b.study_task_id
    ]
    if changes.full_resync:
        for block in synced:
            if block.id not in listed:
                seen[str(block.study_task_id)] = GoogleSeen(
                    task_id=str(block.study_task_id), content_hash="gone", cancelled=True
                )
    gone = sum(
        1 for b in synced if str(b.study_task_id) in seen and seen[str(b.study_task_id)].cancelled
    )
    return seen, etags, len(synced), gone


def _block_of(rows: UserRows, event: RemoteEvent) -> CalendarBlock | None:
    block = rows.blocks_by_event.get(event.id)
    if block is not None:
        return block
    block_id = event.block_id
    if block_id is None:
        return None
    return next((b for b in rows.blocks.values() if b.id == block_id), None)


def notion_observations(
    rows: UserRows, pages: list[RemotePage]
) -> tuple[dict[str, NotionSeen], int, int]:
    seen: dict[str, NotionSeen] = {}
    known = {str(t) for t in rows.tasks}
    for page in pages:
        if page.task_id is None or page.task_id not in known:
            continue
        seen[page.task_id] = NotionSeen(
            task_id=page.task_id,
            content_hash=page.content_hash,
            edited_at=page.last_edited_time,
            status=page.status,
            in_trash=page.in_trash,
            start=page.scheduled_start,
            end=page.scheduled_end,
            title=page.title,
        )
    synced = sum(1 for p in rows.pages.values() if p.is_synced and not p.is_trashed)
    trashed = sum(1 for s in seen.values() if s.in_trash)
    return seen, synced, trashed


@dataclass(frozen=True)
class Observed:
    """What the remotes hold of ours, after the safety valve: a remote that tripped it is
    treated as unseen this time (nothing of it is applied) and named in `tripped`."""

    google: dict[str, GoogleSeen]
    notion: dict[str, NotionSeen]
    tripped: tuple[RemoteEmpty, ...]
    # The etag of each of our events as listed now, by task id. Once this sync has reconciled
    # what it saw, that version is the one our next write must name in If-Match: keeping the
    # etag of our own last write made every write after a student's edit a 412 (dropped).
    google_etags: dict[str, str] = field(default_factory=dict)

    def tripped_for(self, provider: str) -> bool:
        return any(t.provider == provider for t in self.tripped)


def observe(
    rows: UserRows,
    changes: ChangeSet | None,
    pages: list[RemotePage] | None,
    *,
    zone: str,
    accept_remote_empty: bool,
) -> Observed:
    google_seen: dict[str, GoogleSeen] = {}
    google_etags: dict[str, str] = {}
    notion_seen: dict[str, NotionSeen] = {}
    tripped: list[RemoteEmpty] = []
    if changes is not None:
        google_seen, google_etags, synced, gone = google_observations(rows, changes, zone)
        valve = looks_emptied("google", expected=synced, deleted=gone)
        if valve and not accept_remote_empty:
            tripped.append(valve)
            google_seen, google_etags = {}, {}
    if pages is not None:
        notion_seen, synced_pages, trashed = notion_observations(rows, pages)
        valve = looks_emptied("notion", expected=synced_pages, deleted=trashed)
        if valve and not accept_remote_empty:
            tripped.append(valve)
            notion_seen = {}
    return Observed(google_seen, notion_seen, tuple(tripped), google_etags)


def decide(rows: UserRows, observed: Observed, *, now: datetime) -> list[Decision]:
    return reconcile(rows.snapshots(), observed.google, observed.notion, now=now)
