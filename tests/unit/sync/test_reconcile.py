"""The reconciler on plain values: every rule of the sync policy, and properties over random
edits (our own writes are never edits; decisions only use legal lifecycle steps)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from planner.lifecycle import TaskStatus, legal_targets
from sync.reconcile import (
    GoogleSeen,
    NotionSeen,
    TaskSnapshot,
    looks_emptied,
    reconcile,
    reconcile_task,
    status_path,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
START = NOW + timedelta(days=1)
END = START + timedelta(minutes=50)
TASK = TaskSnapshot(
    task_id="t1",
    status=TaskStatus.SCHEDULED,
    title="Limits: problem set",
    start=START,
    end=END,
    google_hash="g0",
    notion_hash="n0",
)


def google(**kw: object) -> GoogleSeen:
    values: dict[str, object] = {
        "task_id": "t1", "content_hash": "g0", "start": START, "end": END,
        "title": TASK.title, "edited_at": NOW,
    }  # fmt: skip
    values.update(kw)
    return GoogleSeen(**values)  # type: ignore[arg-type]


def notion(**kw: object) -> NotionSeen:
    values: dict[str, object] = {
        "task_id": "t1", "content_hash": "n0", "edited_at": NOW, "status": "todo",
        "start": START, "end": END, "title": TASK.title,
    }  # fmt: skip
    values.update(kw)
    return NotionSeen(**values)  # type: ignore[arg-type]


def test_our_own_writes_coming_back_are_not_edits() -> None:
    assert reconcile_task(TASK, google(), notion(), now=NOW).is_noop
    assert reconcile([TASK], {"t1": google()}, {"t1": notion()}, now=NOW) == []


def test_user_moves_block_in_google_pins_it_and_notion_follows() -> None:
    moved = (START + timedelta(hours=3), END + timedelta(hours=3))
    d = reconcile_task(TASK, google(content_hash="g1", start=moved[0], end=moved[1]), None, now=NOW)
    assert (d.pin_to, d.pin_source, d.push_notion, d.push_google) == (moved, "google", True, False)
    assert d.accept_google_hash == "g1" and d.status_path == ()


def test_user_deletes_block_in_google_tombstones_and_skips() -> None:
    d = reconcile_task(TASK, google(content_hash="gx", cancelled=True), None, now=NOW)
    assert d.tombstone_google and d.status_path == (TaskStatus.SKIPPED,)
    assert d.status_source == "google" and d.push_notion


def test_rename_in_google_is_kept_as_title() -> None:
    d = reconcile_task(TASK, google(content_hash="g1", title="Limits, my way"), None, now=NOW)
    assert (d.title, d.title_source, d.push_notion, d.pin_to) == (
        "Limits, my way", "google", True, None,
    )  # fmt: skip


def test_done_in_notion_completes_and_frees_the_future_block() -> None:
    d = reconcile_task(TASK, None, notion(content_hash="n1", status="done"), now=NOW)
    assert d.status_path == (TaskStatus.COMPLETED,) and d.status_source == "notion"
    assert d.remove_google_block and d.accept_notion_hash == "n1"


def test_todo_after_done_reopens() -> None:
    done = replace(TASK, status=TaskStatus.COMPLETED)
    d = reconcile_task(done, None, notion(content_hash="n1", status="todo"), now=NOW)
    assert d.status_path == (TaskStatus.SCHEDULED,)


def test_date_moved_in_notion_pins_and_moves_google() -> None:
    later = (START + timedelta(days=1), END + timedelta(days=1))
    d = reconcile_task(TASK, None, notion(content_hash="n1", start=later[0], end=later[1]), now=NOW)
    assert (d.pin_to, d.pin_source, d.push_google) == (later, "notion", True)


def test_trashed_page_skips_and_removes_block() -> None:
    d = reconcile_task(TASK, None, notion(content_hash="n1", in_trash=True), now=NOW)
    assert d.notion_trashed and d.remove_google_block
    assert d.status_path == (TaskStatus.SKIPPED,)


def test_both_sides_moved_later_edit_wins_and_conflict_is_recorded() -> None:
    g_time = (START + timedelta(hours=1), END + timedelta(hours=1))
    n_time = (START + timedelta(hours=2), END + timedelta(hours=2))
    g = google(
        content_hash="g1", start=g_time[0], end=g_time[1], edited_at=NOW + timedelta(minutes=5)
    )
    n = notion(
        content_hash="n1", start=n_time[0], end=n_time[1], edited_at=NOW + timedelta(minutes=2)
    )
    d = reconcile_task(TASK, g, n, now=NOW)
    assert d.conflict is not None and d.conflict.winner == "google"
    assert d.pin_to == g_time and d.push_notion
    assert d.conflict.notion["start"] == n_time[0].isoformat()
    n_later = notion(
        content_hash="n1", start=n_time[0], end=n_time[1], edited_at=NOW + timedelta(minutes=9)
    )
    d2 = reconcile_task(TASK, g, n_later, now=NOW)
    assert d2.conflict is not None and d2.conflict.winner == "notion" and d2.pin_to == n_time


def test_status_paths_use_legal_steps_only() -> None:
    assert status_path(TaskStatus.EXPIRED, TaskStatus.COMPLETED) == (
        TaskStatus.SCHEDULED, TaskStatus.COMPLETED,
    )  # fmt: skip
    assert status_path(TaskStatus.SCHEDULED, TaskStatus.SCHEDULED) == ()


@given(st.sampled_from(list(TaskStatus)), st.sampled_from(list(TaskStatus)))
def test_every_status_path_is_a_chain_of_legal_steps(start: TaskStatus, target: TaskStatus) -> None:
    path = status_path(start, target)
    current = start
    for step in path:
        assert step in legal_targets(current)
        current = step
    if path:
        assert current is target


statuses = st.sampled_from(["todo", "in_progress", "done", "skipped"])
times = st.integers(-48, 96).map(lambda h: NOW + timedelta(hours=h))


@given(
    st.sampled_from(list(TaskStatus)),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    statuses,
    times,
    st.booleans(),
)
def test_decisions_are_consistent(
    status: TaskStatus,
    g_edit: bool,
    g_cancel: bool,
    n_edit: bool,
    n_status: str,
    new_start: datetime,
    n_trash: bool,
) -> None:
    task = TaskSnapshot("t1", status, "T", START, END, google_hash="g0", notion_hash="n0")
    g = google(content_hash="g1" if g_edit else "g0", cancelled=g_cancel and g_edit,
               start=new_start, end=new_start + timedelta(minutes=50))  # fmt: skip
    n = notion(content_hash="n1" if n_edit else "n0", status=n_status, in_trash=n_trash and n_edit)
    d = reconcile_task(task, g, n, now=NOW)
    if not g_edit and not n_edit:
        assert d.is_noop
    current = status
    for step in d.status_path:
        assert step in legal_targets(current)
        current = step
    assert (d.accept_google_hash is not None) == g_edit
    assert (d.accept_notion_hash is not None) == n_edit
    if d.tombstone_google:
        assert g_edit and g_cancel
    if d.pin_to is not None:
        assert d.pin_to[1] > d.pin_to[0]


def test_safety_valve() -> None:
    assert looks_emptied("google", expected=40, deleted=40) is not None
    assert looks_emptied("google", expected=40, deleted=3) is None
    assert looks_emptied("notion", expected=2, deleted=2) is None  # too few to judge
    assert "accept-remote-empty" in str(looks_emptied("notion", expected=10, deleted=10))
