"""Pushing tasks as pages and reading the user's edits back, through notion-client over HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from emulators.notion import EmulatedWorkspace, NotionEmulator
from integrations.notion import (
    InProcessRateLimiter,
    NotionClient,
    NotionStatus,
    RemotePage,
    advance_watermark,
    content_hash_of,
)
from tests.integration.notion.conftest import ClientFactory
from tests.integration.notion.helpers import as_dict, make_task, page_text, raw_client


def changed(pages: list[RemotePage], known: dict[str, str]) -> list[RemotePage]:
    """What a caller does with a pull: drop pages whose hash it already knows."""
    return [p for p in pages if known.get(p.page_id) != p.content_hash]


def test_cold_push_of_200_pages_under_the_rate_limit(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, make_client: ClientFactory
) -> None:
    # The emulator allows 100 req/s (burst 10); the limiter keeps us at 80/s (burst 5).
    client = make_client(limiter=InProcessRateLimiter(rate_per_s=80.0, burst=5))
    client.prepare_schema(workspace.data_source_id)
    emulator.admin.reset_counters()

    started = time.monotonic()
    results = [client.create_page(workspace.data_source_id, make_task(i)) for i in range(200)]
    elapsed = time.monotonic() - started

    assert len({r.page_id for r in results}) == 200
    assert emulator.admin.status_count(429) == 0
    assert emulator.admin.count("POST /v1/pages") == 200
    assert elapsed >= (200 - 5) / 80.0 * 0.95  # the limiter really paced the calls
    pages = emulator.admin.pages(data_source_id=workspace.data_source_id)
    assert sorted(page_text(p, "Task ID") for p in pages) == [f"task-{i:04d}" for i in range(200)]

    # Every page of results comes back (two queries of ≤ 100), each hash matches what we pushed.
    emulator.admin.reset_counters()
    remote = client.query_changed_since(workspace.data_source_id, None)
    assert emulator.admin.queries() == 2
    assert len(remote) == 200
    pushed = {r.page_id: r.content_hash for r in results}
    assert changed(remote, pushed) == []


def test_requery_with_nothing_changed_makes_no_writes_and_one_query(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, client: NotionClient
) -> None:
    emulator.admin.set_clock(datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC))
    results = [client.create_page(workspace.data_source_id, make_task(i)) for i in range(12)]
    known = {r.page_id: r.content_hash for r in results}
    watermark = max(r.last_edited_time for r in results)
    emulator.admin.advance_clock(600)
    emulator.admin.reset_counters()

    remote = client.query_changed_since(workspace.data_source_id, watermark)

    assert changed(remote, known) == []
    assert emulator.admin.writes() == 0
    assert emulator.admin.queries() == 1
    assert emulator.admin.total_requests() == 1


def test_user_edits_are_seen_by_query_changed_since(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, client: NotionClient
) -> None:
    admin = emulator.admin
    ds = workspace.data_source_id
    admin.set_clock(datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC))
    results = [client.create_page(ds, make_task(i)) for i in range(5)]
    known = {r.page_id: r.content_hash for r in results}
    first = client.query_changed_since(ds, None)
    assert changed(first, known) == []
    watermark = advance_watermark(None, first)
    assert watermark == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)  # rounded down by Notion

    admin.set_clock(datetime(2026, 3, 1, 10, 7, 30, tzinfo=UTC))
    p_status, p_date, p_name, p_trash, p_untouched = (r.page_id for r in results)
    admin.set_status(p_status, "Done")
    new_start = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)
    # The user's Notion shows local times; the API answers with offsets.
    admin.move_date(p_date, "2026-03-04T19:00:00+01:00", "2026-03-04T20:00:00+01:00")
    admin.rename(p_name, "Chapter 3 — properly this time")
    admin.trash(p_trash)

    remote = client.query_changed_since(ds, watermark)
    edits = {p.page_id: p for p in changed(remote, known)}

    assert set(edits) == {p_status, p_date, p_name, p_trash}
    assert edits[p_status].status is NotionStatus.DONE
    assert edits[p_date].scheduled_start == new_start
    assert edits[p_date].scheduled_end == new_start + timedelta(hours=1)
    assert edits[p_name].title == "Chapter 3 — properly this time"
    assert edits[p_trash].in_trash is True
    assert all(p.task_id is not None for p in edits.values())

    # Later, with nothing new: the old untouched page falls outside the window altogether.
    for page in remote:
        known[page.page_id] = page.content_hash
    watermark = advance_watermark(watermark, remote)
    assert watermark == datetime(2026, 3, 1, 10, 7, tzinfo=UTC)
    admin.set_clock(datetime(2026, 3, 1, 10, 30, tzinfo=UTC))
    later = client.query_changed_since(ds, watermark)
    assert changed(later, known) == []
    assert p_untouched not in {p.page_id for p in later}


def test_two_edits_within_one_minute_are_both_seen(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, client: NotionClient
) -> None:
    admin = emulator.admin
    ds = workspace.data_source_id
    admin.set_clock(datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC))
    result = client.create_page(ds, make_task(1))
    known = {result.page_id: result.content_hash}

    admin.set_clock(datetime(2026, 3, 1, 10, 10, 10, tzinfo=UTC))
    admin.set_status(result.page_id, "In progress")
    admin.advance_clock(10)
    first = changed(client.query_changed_since(ds, None), known)
    assert [p.status for p in first] == [NotionStatus.IN_PROGRESS]
    known[result.page_id] = first[0].content_hash
    watermark = advance_watermark(None, first)

    admin.advance_clock(30)  # 10:10:50 — same minute, so last_edited_time does not move
    admin.set_status(result.page_id, "Done")
    second = changed(client.query_changed_since(ds, watermark), known)

    assert [p.status for p in second] == [NotionStatus.DONE]
    assert second[0].last_edited_time == first[0].last_edited_time  # why the overlap is needed
    # A naive strictly-after-watermark query would have missed the second edit.
    assert watermark is not None
    naive = raw_client(emulator.base_url, workspace.token).data_sources.query(
        ds,
        filter={
            "timestamp": "last_edited_time",
            "last_edited_time": {"after": watermark.isoformat()},
        },
    )
    assert as_dict(naive)["results"] == []


def test_update_and_trash_round_trip_with_recognisable_hashes(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, client: NotionClient
) -> None:
    ds = workspace.data_source_id
    task = make_task(7)
    assert task.scheduled_start is not None and task.scheduled_end is not None
    created = client.create_page(ds, task)
    assert created.content_hash == content_hash_of(task)

    moved = make_task(
        7,
        scheduled_start=task.scheduled_start + timedelta(days=1),
        scheduled_end=task.scheduled_end + timedelta(days=1),
        status=NotionStatus.IN_PROGRESS,
    )
    updated = client.update_page(created.page_id, moved)
    assert updated.page_id == created.page_id
    assert updated.content_hash == content_hash_of(moved) != created.content_hash
    assert updated.properties["Status"] == {"status": {"name": "In progress"}}

    trashed = client.trash_page(created.page_id)
    assert trashed.content_hash == content_hash_of(moved, in_trash=True)
    remote = client.retrieve_page(created.page_id)
    assert remote.in_trash and remote.content_hash == trashed.content_hash
    # Our own writes coming back are recognised by hash, not mistaken for user edits.
    pulled = {p.page_id: p for p in client.query_changed_since(ds, None)}
    assert pulled[created.page_id].content_hash == trashed.content_hash
    assert client.find_page_by_task_id(ds, "task-0007") is None
    found = client.find_page_by_task_id(ds, "task-0007", include_trashed=True)
    assert found is not None and found.page_id == created.page_id


def test_long_description_and_too_many_topics_stay_within_limits(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, client: NotionClient
) -> None:
    description = "".join(chr(ord("a") + i % 26) for i in range(3000))
    topics = tuple(f"Topic {i}" for i in range(101))
    title = "T" * 2500

    result = client.create_page(
        workspace.data_source_id,
        make_task(1, description=description, topics=topics, title=title),
    )

    page = emulator.admin.pages()[0]
    assert page["id"] == result.page_id
    notes = page["properties"]["Notes"]["rich_text"]
    assert [len(part["plain_text"]) for part in notes] == [2000, 1000]
    assert page_text(page, "Notes") == description
    chosen = [o["name"] for o in page["properties"]["Topics"]["multi_select"]]
    assert chosen == [f"Topic {i}" for i in range(100)]
    assert page_text(page, "Name") == title
    assert client.retrieve_page(result.page_id).title == title
