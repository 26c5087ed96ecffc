"""Edit-to-reflection latency (`python -m bench.realtime --latency`): a student's edit in one
tool until the other tool shows it, read from the emulator's state, never from our database.

- google_move: the student drags a study block to the next day in Google Calendar (the
  emulator's admin acting as the user) → the task's Notion page shows the new Scheduled start;
- notion_done: the student ticks a task Done in Notion → its (future) block is gone from
  Google Calendar.

Three conditions in one run, on one stack (stack.py): push with Notion's delivery delay 0,
push with the emulator's default delay, and polling (push off; the poll interval shortened
to 1 minute and beat's dispatch to 4 s — everything 15× faster than production — so the
figures are reported both as measured and scaled back ×15). Edits go round-robin over the
students, one every `gap_s`, never two in flight for one student, and a random pause
after each (up to 10 s with push, one poll interval with polling) so edits fall at every
phase of the polling cycle.
"""

from __future__ import annotations

import math
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bench.realtime.stack import Stack, Student
from db.models import CalendarBlock, NotionTask, StudyTask
from db.session import session_scope
from planner.lifecycle import TaskStatus

SCHEDULED = "Scheduled"
KINDS = ("google_move", "notion_done")


@dataclass
class Edit:
    kind: str
    student: Student
    task_id: uuid.UUID
    event_id: str
    page_id: str
    new_start: datetime | None
    moved_before: bool = False  # the student had moved this block earlier (it is pinned)
    made_at: float = 0.0
    reflected_at: float | None = None

    @property
    def latency_s(self) -> float | None:
        return None if self.reflected_at is None else self.reflected_at - self.made_at


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Observer:
    """One thread looking at both emulators every `every_s` for the edits in flight."""

    def __init__(
        self,
        stack: Stack,
        timeout_s: float,
        pause_s: float,
        rng: random.Random,
        every_s: float = 0.1,
    ) -> None:
        self.stack = stack
        self.timeout_s = timeout_s  # an edit not shown by then is not reflected
        # A student waits a random pause in [0, pause_s) after an edit is shown before the
        # next one: edited again at once, every edit would land just after a poll.
        self.pause_s = pause_s
        self.rng = rng
        self.every_s = every_s
        self.pending: list[Edit] = []
        self.free_at: dict[uuid.UUID, float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="observer", daemon=True)
        self.thread.start()

    def watch(self, edit: Edit) -> None:
        with self.lock:
            self.pending.append(edit)

    def busy(self, student: Student) -> bool:
        with self.lock:
            if any(e.student is student for e in self.pending):
                return True
            return time.monotonic() < self.free_at.get(student.user_id, 0.0)

    def wait_all(self) -> None:
        while True:
            with self.lock:
                if not self.pending:
                    return
            time.sleep(0.2)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)

    def _run(self) -> None:
        while not self.stopped.is_set():
            with self.lock:
                edits = list(self.pending)
            for edit in edits:
                shown = self._shows(edit)
                now = time.monotonic()
                if shown:
                    edit.reflected_at = now
                if shown or now - edit.made_at > self.timeout_s:
                    with self.lock:
                        self.pending.remove(edit)
                        pause = self.rng.uniform(0.0, self.pause_s)
                        self.free_at[edit.student.user_id] = now + pause
            self.stopped.wait(self.every_s)

    def _shows(self, edit: Edit) -> bool:
        if edit.kind == "google_move":
            page = self.stack.notion.admin.page(edit.page_id)
            date = (page["properties"].get(SCHEDULED) or {}).get("date") or {}
            return _instant(date.get("start")) == edit.new_start
        event = self.stack.google.admin.get_event(edit.student.calendar_id, edit.event_id)
        return event is None or event.get("status") == "cancelled"


