"""Three-way reconcile: what we last agreed with each remote, what the remote holds now, and the
task as we store it → one decision per task. Pure: values in, values out, `now` a parameter.

A remote *changed* when its content hash differs from the hash we stored when we last pushed to
it or accepted its edit. Our own writes coming back carry that hash, so they are not edits.

Google (events of our study calendar):
- moved or resized → the task is pinned at the new time (the planner never moves it again) and
  Notion's Scheduled date follows;
- renamed → the new title is kept as the task title (Notion follows);
- deleted (cancelled) → the block is tombstoned, never recreated; the task is skipped and the
  planner places the remaining work again as a new block (see README, "Sync policy").
Notion (pages of the user's database, two-way sync on):
- Status: Done → completed, In progress → in_progress, Skipped → skipped, To do after Done or
  Skipped → reopened (scheduled); a completed task's future Google block is removed;
- Scheduled moved → pinned there, and the Google event moves;
- Name changed → kept as the task title; page trashed → skipped (and its Google block removed).
Both changed since the last sync → the later edit wins for time and title (Google's `updated`
against Notion's minute-rounded `last_edited_time`; a tie goes to Notion, whose status the user
set by hand), and a `conflict` decision records both versions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from planner.lifecycle import legal_targets
from planner.vocabulary import NotionStatus, TaskStatus

NOTION_TARGET: dict[str, TaskStatus] = {
    NotionStatus.IN_PROGRESS: TaskStatus.IN_PROGRESS,
    NotionStatus.DONE: TaskStatus.COMPLETED,
    NotionStatus.SKIPPED: TaskStatus.SKIPPED,
}
NOTION_OF_STATUS: dict[TaskStatus, NotionStatus] = {
    TaskStatus.PENDING: NotionStatus.TODO,
    TaskStatus.SCHEDULED: NotionStatus.TODO,
    TaskStatus.EXPIRED: NotionStatus.TODO,
    TaskStatus.IN_PROGRESS: NotionStatus.IN_PROGRESS,
    TaskStatus.COMPLETED: NotionStatus.DONE,
    TaskStatus.SKIPPED: NotionStatus.SKIPPED,
}


@dataclass(frozen=True, slots=True)
class TaskSnapshot:
    """A task as we store it, with the hashes we last agreed with each side."""

    task_id: str
    status: TaskStatus
    title: str
    start: datetime | None
    end: datetime | None
    pinned: bool = False
    google_hash: str | None = None  # None: nothing pushed to Google yet
    notion_hash: str | None = None
    google_tombstoned: bool = False
    notion_trashed: bool = False


@dataclass(frozen=True, slots=True)
class GoogleSeen:
    """Our event as Google holds it now."""

    task_id: str
    content_hash: str | None
    cancelled: bool = False
    start: datetime | None = None
    end: datetime | None = None
    title: str | None = None
    edited_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NotionSeen:
    """Our page as Notion holds it now."""

    task_id: str
    content_hash: str
    edited_at: datetime
    status: NotionStatus | None = None
    in_trash: bool = False
    start: datetime | None = None
    end: datetime | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Conflict:
    google: Mapping[str, Any]
    notion: Mapping[str, Any]
    winner: Literal["google", "notion"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do to one task. Empty fields mean 'nothing'."""

    task_id: str
    status_path: tuple[TaskStatus, ...] = ()  # legal steps to the new status, in order
    status_source: Literal["google", "notion"] | None = None
    pin_to: tuple[datetime, datetime] | None = None
    pin_source: Literal["google", "notion"] | None = None
    title: str | None = None
    title_source: Literal["google", "notion"] | None = None
    accept_google_hash: str | None = None  # the remote edit is now the agreed state
    accept_notion_hash: str | None = None
    tombstone_google: bool = False  # the user deleted the event: never recreate it
    notion_trashed: bool = False
    remove_google_block: bool = False  # delete our event (task done / page trashed)
    push_google: bool = False  # our content changed because of the other side
    push_notion: bool = False
    conflict: Conflict | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def is_noop(self) -> bool:
        return self == Decision(self.task_id)


