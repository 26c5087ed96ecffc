"""The emulator's Notion semantics, checked with the raw notion-client (and raw HTTP)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

import pytest
from notion_client import Client
from notion_client.errors import APIResponseError, HTTPResponseError

from emulators.notion import EmulatedWorkspace, NotionEmulator, start_notion_emulator
from tests.integration.notion.helpers import as_dict, raw_client


def text(content: str) -> dict[str, Any]:
    return {"rich_text": [{"text": {"content": content}}]}


def create(api: Client, ds: str, name: str, **props: Any) -> dict[str, Any]:
    properties = {"Name": {"title": [{"text": {"content": name}}]}, **props}
    return as_dict(
        api.pages.create(
            parent={"type": "data_source_id", "data_source_id": ds}, properties=properties
        )
    )


@pytest.fixture
def api(emulator: NotionEmulator, workspace: EmulatedWorkspace) -> Client:
    # The raw client has no limiter of ours: lift the emulator's rate limit for these tests.
    emulator.admin.update_settings(rate_per_s=10_000.0, burst=10_000.0)
    return raw_client(emulator.base_url, workspace.token)


def test_page_shape_and_minute_rounding(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, api: Client
) -> None:
    from datetime import UTC, datetime

    emulator.admin.set_clock(datetime(2026, 5, 1, 12, 34, 56, 789000, tzinfo=UTC))
    page = create(
        api,
        workspace.data_source_id,
        "A",
        Scheduled={
            "date": {
                "start": "2026-05-02T09:00:00",
                "end": "2026-05-02T10:00:00",
                "time_zone": "Europe/Paris",
            }
        },
    )
    assert page["object"] == "page"
    assert page["last_edited_time"] == "2026-05-01T12:34:00.000Z"
    assert page["parent"] == {
        "type": "data_source_id",
        "data_source_id": workspace.data_source_id,
        "database_id": workspace.database_id,
    }
    assert page["in_trash"] is False
    # The time zone is applied and dropped: the API answers with an offset and time_zone null.
    assert page["properties"]["Scheduled"]["date"] == {
        "start": "2026-05-02T07:00:00.000+00:00",
        "end": "2026-05-02T08:00:00.000+00:00",
        "time_zone": None,
    }
    assert page["properties"]["Status"]["status"]["name"] == "To do"  # the default option
    state = emulator.admin.state()
    assert state["pages"][0]["exact_last_edited_time"] == "2026-05-01T12:34:56.789Z"


def test_filters_sorts_and_cursors(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, api: Client
) -> None:
    ds = workspace.data_source_id
    for i in range(7):
        create(
            api,
            ds,
            f"P{i}",
            **{
                "Task ID": text(f"t{i}"),
                "Course": {"select": {"name": "BIO" if i % 2 else "CHEM"}},
            },
        )
    by_task = as_dict(
        api.data_sources.query(ds, filter={"property": "Task ID", "rich_text": {"equals": "t3"}})
    )
    assert [
        r["properties"]["Task ID"]["rich_text"][0]["plain_text"] for r in by_task["results"]
    ] == ["t3"]

    compound = as_dict(
        api.data_sources.query(
            ds,
            filter={
                "or": [
                    {"property": "Course", "select": {"equals": "BIO"}},
                    {
                        "and": [
                            {"property": "Task ID", "rich_text": {"equals": "t0"}},
                            {
                                "timestamp": "last_edited_time",
                                "last_edited_time": {"on_or_after": "2000-01-01"},
                            },
                        ]
                    },
                ]
            },
            sorts=[{"property": "Name", "direction": "descending"}],
        )
    )
    names = [r["properties"]["Name"]["title"][0]["plain_text"] for r in compound["results"]]
    assert names == ["P5", "P3", "P1", "P0"]

    seen: list[str] = []
    cursor: str | None = None
    calls = 0
    while True:
        response = as_dict(api.data_sources.query(ds, page_size=3, start_cursor=cursor))
        calls += 1
        seen += [r["id"] for r in response["results"]]
        cursor = response["next_cursor"]
        if not response["has_more"]:
            assert cursor is None
            break
    assert calls == 3 and len(seen) == len(set(seen)) == 7

    with pytest.raises(APIResponseError) as caught:
        api.data_sources.query(ds, filter={"property": "Nope", "rich_text": {"equals": "x"}})
    assert caught.value.status == 400


def test_trashed_pages_are_hidden_from_queries_unless_asked(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, api: Client
) -> None:
    ds = workspace.data_source_id
    page = create(api, ds, "gone")
    create(api, ds, "kept")
    api.pages.update(page["id"], in_trash=True)
    assert len(as_dict(api.data_sources.query(ds))["results"]) == 1
    assert len(as_dict(api.data_sources.query(ds, in_trash=True))["results"]) == 2
    assert as_dict(api.pages.retrieve(page["id"]))["in_trash"] is True


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({"Notes": text("x" * 2001)}, "2000"),
        ({"Topics": {"multi_select": [{"name": f"t{i}"} for i in range(101)]}}, "100"),
        ({"Colour": text("red")}, "Colour is not a property that exists"),
        ({"Status": {"status": {"name": "Blocked"}}}, "Blocked"),
        ({"Minutes": {"rich_text": []}}, "Minutes is expected to be number"),
    ],
)
def test_validation_errors(
    workspace: EmulatedWorkspace, api: Client, props: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(APIResponseError) as caught:
        create(api, workspace.data_source_id, "bad", **props)
    assert caught.value.status == 400
    assert caught.value.code == "validation_error"
    assert fragment in str(caught.value)


def test_unknown_select_option_is_refused_when_auto_create_is_off(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, api: Client
) -> None:
    create(api, workspace.data_source_id, "ok", Course={"select": {"name": "NEW 1"}})
    emulator.admin.update_settings(auto_create_select_options=False)
    with pytest.raises(APIResponseError) as caught:
        create(api, workspace.data_source_id, "bad", Course={"select": {"name": "NEW 2"}})
    assert caught.value.code == "validation_error"
    create(api, workspace.data_source_id, "ok again", Course={"select": {"name": "NEW 1"}})


def test_data_source_update_cannot_touch_status(workspace: EmulatedWorkspace, api: Client) -> None:
    with pytest.raises(APIResponseError) as caught:
        api.data_sources.update(
            workspace.data_source_id,
            properties={"Status": {"status": {"options": [{"name": "Blocked"}]}}},
        )
    assert caught.value.status == 400
    updated = as_dict(
        api.data_sources.update(
            workspace.data_source_id,
            properties={"Room": {"select": {"options": [{"name": "A1"}]}}, "Notes": None},
        )
    )
    assert updated["properties"]["Room"]["type"] == "select"
    assert "Notes" not in updated["properties"]


def test_bad_token_unknown_object_and_bad_url(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, api: Client
) -> None:
    with pytest.raises(APIResponseError) as caught:
        raw_client(emulator.base_url, "secret_not_a_token").pages.retrieve(workspace.data_source_id)
    assert (caught.value.status, caught.value.code.value) == (401, "unauthorized")
    with pytest.raises(APIResponseError) as missing:
        api.pages.retrieve("0" * 32)
    assert (missing.value.status, missing.value.code.value) == (404, "object_not_found")


def test_seeded_error_rate_and_latency(workspace: EmulatedWorkspace) -> None:
    def failures(seed: int) -> list[int]:
        emu = start_notion_emulator(
            rate_per_s=1000.0,
            burst=1000.0,
            error_rate=0.3,
            seed=seed,
            error_statuses=(500, 529),
            latency_s=0.002,
        )
        try:
            ws = emu.admin.create_workspace()
            api = raw_client(emu.base_url, ws.token)
            out: list[int] = []
            for _ in range(30):
                try:
                    api.databases.retrieve(ws.database_id)
                    out.append(200)
                except HTTPResponseError as err:
                    out.append(err.status)
            return out
        finally:
            emu.stop()

    first, again = failures(7), failures(7)
    assert first == again  # reproducible for a seed
    assert {200, 500, 529} <= set(first)


def test_next_n_faults_match_method_and_path(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, api: Client
) -> None:
    page = create(api, workspace.data_source_id, "x")
    emulator.admin.inject(409, count=1, method="PATCH", path=r"^/v1/pages/")
    api.pages.retrieve(page["id"])  # a GET is not matched
    with pytest.raises(APIResponseError) as caught:
        api.pages.update(page["id"], in_trash=True)
    assert (caught.value.status, caught.value.code.value) == (409, "conflict_error")
    api.pages.update(page["id"], in_trash=True)  # only one was injected
    counters = emulator.admin.counters()
    assert counters["statuses"]["PATCH /v1/pages/{id} 409"] == 1
    assert counters["statuses"]["PATCH /v1/pages/{id} 200"] == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_standalone_server_serves_api_and_admin() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulators.notion", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/_admin/state", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        from emulators.notion import NotionAdmin

        admin = NotionAdmin(base)
        ws = admin.create_workspace()
        database = as_dict(raw_client(base, ws.token).databases.retrieve(ws.database_id))
        assert [d["id"] for d in database["data_sources"]] == list(ws.data_source_ids)
        state = json.loads(urllib.request.urlopen(f"{base}/_admin/state", timeout=5).read())
        assert len(state["databases"]) == 1
        assert ws.token not in json.dumps(state)  # the dump never shows a whole token
    finally:
        proc.terminate()
        proc.wait(timeout=5)