class Editor:
    """The students, editing tasks that are synced and ahead (each task is ticked Done at
    most once; a block may be moved again)."""

    def __init__(self, stack: Stack, rng: random.Random) -> None:
        self.stack = stack
        self.rng = rng
        self.done: set[uuid.UUID] = set()

    def candidates(self, student: Student, kind: str) -> list[tuple[Any, Any, Any]]:
        soon = datetime.now(UTC) + timedelta(hours=2)
        with session_scope(self.stack.engine) as session:
            rows = session.execute(
                select(StudyTask, CalendarBlock, NotionTask)
                .join(CalendarBlock, CalendarBlock.study_task_id == StudyTask.id)
                .join(NotionTask, NotionTask.study_task_id == StudyTask.id)
                .where(
                    StudyTask.user_id == student.user_id,
                    StudyTask.status == TaskStatus.SCHEDULED,
                    StudyTask.scheduled_start > soon,
                    CalendarBlock.is_synced.is_(True),
                    CalendarBlock.is_dirty.is_(False),
                    CalendarBlock.is_tombstoned.is_(False),
                    CalendarBlock.google_event_id.is_not(None),
                    NotionTask.is_synced.is_(True),
                    NotionTask.is_dirty.is_(False),
                    NotionTask.notion_page_id.is_not(None),
                )
                .order_by(StudyTask.scheduled_start)
            ).all()
            session.expunge_all()
        return [r for r in rows if r[0].id not in self.done]

    def make(self, student: Student, kind: str) -> Edit | None:
        rows = self.candidates(student, kind)
        if not rows:
            return None
        task, block, page = self.rng.choice(rows)
        event = self.stack.google.admin.get_event(student.calendar_id, block.google_event_id)
        if event is None or event.get("status") == "cancelled":
            return None
        edit = Edit(
            kind,
            student,
            task.id,
            block.google_event_id,
            page.notion_page_id,
            None,
            moved_before=bool(task.is_pinned),
        )
        if kind == "google_move":
            start = _instant(event["start"]["dateTime"])
            end = _instant(event["end"]["dateTime"])
            assert start is not None and end is not None
            edit.new_start = start + timedelta(days=1)
            edit.made_at = time.monotonic()
            self.stack.google.admin.move_event(
                student.calendar_id, edit.event_id, edit.new_start, end + timedelta(days=1)
            )
        else:
            self.done.add(task.id)
            edit.made_at = time.monotonic()
            self.stack.notion.admin.set_status(edit.page_id, "Done")
        return edit


def run_edits(
    stack: Stack,
    edits_per_kind: int,
    gap_s: float,
    timeout_s: float,
    seed: int,
    pause_s: float,
) -> list[Edit]:
    """`edits_per_kind` of each kind, alternating, one every `gap_s` seconds, each on the
    next student with nothing in flight; an edit not shown after `timeout_s` is counted as
    not reflected (and its student may be edited again)."""
    editor = Editor(stack, random.Random(seed))
    observer = Observer(stack, timeout_s, pause_s, random.Random(seed + 1))
    made: list[Edit] = []
    wanted = [KINDS[i % 2] for i in range(2 * edits_per_kind)]
    turn = 0
    try:
        next_at = time.monotonic()
        while wanted:
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            next_at += gap_s
            for offset in range(len(stack.students)):
                student = stack.students[(turn + offset) % len(stack.students)]
                if observer.busy(student):
                    continue
                edit = editor.make(student, wanted[0])
                if edit is None:
                    continue
                turn += offset + 1
                wanted.pop(0)
                observer.watch(edit)
                made.append(edit)
                break
            else:
                if made and time.monotonic() - made[-1].made_at > 2 * timeout_s:
                    raise RuntimeError("no student has had a task to edit for a while")
        observer.wait_all()
    finally:
        observer.close()
    return made


def quantile(values: list[float], q: int) -> float:
    """The inclusive q-th percentile of sorted `values`, by nearest rank (defined with
    infinite values, where interpolation is not)."""
    rank = max(1, math.ceil(q / 100 * len(values)))
    return values[rank - 1]


def summarize(edits: list[Edit], kind: str) -> dict[str, Any]:
    """Quantiles over every edit made: one never reflected (within the wait) counts as
    infinitely late, so a p95 that lands on one is reported as None ("not reflected")."""
    mine = [e for e in edits if e.kind == kind]
    every = sorted(math.inf if e.latency_s is None else e.latency_s for e in mine)

    def finite(value: float) -> float | None:
        return None if math.isinf(value) else round(value, 2)

    after_move = [e for e in mine if e.moved_before]
    return {
        "edits": len(mine),
        "reflected": sum(1 for v in every if not math.isinf(v)),
        "on_moved_blocks": len(after_move),
        "on_moved_blocks_reflected": sum(1 for e in after_move if e.latency_s is not None),
        "p50_s": finite(quantile(every, 50)) if every else None,
        "p95_s": finite(quantile(every, 95)) if every else None,
        "max_s": finite(every[-1]) if every else None,
    }