def status_path(current: TaskStatus, target: TaskStatus) -> tuple[TaskStatus, ...]:
    """The shortest chain of legal lifecycle steps from `current` to `target` (() if equal or
    unreachable). E.g. expired → completed goes through scheduled."""
    if current is target:
        return ()
    queue: deque[tuple[TaskStatus, tuple[TaskStatus, ...]]] = deque([(current, ())])
    seen = {current}
    while queue:
        status, path = queue.popleft()
        for nxt in legal_targets(status):
            if nxt in seen:
                continue
            if nxt is target:
                return (*path, nxt)
            seen.add(nxt)
            queue.append((nxt, (*path, nxt)))
    return ()


def notion_target(task: TaskSnapshot, seen: NotionSeen) -> TaskStatus | None:
    if seen.status is None:
        return None
    if seen.status == "todo":
        reopened = task.status in (TaskStatus.COMPLETED, TaskStatus.SKIPPED, TaskStatus.IN_PROGRESS)
        return TaskStatus.SCHEDULED if reopened else None
    return NOTION_TARGET[seen.status]


def _span(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime] | None:
    return (start, end) if start is not None and end is not None and end > start else None


def reconcile_task(
    task: TaskSnapshot, google: GoogleSeen | None, notion: NotionSeen | None, *, now: datetime
) -> Decision:
    g_changed = (
        google is not None
        and task.google_hash is not None
        and not task.google_tombstoned
        and google.content_hash != task.google_hash
    )
    n_changed = (
        notion is not None
        and task.notion_hash is not None
        and not task.notion_trashed
        and notion.content_hash != task.notion_hash
    )
    if not g_changed and not n_changed:
        return Decision(task.task_id)
    current = (task.start, task.end)
    g_span = (
        _span(google.start, google.end) if g_changed and google and not google.cancelled else None
    )
    n_span = (
        _span(notion.start, notion.end) if n_changed and notion and not notion.in_trash else None
    )
    g_moved = g_span is not None and g_span != current
    n_moved = n_span is not None and n_span != current
    g_title = (
        google.title
        if g_changed and google and google.title and google.title != task.title
        else None
    )
    n_title = (
        notion.title
        if n_changed and notion and notion.title and notion.title != task.title
        else None
    )

    conflict = None
    google_wins = True
    if g_changed and n_changed and google is not None and notion is not None:
        google_wins = google.edited_at is not None and google.edited_at > notion.edited_at
        conflict = Conflict(
            google=_describe_google(google),
            notion=_describe_notion(notion),
            winner="google" if google_wins else "notion",
        )

    decision: dict[str, Any] = {"task_id": task.task_id, "conflict": conflict}
    if g_changed and google is not None:
        decision["accept_google_hash"] = google.content_hash
    if n_changed and notion is not None:
        decision["accept_notion_hash"] = notion.content_hash

    # Time: the winner's move, else whichever side moved.
    pin: tuple[tuple[datetime, datetime], Literal["google", "notion"]] | None = None
    if g_moved and n_moved:
        pin = (g_span, "google") if google_wins else (n_span, "notion")  # type: ignore[assignment]
    elif g_moved:
        pin = (g_span, "google")  # type: ignore[assignment]
    elif n_moved:
        pin = (n_span, "notion")  # type: ignore[assignment]
    if pin is not None:
        decision["pin_to"], decision["pin_source"] = pin
        if pin[1] == "google":
            decision["push_notion"] = True
        else:
            decision["push_google"] = True

    title: tuple[str, Literal["google", "notion"]] | None = None
    if g_title and n_title:
        title = (g_title, "google") if google_wins else (n_title, "notion")
    elif g_title:
        title = (g_title, "google")
    elif n_title:
        title = (n_title, "notion")
    if title is not None:
        decision["title"], decision["title_source"] = title
        decision["push_notion" if title[1] == "google" else "push_google"] = True

    # Status: Google can only delete; Notion sets the status or trashes the page.
    target: TaskStatus | None = None
    source: Literal["google", "notion"] | None = None
    g_deleted = bool(g_changed and google is not None and google.cancelled)
    n_target = notion_target(task, notion) if n_changed and notion is not None else None
    n_trashed = bool(n_changed and notion is not None and notion.in_trash)
    if g_deleted:
        decision["tombstone_google"] = True
    if n_trashed:
        decision["notion_trashed"] = True
        decision["remove_google_block"] = not g_deleted
    candidates: list[tuple[TaskStatus, Literal["google", "notion"]]] = []
    if g_deleted:
        candidates.append((TaskStatus.SKIPPED, "google"))
    if n_trashed:
        candidates.append((TaskStatus.SKIPPED, "notion"))
    elif n_target is not None:
        candidates.append((n_target, "notion"))
    if (
        not candidates
        and pin is not None
        and task.status in (TaskStatus.SKIPPED, TaskStatus.EXPIRED)
    ):
        # The student put a dropped or missed block at a time of their choosing: they mean it.
        candidates.append((TaskStatus.SCHEDULED, pin[1]))
    if candidates:
        if len(candidates) > 1 and candidates[0][0] != candidates[1][0]:
            target, source = candidates[0] if google_wins else candidates[1]
        else:
            target, source = candidates[-1]
    if target is not None and source is not None:
        path = status_path(task.status, target)
        if path:
            decision["status_path"] = path
            decision["status_source"] = source
            if source == "google":
                decision["push_notion"] = True  # Notion shows Skipped
        if target is TaskStatus.COMPLETED and not g_deleted:
            end = (decision.get("pin_to") or current)[1]
            if end is not None and end > now:
                decision["remove_google_block"] = True  # done early: free the time
    return Decision(**decision)


