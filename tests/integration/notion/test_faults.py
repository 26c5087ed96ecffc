"""Failures Notion produces, mapped onto the project's errors; no duplicate pages, no leaks."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import pytest

from emulators.notion import EmulatedWorkspace, NotionEmulator
from integrations.errors import NeedsReauthError, NotFoundError, PermanentError, TransientError
from integrations.notion import NotionClient, call_with_retries
from tests.integration.notion.conftest import ClientFactory
from tests.integration.notion.helpers import make_task, page_text, raw_client


def task_pages(emulator: NotionEmulator, task_id: str) -> list[dict[str, object]]:
    return [p for p in emulator.admin.pages() if page_text(p, "Task ID") == task_id]


@pytest.mark.parametrize("mode", ["timeout", "drop"])
def test_create_that_succeeded_without_a_response_is_adopted_not_duplicated(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, make_client: ClientFactory, mode: str
) -> None:
    client = make_client(timeout_s=0.4)
    client.prepare_schema(workspace.data_source_id)
    emulator.admin.lose_next_create(mode=mode, hold_s=1.0)
    emulator.admin.reset_counters()

    result = client.create_page(workspace.data_source_id, make_task(1))

    assert result.adopted is True
    pages = task_pages(emulator, "task-0001")
    assert [p["id"] for p in pages] == [result.page_id]
    assert emulator.admin.count("POST /v1/pages") == 1
    assert emulator.admin.queries() == 1


def test_create_refused_with_502_is_created_once_after_lookup(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, client: NotionClient
) -> None:
    emulator.admin.inject(502, method="POST", path="^/v1/pages$")
    result = client.create_page(workspace.data_source_id, make_task(2))
    assert result.adopted is False
    assert [p["id"] for p in task_pages(emulator, "task-0002")] == [result.page_id]
    assert emulator.admin.count("POST /v1/pages") == 2


def test_check_existing_adopts_a_page_from_an_earlier_killed_attempt(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, client: NotionClient
) -> None:
    first = client.create_page(workspace.data_source_id, make_task(3))
    again = client.create_page(workspace.data_source_id, make_task(3), check_existing=True)
    assert again.adopted and again.page_id == first.page_id
    assert len(task_pages(emulator, "task-0003")) == 1


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (529, "service_overload"),
        (502, "http_502"),
        (409, "conflict_error"),
        (500, "internal_server_error"),
    ],
)
def test_patch_failures_are_transient_and_a_retry_succeeds(
    emulator: NotionEmulator,
    workspace: EmulatedWorkspace,
    client: NotionClient,
    status: int,
    code: str,
) -> None:
    created = client.create_page(workspace.data_source_id, make_task(4))
    renamed = make_task(4, title="Renamed by the planner")

    emulator.admin.inject(status, count=1, method="PATCH")
    with pytest.raises(TransientError) as caught:
        client.update_page(created.page_id, renamed)
    assert caught.value.status == status
    assert caught.value.code == code
    assert caught.value.retryable is True
    if status == 529:
        assert caught.value.retry_after == 1.0

    emulator.admin.inject(status, count=2, method="PATCH")
    waits: list[float] = []
    result = call_with_retries(
        lambda: client.update_page(created.page_id, renamed),
        attempts=4,
        base_delay_s=0.01,
        sleep=waits.append,
    )
    assert len(waits) == 2
    assert client.retrieve_page(result.page_id).title == "Renamed by the planner"


def test_revoked_token_needs_reauth_and_never_leaks_the_token(
    emulator: NotionEmulator,
    workspace: EmulatedWorkspace,
    client: NotionClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    created = client.create_page(workspace.data_source_id, make_task(5))
    emulator.admin.revoke_token(workspace.token)

    with pytest.raises(NeedsReauthError) as caught:
        client.update_page(created.page_id, make_task(5, title="x"))
    with pytest.raises(NeedsReauthError):
        client.query_changed_since(workspace.data_source_id, None)

    assert caught.value.status == 401 and caught.value.retryable is False
    assert workspace.token not in str(caught.value)
    assert workspace.token not in repr(client)
    assert workspace.token not in caplog.text
    assert caplog.text  # the client did log; the token just is not in it


def test_unshared_data_source_is_not_found_and_nothing_is_deleted(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, client: NotionClient
) -> None:
    ds = workspace.data_source_id
    created = [client.create_page(ds, make_task(i)) for i in range(3)]
    emulator.admin.unshare(ds)

    with pytest.raises(NotFoundError) as on_query:
        client.query_changed_since(ds, None)
    with pytest.raises(NotFoundError):
        client.create_page(ds, make_task(9))
    with pytest.raises(NotFoundError):
        client.update_page(created[0].page_id, make_task(0, title="x"), data_source_id=ds)
    assert on_query.value.status == 404 and on_query.value.code == "object_not_found"

    pages = emulator.admin.pages()
    assert len(pages) == 3 and not any(p["in_trash"] for p in pages)
    emulator.admin.share(ds)
    assert len(client.query_changed_since(ds, None)) == 3


def test_validation_error_is_permanent(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, make_client: ClientFactory
) -> None:
    # The user deleted the Due property after the schema was prepared.
    client = make_client()
    client.prepare_schema(workspace.data_source_id)
    emulator.admin.edit_schema_as_user(workspace.data_source_id, {"Due": None})
    with pytest.raises(PermanentError) as caught:
        client.create_page(workspace.data_source_id, make_task(6))
    assert caught.value.status == 400 and caught.value.code == "validation_error"
    assert "Due" in str(caught.value)


def test_missing_notion_version_is_refused(
    emulator: NotionEmulator, workspace: EmulatedWorkspace
) -> None:
    request = urllib.request.Request(
        f"{emulator.base_url}/v1/data_sources/{workspace.data_source_id}",
        headers={"Authorization": f"Bearer {workspace.token}"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    body = json.loads(caught.value.read())
    assert caught.value.code == 400
    assert body["object"] == "error" and body["code"] == "missing_version"
    assert body["status"] == 400


def test_page_size_over_100_is_a_validation_error(
    emulator: NotionEmulator, workspace: EmulatedWorkspace
) -> None:
    from notion_client.errors import APIResponseError

    with pytest.raises(APIResponseError) as caught:
        raw_client(emulator.base_url, workspace.token).data_sources.query(
            workspace.data_source_id, page_size=101
        )
    assert caught.value.status == 400
    assert "100" in str(caught.value)
