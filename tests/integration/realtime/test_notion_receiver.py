"""The Notion receiver: the one-time verification token stored encrypted (a second one
refused), every event checked against its signature before parsing, deduplicated, routed to
the student whose data source or page it names. Forged and replayed events change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, LargeBinary, delete, func, select, type_coerce

from db.models import (
    IntegrationSettings,
    NotionTask,
    NotionWebhookEvent,
    SyncRequest,
    WebhookSecret,
)
from db.session import session_scope
from services.realtime.health import notion_webhook_active
from services.realtime.notion import (
    forget_notion_token,
    handle_notion_webhook,
    notion_hook_state,
    prune_notion_events,
)
from services.realtime.receive import receive_notion_webhook
from services.settings import Settings
from tests.integration.db.factories import add_course, add_task, add_user
from tests.integration.realtime.conftest import RecordingScheduler, add_student

TOKEN = "secret_" + "v3rification" * 3


@pytest.fixture(autouse=True)
def no_stored_token(engine: Engine) -> Iterator[None]:
    """The webhook secret is deployment-wide: each test starts without one."""

    def clear() -> None:
        with session_scope(engine) as session:
            session.execute(delete(WebhookSecret))

    clear()
    yield
    clear()


def sign(body: bytes, token: str = TOKEN) -> dict[str, str]:
    return {
        "X-Notion-Signature": "sha256=" + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
    }


def event(data_source: str | None = None, **fields: Any) -> bytes:
    payload: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "workspace_id": str(uuid.uuid4()),
        "subscription_id": str(uuid.uuid4()),
        "integration_id": str(uuid.uuid4()),
        "type": "page.properties_updated",
        "authors": [{"id": str(uuid.uuid4()), "type": "person"}],
        "attempt_number": 1,
        "entity": {"id": str(uuid.uuid4()), "type": "page"},
        "data": {
            "parent": {"id": str(uuid.uuid4()), "type": "database", "data_source_id": data_source},
            "updated_properties": ["abc"],
        },
    }
    payload.update(fields)
    return json.dumps(payload).encode()


def verify(engine: Engine, settings: Settings, token: str = TOKEN) -> str:
    body = json.dumps({"verification_token": token}).encode()
    return receive_notion_webhook(engine, settings, body, {}, RecordingScheduler()).result


def requests(engine: Engine) -> dict[uuid.UUID, int]:
    with session_scope(engine) as session:
        return {r.user_id: r.count for r in session.scalars(select(SyncRequest))}


def test_the_verification_token_is_stored_encrypted_and_a_second_one_refused(
    engine: Engine, settings: Settings
) -> None:
    assert verify(engine, settings) == "verification_stored"
    assert verify(engine, settings) == "verification_repeated"  # Notion may send it twice
    assert verify(engine, settings, token="secret_attacker") == "verification_refused"
    with session_scope(engine) as session:
        state = notion_hook_state(session)
        raw = session.scalar(select(type_coerce(WebhookSecret.secret, LargeBinary)))
    assert state is not None and state.token == TOKEN
    assert state.refused_count == 1 and not state.active
    assert raw is not None and TOKEN.encode() not in bytes(raw)
    with session_scope(engine) as session:
        assert forget_notion_token(session)
    assert verify(engine, settings, token="secret_new") == "verification_stored"


def test_a_signed_event_requests_its_students_sync_once(engine: Engine, settings: Settings) -> None:
    source = str(uuid.uuid4())
    student = add_student(engine, google=False, notion=True, data_source=source)
    bystander = add_student(engine, google=False, notion=True)
    verify(engine, settings)
    scheduler = RecordingScheduler()
    body = event(source)
    outcome = receive_notion_webhook(engine, settings, body, sign(body), scheduler)
    assert outcome.result == "sync_requested"
    assert scheduler.calls == [(student, settings.push_debounce_s)]
    # At-least-once delivery: the same event again is a duplicate.
    again = receive_notion_webhook(engine, settings, body, sign(body), scheduler)
    assert again.result == "duplicate"
    # Notion spells ids without dashes too, and names the data source in other shapes.
    dashless = event(None, data={"parent": {"type": "data_source", "id": uuid.UUID(source).hex}})
    assert receive_notion_webhook(engine, settings, dashless, sign(dashless), scheduler).accepted
    found = requests(engine)
    assert found.get(student) == 2 and bystander not in found
    with session_scope(engine) as session:
        assert notion_webhook_active(session)


def test_an_event_naming_only_a_page_finds_the_student_by_our_mirror(
    engine: Engine, settings: Settings
) -> None:
    page = str(uuid.uuid4())
    with session_scope(engine) as session:
        user = add_user(session)
        task = add_task(session, user, add_course(session, user))
        session.add(NotionTask(user_id=user.id, study_task_id=task.id, notion_page_id=page))
        session.add(IntegrationSettings(user_id=user.id, notion_enabled=True))
    verify(engine, settings)
    body = event(
        None, type="page.deleted", entity={"id": uuid.UUID(page).hex, "type": "page"}, data={}
    )
    outcome = receive_notion_webhook(engine, settings, body, sign(body), RecordingScheduler())
    assert outcome.result == "sync_requested" and requests(engine).get(user.id) == 1


def test_forged_tampered_unsigned_and_stale_events_change_nothing(
    engine: Engine, settings: Settings
) -> None:
    source = str(uuid.uuid4())
    student = add_student(engine, google=False, notion=True, data_source=source)
    body = event(source)
    assert (
        receive_notion_webhook(engine, settings, body, sign(body), RecordingScheduler()).result
        == "no_token"
    )
    verify(engine, settings)
    tampered = body.replace(b"properties_updated", b"content_updated")
    stale = event(source, timestamp=(datetime.now(UTC) - timedelta(days=4)).isoformat())
    cases = [
        (body, sign(body, "secret_guess"), 401, "bad_signature"),
        (tampered, sign(body), 401, "bad_signature"),
        (body, {"X-Notion-Signature": "sha256=" + "0" * 64}, 401, "bad_signature"),
        (body, {}, 401, "unsigned"),
        (b"{not json", sign(b"{not json"), 400, "malformed"),
        (stale, sign(stale), 200, "stale"),
    ]
    for raw, headers, status, result in cases:
        outcome = receive_notion_webhook(engine, settings, raw, headers, RecordingScheduler())
        assert (outcome.status_code, outcome.result) == (status, result)
    assert student not in requests(engine)
    with session_scope(engine) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(NotionWebhookEvent)
                .where(NotionWebhookEvent.event_id == json.loads(body)["id"])
            )
            == 0
        )
        assert not notion_webhook_active(session)


def test_a_broker_outage_forgets_the_event_so_notions_retry_counts(
    engine: Engine, settings: Settings
) -> None:
    source = str(uuid.uuid4())
    student = add_student(engine, google=False, notion=True, data_source=source)
    verify(engine, settings)
    body = event(source)
    failed = receive_notion_webhook(
        engine, settings, body, sign(body), RecordingScheduler(broken=True)
    )
    assert failed.status_code == 503
    scheduler = RecordingScheduler()
    retried = receive_notion_webhook(engine, settings, body, sign(body), scheduler)
    assert retried.result == "sync_requested" and scheduler.calls == [
        (student, settings.push_debounce_s)
    ]


def test_handled_event_ids_are_pruned_after_the_retention_window(
    engine: Engine, settings: Settings
) -> None:
    now = datetime.now(UTC)
    old, fresh = f"old-{uuid.uuid4()}", f"new-{uuid.uuid4()}"
    with session_scope(engine) as session:
        session.add(NotionWebhookEvent(event_id=old, received_at=now - timedelta(days=4)))
        session.add(NotionWebhookEvent(event_id=fresh, received_at=now))
    with session_scope(engine) as session:
        assert prune_notion_events(session, now) >= 1
        left = set(session.scalars(select(NotionWebhookEvent.event_id)))
    assert fresh in left and old not in left


def test_the_handler_parses_nothing_before_the_signature(
    engine: Engine, settings: Settings
) -> None:
    verify(engine, settings)
    with session_scope(engine) as session:
        # Not even JSON: refused for its signature, not for its syntax.
        outcome = handle_notion_webhook(
            session, settings, b"\xff\xfe", sign(b"other"), datetime.now(UTC)
        )
    assert outcome.result == "bad_signature"
