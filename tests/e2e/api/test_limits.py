"""Limits and failures: 413 for large bodies (declared and streamed), 429 per principal (in
process and shared through Redis), and the error mapping: 422 for the product's InvalidInput
(rolled back), 409 for an illegal lifecycle change, 500 with a request id and nothing else."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from api.app import create_api
from api.deps import DbSession
from db.models import User
from planner.lifecycle import TaskStatus, transition
from planner.problems import InvalidInput, Problem
from services.settings import Settings
from tests.e2e.api.conftest import Api, api_settings, running_api


def test_a_declared_body_over_the_limit_is_413_before_anything_runs(api: Api) -> None:
    user_id = api.new_user()
    big = b'{"full_name": "' + b"x" * 9000 + b'"}'
    with api.client(api.token(user_id)) as client:
        resp = client.patch(
            f"/v1/users/{user_id}", content=big, headers={"Content-Type": "application/json"}
        )
        anonymous = client.patch(f"/v1/users/{user_id}", content=big, headers={"Authorization": ""})
        small = client.patch(f"/v1/users/{user_id}", json={"full_name": "Small"})
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert resp.json()["error"]["request_id"] == resp.headers["x-request-id"]
    assert anonymous.status_code == 413
    assert small.status_code == 200


def test_a_streamed_body_over_the_limit_is_413(api: Api) -> None:
    user_id = api.new_user()

    def chunks() -> Iterator[bytes]:
        yield b'{"full_name": "'
        for _ in range(12):
            yield b"y" * 1024
        yield b'"}'

    with api.client(api.token(user_id)) as client:
        resp = client.patch(
            f"/v1/users/{user_id}", content=chunks(), headers={"Content-Type": "application/json"}
        )
        stored = client.get(f"/v1/users/{user_id}").json()
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert stored["full_name"] == "Ada Student"


def statuses(api: Api, token: str, n: int) -> Counter[int]:
    with api.client(token) as client:
        return Counter(client.get("/v1/me").status_code for _ in range(n))


def test_rate_limit_in_process(api_database_url: str, tmp_path: Path) -> None:
    settings = api_settings(tmp_path, api_database_url, api_rate_limit=5, api_rate_window_s=3600)
    with running_api(settings) as running:
        first, second = running.new_user(), running.new_user()
        token = running.token(first)
        with running.client(token) as client:
            answers = [client.get("/v1/me") for _ in range(8)]
        other = statuses(running, running.token(second), 2)
    assert Counter(r.status_code for r in answers) == {200: 5, 429: 3}
    assert [r.headers["ratelimit-remaining"] for r in answers[:5]] == ["4", "3", "2", "1", "0"]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert other == {200: 2}  # a budget per principal, not per server


@pytest.mark.redis
def test_rate_limit_is_shared_through_redis(
    api_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    limits = {"api_rate_limit": 5, "api_rate_window_s": 600, "redis_url": redis_url}
    one = api_settings(tmp_path / "one", api_database_url, **limits)
    two = api_settings(tmp_path / "two", api_database_url, **limits)
    with running_api(one) as a, running_api(two) as b:
        token = a.token(a.new_user())
        counts = statuses(a, token, 3) + statuses(b, token, 3)
    assert counts == {200: 5, 429: 1}


def test_an_unreachable_redis_lets_requests_through(api_database_url: str, tmp_path: Path) -> None:
    settings = api_settings(
        tmp_path, api_database_url, api_rate_limit=1, redis_url="redis://127.0.0.1:1/0"
    )
    with running_api(settings) as running:
        assert statuses(running, running.token(running.new_user()), 3) == {200: 3}


# --- error mapping --------------------------------------------------------------------------------


def app_with_failing_routes(settings: Settings) -> FastAPI:
    """The real app plus routes that fail the ways a service call can."""
    app = create_api(settings)

    @app.post("/v1/test/invalid-input")
    def invalid_input(session: DbSession, email: str) -> None:
        session.add(User(email=email, full_name="Written before the problem"))
        session.flush()
        raise InvalidInput(
            [
                Problem("must be within 0..100", field="weight_percent", line=3, source="a.csv"),
                Problem("unknown course code 'X'", field="course_code", line=4, source="a.csv"),
            ]
        )

    @app.post("/v1/test/illegal-transition")
    def illegal(session: DbSession) -> None:
        transition(TaskStatus.COMPLETED, TaskStatus.EXPIRED, source="planner", at=datetime.now(UTC))

    @app.get("/v1/test/broken-sql")
    def broken(session: DbSession) -> None:
        session.execute(text("SELECT password_hash FROM table_that_is_not_there"))

    return app


def test_error_mapping(
    api_database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = api_settings(tmp_path, api_database_url)
    email = f"rolled-back-{uuid.uuid4().hex[:8]}@example.edu"
    with running_api(settings, app_with_failing_routes(settings)) as running:
        with running.client() as client, caplog.at_level(logging.ERROR, logger="api"):
            invalid = client.post("/v1/test/invalid-input", params={"email": email})
            conflict = client.post("/v1/test/illegal-transition")
            crash = client.get("/v1/test/broken-sql")
        with running.engine.connect() as conn:
            written = conn.execute(select(User.id).where(User.email == email)).first()

    assert invalid.status_code == 422
    assert invalid.json()["error"]["fields"] == [
        {"path": "weight_percent", "reason": "must be within 0..100", "line": 3},
        {"path": "course_code", "reason": "unknown course code 'X'", "line": 4},
    ]
    assert written is None  # the unit of work was rolled back

    assert conflict.status_code == 409
    message = conflict.json()["error"]["message"]
    assert "completed" in message and "expired" in message

    assert crash.status_code == 500
    request_id = crash.headers["x-request-id"]
    assert crash.json() == {
        "error": {
            "code": "internal_error",
            "message": f"internal error; quote request id {request_id} when reporting it",
            "fields": [],
            "request_id": request_id,
        }
    }
    assert "table_that_is_not_there" not in crash.text and "SELECT" not in crash.text
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the server's log