def reconcile(
    tasks: Sequence[TaskSnapshot],
    google: Mapping[str, GoogleSeen],
    notion: Mapping[str, NotionSeen],
    *,
    now: datetime,
) -> list[Decision]:
    """One decision per task that needs one, in task order."""
    decisions = []
    for task in tasks:
        decision = reconcile_task(task, google.get(task.task_id), notion.get(task.task_id), now=now)
        if not decision.is_noop:
            decisions.append(decision)
    return decisions


def _describe_google(seen: GoogleSeen) -> dict[str, Any]:
    return {
        "cancelled": seen.cancelled,
        "start": seen.start.isoformat() if seen.start else None,
        "end": seen.end.isoformat() if seen.end else None,
        "title": seen.title,
        "edited_at": seen.edited_at.isoformat() if seen.edited_at else None,
    }


def _describe_notion(seen: NotionSeen) -> dict[str, Any]:
    return {
        "status": seen.status,
        "in_trash": seen.in_trash,
        "start": seen.start.isoformat() if seen.start else None,
        "end": seen.end.isoformat() if seen.end else None,
        "title": seen.title,
        "edited_at": seen.edited_at.isoformat(),
    }


# --- the safety valve -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RemoteEmpty:
    provider: Literal["google", "notion"]
    expected: int
    seen: int

    def __str__(self) -> str:
        return (
            f"{self.provider} suddenly lists {self.seen} of our {self.expected} items: refusing "
            "to treat them all as deleted (an admin can accept it with "
            "'studyplanner sync --user … --accept-remote-empty')"
        )


def looks_emptied(
    provider: Literal["google", "notion"], *, expected: int, deleted: int, minimum: int = 5
) -> RemoteEmpty | None:
    """A remote that suddenly drops (almost) everything of ours is an outage, an unshared
    database or a wrong account — not a student deleting their whole plan. Trip when at least
    `minimum` items were synced and 90 % or more of them vanish in one sync."""
    if expected >= minimum and deleted >= 0.9 * expected:
        return RemoteEmpty(provider, expected, expected - deleted)
    return None
