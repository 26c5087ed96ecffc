"""The push receivers over a real server: Notion's verification request and a signed event
become one debounced sync request (queued on the broker); a forged event and a Google
notification for an unknown channel change nothing. No JWT: the provider proves itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from db.models import SyncRequest, WebhookSecret
from db.session import session_scope
from tests.e2e.api.conftest import Api, api_settings, running_api
from tests.integration.realtime.conftest import add_student
from tests.integration.realtime.test_notion_receiver import TOKEN, event, sign


@pytest.fixture(scope="module")
def push_api(api_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = api_settings(
        tmp_path_factory.mktemp("push-var"),
        api_database_url,
        push_enabled=True,
        public_base_url="http://127.0.0.1:8000",
    )
    with running_api(settings) as running:
        with session_scope(running.engine) as session:
            session.execute(delete(WebhookSecret))
        yield running


def queued_messages(var_dir: Path) -> int:
    return sum(1 for path in (var_dir / "broker").rglob("*") if path.is_file())


def test_notion_verification_then_a_signed_event_requests_one_sync(push_api: Api) -> None:
    source = str(uuid.uuid4())
    student = add_student(push_api.engine, google=False, notion=True, data_source=source)
    with push_api.client() as client:
        verified = client.post("/v1/webhooks/notion", json={"verification_token": TOKEN})
        body = event(source)
        forged = client.post(
            "/v1/webhooks/notion",
            content=body,
            headers={**sign(body, token="not-the-token"), "content-type": "application/json"},
        )
        accepted = client.post(
            "/v1/webhooks/notion",
            content=body,
            headers={**sign(body), "content-type": "application/json"},
        )
        duplicate = client.post(
            "/v1/webhooks/notion",
            content=body,
            headers={**sign(body), "content-type": "application/json"},
        )

    assert verified.status_code == 200, verified.text
    assert forged.status_code == 401
    assert accepted.status_code == 200 and accepted.json()["result"] == "sync_requested"
    assert duplicate.json()["result"] == "duplicate"
    with session_scope(push_api.engine) as session:
        request = session.scalars(select(SyncRequest).where(SyncRequest.user_id == student)).one()
        assert request.count == 1 and request.scheduled
    assert queued_messages(push_api.settings.var_dir) >= 1


def test_a_google_notification_for_an_unknown_channel_changes_nothing(push_api: Api) -> None:
    headers = {
        "X-Goog-Channel-ID": "not-a-channel-of-ours",
        "X-Goog-Channel-Token": "guess",
        "X-Goog-Resource-ID": "r",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "7",
    }
    with session_scope(push_api.engine) as session:
        before = len(session.scalars(select(SyncRequest)).all())
    with push_api.client() as client:
        answer = client.post("/v1/webhooks/google", headers=headers)
        malformed = client.post("/v1/webhooks/google", headers={"X-Goog-Channel-ID": "x"})
    assert answer.status_code == 200 and answer.json()["result"] != "sync_requested"
    assert malformed.status_code == 400
    with session_scope(push_api.engine) as session:
        assert len(session.scalars(select(SyncRequest)).all()) == before
