"""Notion webhooks: a real HTTP receiver gets the emulator's verification request and signed
events; the adapter's pure helper verifies and parses exactly those bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from emulators.notion import AdminError, EmulatedWorkspace, NotionEmulator
from integrations.notion import (
    SIGNATURE_HEADER,
    VerificationRequest,
    WebhookEvent,
    WebhookPayloadError,
    parse_webhook,
    signature_for,
    verify_signature,
)
from tests.integration.notion.helpers import as_dict, raw_client
from tests.integration.receiver import Received, Receiver, receiving

SIGNATURE = SIGNATURE_HEADER.lower()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


@pytest.fixture
def subscription(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, receiver: Receiver
) -> tuple[str, str]:
    """An active subscription with no delay: (id, verification token)."""
    emulator.admin.update_settings(webhook_retry_initial_s=0.02)
    sub = emulator.admin.subscribe_webhook(receiver.url, delay_s=0)
    [check] = receiver.wait_for(1)
    request = parse_webhook(check.body)
    assert isinstance(request, VerificationRequest)
    emulator.admin.verify_webhook(sub["id"], request.verification_token)
    return str(sub["id"]), request.verification_token


def _create_page(emulator: NotionEmulator, ws: EmulatedWorkspace, title: str) -> str:
    with raw_client(emulator.base_url, ws.token) as client:
        page = as_dict(
            client.pages.create(
                parent={"type": "data_source_id", "data_source_id": ws.data_source_id},
                properties={"Name": {"title": [{"text": {"content": title}}]}},
            )
        )
    return str(page["id"])


def _events(received: list[Received], token: str) -> list[WebhookEvent]:
    events = []
    for request in received:
        assert verify_signature(request.body, request.headers.get(SIGNATURE), token)
        event = parse_webhook(request.body)
        assert isinstance(event, WebhookEvent)
        events.append(event)
    return events


def test_verification_first_then_signed_events_for_each_change(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, receiver: Receiver
) -> None:
    admin = emulator.admin
    sub = admin.subscribe_webhook(receiver.url, delay_s=0)
    assert sub["verified"] is False
    [check] = receiver.wait_for(1)
    assert SIGNATURE not in check.headers
    token = json.loads(check.body)["verification_token"]
    assert token.startswith("secret_")

    _create_page(emulator, workspace, "before verification")
    assert admin.wait_webhooks_idle()
    assert len(receiver.requests) == 1  # an unverified subscription gets nothing

    with pytest.raises(AdminError):
        admin.verify_webhook(sub["id"], "secret_wrong")
    assert admin.verify_webhook(sub["id"], token)["verified"] is True

    page_id = _create_page(emulator, workspace, "Essay draft")
    admin.set_status(page_id, "Done")
    admin.trash(page_id)
    admin.restore(page_id)
    events = _events(receiver.wait_for(5)[1:], token)

    assert [e.type for e in events] == [
        "page.created",
        "page.properties_updated",
        "page.deleted",
        "page.undeleted",
    ]
    assert {e.entity_id for e in events} == {page_id}
    assert {e.entity_type for e in events} == {"page"}
    assert {e.data_source_id for e in events} == {workspace.data_source_id}
    assert {e.parent_id for e in events} == {workspace.database_id}
    assert {e.subscription_id for e in events} == {sub["id"]}
    assert len({e.id for e in events}) == 4
    assert events[0].authors[0][1] == "bot"  # the integration's own write comes back too
    assert events[1].authors[0][1] == "person"
    schema = admin.state()["data_sources"][0]["properties"]
    assert events[1].updated_properties == (schema["Status"]["id"],)
    assert all(e.timestamp.tzinfo is not None and e.attempt_number == 1 for e in events)
    raw = json.loads(receiver.requests[2].body)
    assert set(raw) >= {
        "id",
        "timestamp",
        "workspace_id",
        "workspace_name",
        "subscription_id",
        "integration_id",
        "type",
        "authors",
        "attempt_number",
        "entity",
        "data",
    }


def test_signature_rejects_forged_and_modified_bodies(
    emulator: NotionEmulator,
    workspace: EmulatedWorkspace,
    receiver: Receiver,
    subscription: tuple[str, str],
) -> None:
    _sub_id, token = subscription
    _create_page(emulator, workspace, "signed")
    delivered = receiver.wait_for(2)[1]
    header = delivered.headers[SIGNATURE]
    assert header.startswith("sha256=")
    assert verify_signature(delivered.body, header, token)

    replayed = json.loads(delivered.body)
    replayed["entity"]["id"] = "00000000-0000-4000-8000-00000000beef"
    modified = json.dumps(replayed, separators=(",", ":")).encode()
    assert not verify_signature(modified, header, token)
    assert not verify_signature(delivered.body + b" ", header, token)
    assert not verify_signature(delivered.body, header, "secret_someone-else")
    assert not verify_signature(delivered.body, None, token)
    assert not verify_signature(delivered.body, header.removeprefix("sha256="), token)
    forged = signature_for(modified, "secret_guess")
    assert not verify_signature(modified, forged, token)
    assert verify_signature(modified, signature_for(modified, token), token)


def test_failures_are_retried_with_a_new_attempt_number_and_signature(
    emulator: NotionEmulator,
    workspace: EmulatedWorkspace,
    receiver: Receiver,
    subscription: tuple[str, str],
) -> None:
    _sub_id, token = subscription
    receiver.answers = [500, 503]
    _create_page(emulator, workspace, "retried")
    attempts = _events(receiver.wait_for(4)[1:], token)
    assert [e.attempt_number for e in attempts] == [1, 2, 3]
    assert len({e.id for e in attempts}) == 1
    bodies = {r.body for r in receiver.requests[1:]}
    assert len(bodies) == 3  # the attempt number is in the signed body
    assert emulator.admin.wait_webhooks_idle()
    outcomes = [a["outcome"] for a in emulator.admin.webhook_log()]
    assert outcomes == ["delivered", "retrying", "retrying", "delivered"]


def test_duplicate_deliveries_share_the_event_id(
    emulator: NotionEmulator,
    workspace: EmulatedWorkspace,
    receiver: Receiver,
    subscription: tuple[str, str],
) -> None:
    sub_id, token = subscription
    emulator.admin.update_webhook(sub_id, duplicate=True)
    _create_page(emulator, workspace, "twice")
    events = _events(receiver.wait_for(3)[1:], token)
    assert [e.type for e in events] == ["page.created", "page.created"]
    assert events[0].id == events[1].id


def test_edits_within_the_delay_are_aggregated(
    emulator: NotionEmulator,
    workspace: EmulatedWorkspace,
    receiver: Receiver,
    subscription: tuple[str, str],
) -> None:
    sub_id, token = subscription
    page_id = _create_page(emulator, workspace, "aggregated")
    receiver.wait_for(2)
    emulator.admin.update_webhook(sub_id, delay_s=600)
    emulator.admin.set_status(page_id, "In progress")
    emulator.admin.rename(page_id, "aggregated, renamed")
    emulator.admin.set_status(page_id, "Done")
    assert emulator.admin.flush_webhooks() == 1
    [event] = _events(receiver.wait_for(3)[2:], token)
    schema = emulator.admin.state()["data_sources"][0]["properties"]
    assert event.type == "page.properties_updated"
    assert set(event.updated_properties) == {schema["Status"]["id"], schema["Name"]["id"]}
    assert emulator.admin.wait_webhooks_idle()
    assert len(receiver.requests) == 3


def test_delay_default_and_what_the_integration_cannot_see(
    emulator: NotionEmulator,
    workspace: EmulatedWorkspace,
    receiver: Receiver,
    subscription: tuple[str, str],
) -> None:
    with receiving() as other:
        assert emulator.admin.subscribe_webhook(other.url)["delay_s"] == 3.0
        emulator.admin.update_settings(webhook_delay_s=0.0)
        assert emulator.admin.subscribe_webhook(other.url)["delay_s"] == 0.0
    page_id = _create_page(emulator, workspace, "soon hidden")
    receiver.wait_for(2)
    # No live token of the integration can see the page any more: no event for it.
    emulator.admin.revoke_token(workspace.token)
    emulator.admin.rename(page_id, "unseen")
    assert emulator.admin.wait_webhooks_idle()
    assert len(receiver.requests) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b"[]", "body"),
        (b'{"id": "e", "type": "page.created", "timestamp": "2026-01-01T00:00:00Z"}', "entity"),
        (b'{"type": "page.created", "entity": {"id": "p", "type": "page"}}', "id"),
        (
            b'{"id": "e", "type": "page.created", "timestamp": "yesterday",'
            b' "entity": {"id": "p", "type": "page"}}',
            "timestamp",
        ),
    ],
)
def test_malformed_bodies_name_the_field(body: bytes, field: str) -> None:
    with pytest.raises(WebhookPayloadError, match=f"^{field}:"):
        parse_webhook(body)


def test_parse_accepts_a_data_source_parent() -> None:
    body: dict[str, Any] = {
        "id": "e1",
        "type": "page.created",
        "timestamp": "2026-12-07T08:00:00.000Z",
        "entity": {"id": "p1", "type": "page"},
        "data": {"parent": {"id": "ds1", "type": "data_source"}},
    }
    event = parse_webhook(json.dumps(body).encode())
    assert isinstance(event, WebhookEvent)
    assert (event.data_source_id, event.attempt_number, event.updated_properties) == ("ds1", 1, ())
