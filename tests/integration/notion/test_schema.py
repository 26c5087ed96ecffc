"""Schema check and preparation against the emulator, through notion-client."""

from __future__ import annotations

import pytest

from emulators.notion import FULL_SCHEMA, NotionEmulator
from integrations.notion import (
    NotionSchemaError,
    NotionStatus,
    PreparedSchema,
    SchemaMapping,
)
from tests.integration.notion.conftest import ClientFactory
from tests.integration.notion.helpers import make_task, page_text

STATUS_ONLY = {"Name": {"title": {}}, "Status": FULL_SCHEMA["Status"]}


def test_prepare_adds_missing_properties_once(
    emulator: NotionEmulator, make_client: ClientFactory
) -> None:
    ws = emulator.admin.create_workspace(properties=STATUS_ONLY)
    client = make_client(token=ws.token)

    prepared = client.prepare_schema(ws.data_source_id)

    assert prepared.status_kind == "status"
    assert set(prepared.added) == {
        "Scheduled",
        "Due",
        "Course",
        "Type",
        "Minutes",
        "Priority",
        "Topics",
        "Task ID",
        "Notes",
    }
    ds = next(d for d in emulator.admin.state()["data_sources"] if d["id"] == ws.data_source_id)
    types = {name: prop["type"] for name, prop in ds["properties"].items()}
    assert types["Scheduled"] == "date" and types["Topics"] == "multi_select"
    assert types["Task ID"] == "rich_text" and types["Minutes"] == "number"

    emulator.admin.reset_counters()
    again = make_client(token=ws.token).prepare_schema(ws.data_source_id)
    assert again.added == ()
    assert emulator.admin.writes() == 0


def test_missing_status_option_is_a_clear_error_until_the_user_adds_it(
    emulator: NotionEmulator, make_client: ClientFactory
) -> None:
    schema = dict(FULL_SCHEMA)
    schema["Status"] = {
        "status": {"options": [{"name": "To do"}, {"name": "In progress"}, {"name": "Done"}]}
    }
    ws = emulator.admin.create_workspace(properties=schema)
    client = make_client(token=ws.token)

    with pytest.raises(NotionSchemaError) as caught:
        client.prepare_schema(ws.data_source_id)
    assert "“Skipped”" in str(caught.value)
    assert "Status" in str(caught.value)
    assert caught.value.retryable is False
    assert emulator.admin.writes() == 0

    # The API cannot add a status option, so the adapter must not try; the user can.
    emulator.admin.edit_schema_as_user(
        ws.data_source_id, {"Status": {"status": {"options": [{"name": "Skipped"}]}}}
    )
    assert client.prepare_schema(ws.data_source_id).status_kind == "status"


def test_missing_status_property_names_what_to_add(
    emulator: NotionEmulator, make_client: ClientFactory
) -> None:
    ws = emulator.admin.create_workspace(properties={"Name": {"title": {}}})
    with pytest.raises(NotionSchemaError) as caught:
        make_client(token=ws.token).prepare_schema(ws.data_source_id)
    message = str(caught.value)
    assert "Add a property “Status” of type Status (or Select)" in message
    for option in ("To do", "In progress", "Done", "Skipped"):
        assert f"“{option}”" in message


def test_select_status_gets_missing_options_and_pages_use_select(
    emulator: NotionEmulator, make_client: ClientFactory
) -> None:
    ws = emulator.admin.create_workspace(
        properties={"Name": {"title": {}}, "Status": {"select": {"options": [{"name": "Done"}]}}}
    )
    client = make_client(token=ws.token)
    prepared = client.prepare_schema(ws.data_source_id)
    assert prepared.status_kind == "select"
    assert "Status" in prepared.added

    result = client.create_page(ws.data_source_id, make_task(1, status=NotionStatus.SKIPPED))
    page = emulator.admin.pages()[0]
    assert page["id"] == result.page_id
    assert page["properties"]["Status"]["select"]["name"] == "Skipped"
    assert client.retrieve_page(result.page_id).status is NotionStatus.SKIPPED


def test_user_mapping_for_an_existing_database(
    emulator: NotionEmulator, make_client: ClientFactory
) -> None:
    ws = emulator.admin.create_workspace(
        properties={
            "Task": {"title": {}},
            "State": {
                "status": {
                    "options": [
                        {"name": "Backlog"},
                        {"name": "Doing"},
                        {"name": "Finished"},
                        {"name": "Dropped"},
                    ]
                }
            },
            "When": {"date": {}},
        }
    )
    mapping = SchemaMapping.from_dict(
        {
            "title": "Task",
            "status": "State",
            "scheduled": "When",
            "status_options": {
                "todo": "Backlog",
                "in_progress": "Doing",
                "done": "Finished",
                "skipped": "Dropped",
            },
        }
    )
    client = make_client(token=ws.token, mapping=mapping)
    prepared = client.prepare_schema(ws.data_source_id)
    assert "When" not in prepared.added and "Scheduled" not in prepared.added

    client.create_page(ws.data_source_id, make_task(2, status=NotionStatus.DONE))
    page = emulator.admin.pages()[0]
    assert page_text(page, "Task") == "Study session 2"
    assert page["properties"]["State"]["status"]["name"] == "Finished"
    assert page["properties"]["When"]["date"]["start"].startswith("2026-03-02T13:00:00")

    # A stored PreparedSchema round-trips and skips the check (no GET of the data source).
    stored = PreparedSchema.from_dict(prepared.to_dict())
    emulator.admin.reset_counters()
    other = make_client(token=ws.token, schema=stored)
    other.create_page(ws.data_source_id, make_task(3))
    assert emulator.admin.counters()["requests"] == {"POST /v1/pages": 1}


def test_wrong_property_type_is_reported(
    emulator: NotionEmulator, make_client: ClientFactory
) -> None:
    schema = dict(FULL_SCHEMA)
    schema["Due"] = {"rich_text": {}}
    ws = emulator.admin.create_workspace(properties=schema)
    with pytest.raises(NotionSchemaError) as caught:
        make_client(token=ws.token).prepare_schema(ws.data_source_id)
    assert "“Due” has type rich_text but must be date" in str(caught.value)


def test_resolve_data_sources_of_a_database(
    emulator: NotionEmulator, make_client: ClientFactory
) -> None:
    ws = emulator.admin.create_workspace(data_sources=("Tasks", "Archive"))
    refs = make_client(token=ws.token).resolve_data_source(ws.database_id)
    assert [r.name for r in refs] == ["Tasks", "Archive"]
    assert [r.id for r in refs] == list(ws.data_source_ids)
    assert all(r.database_id == ws.database_id for r in refs)
