"""Study paths, the plan, sync status and "sync now" over a real server. "Sync now" goes
through a real Celery worker (as tests/e2e/test_sync_worker.py runs it): on the embedded
folder broker with SQLite, and on Redis with PostgreSQL."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import celery.contrib.testing.tasks  # noqa: F401  (the ping task start_worker needs)
import httpx
import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from bench.students import seed_small_student
from db.enums import Provider
from db.models import SyncError, SyncRun
from db.session import session_scope
from services.settings import Settings
from tasks.celery_app import create_app
from tests.e2e.api.conftest import Api, api_settings, running_api
from tests.e2e.api.server import free_port


def test_paths_show_each_courses_progress(api: Api) -> None:
    user_id = api.new_user()
    made = {}
    with api.client(api.token(user_id)) as client:
        for code in ("MATH 2413", "CSE 110"):
            course = client.post(
                "/v1/courses",
                json={"name": code, "code": code, "semester": "Fall 2026",
                      "start_date": "2026-08-24", "end_date": "2027-05-11"},
            ).json()  # fmt: skip
            made[code] = course
            topics = f"/v1/courses/{course['id']}/topics"
            client.post(topics, json={"name": "Basics", "order_index": 1})
            client.post(
                topics, json={"name": "More", "order_index": 2, "prerequisites": ["Basics"]}
            )
        first = client.get(f"/v1/users/{user_id}/paths", params={"limit": 1})
        assert first.status_code == 200, first.text
        rest = client.get(first.json()["next"]).json()
        one = client.get(f"/v1/users/{user_id}/paths", params={"course": "MATH 2413"}).json()
    [cse] = first.json()["items"]
    assert cse["course"] == "CSE 110" and cse["path"] == ["Basics", "More"]
    assert cse["status"] == "not_started" and cse["percent_complete"] == 0
    assert [p["course"] for p in rest["items"]] == ["MATH 2413"] and rest["next"] is None
    assert [p["path_id"] for p in one["items"]] == [made["MATH 2413"]["path_id"]]


def test_sync_status_lists_runs_and_open_errors_only(api: Api) -> None:
    user_id = api.new_user()
    with session_scope(api.engine) as session:
        for n in range(3):
            message = f"lms.example answered HTTP 50{n}"
            session.add(
                SyncError(user_id=user_id, provider=Provider.FEED, operation="feed.refresh",
                          message=message, retryable=True)
            )  # fmt: skip
        session.add(
            SyncError(user_id=user_id, provider=Provider.GOOGLE, operation="events.insert",
                      message="old", resolved_at=datetime.now(UTC))
        )  # fmt: skip
    with api.client(api.token(user_id)) as client:
        page = client.get(f"/v1/users/{user_id}/sync", params={"limit": 2})
        assert page.status_code == 200, page.text
        rest = client.get(page.json()["next"]).json()
    body = page.json()
    assert body["runs"] == [] and body["google"] == "ok" and body["notion"] == "ok"
    messages = [e["message"] for e in body["errors"] + rest["errors"]]
    assert sorted(messages) == [f"lms.example answered HTTP 50{n}" for n in range(3)]
    assert rest["next"] is None


@pytest.fixture(
    params=["embedded", pytest.param("redis", marks=[pytest.mark.redis, pytest.mark.postgres])]
)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Api, Settings]]:
    if request.param == "embedded":
        database_url, broker = str(request.getfixturevalue("sqlite_url")), "filesystem://"
    else:
        database_url = str(request.getfixturevalue("postgres_url"))
        broker = str(request.getfixturevalue("redis_url"))
    settings = api_settings(tmp_path / "var", database_url, broker_url=broker)
    with running_api(settings) as api:
        yield api, settings


def wait_for_run(client: httpx.Client, user_id: uuid.UUID) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = client.get(f"/v1/users/{user_id}/sync").json()["runs"]
        done = [r for r in runs if r["finished_at"] is not None]
        if done:
            return dict(done[0])
        time.sleep(0.3)
    raise AssertionError("no finished sync run within 120 s")


def test_sync_now_queues_the_workers_sync_and_the_plan_shows_it(
    stack: tuple[Api, Settings],
) -> None:
    api, settings = stack
    now = datetime.now(UTC)
    user_id = seed_small_student(
        api.engine, now, email=f"s{uuid.uuid4().hex[:8]}@example.edu", rng=random.Random(3)
    )
    worker_app = create_app(settings)
    with api.client(api.token(user_id)) as client:
        before = client.get(f"/v1/users/{user_id}/plan").json()
        assert before["items"] == [] and before["last_sync_at"] is None
        with start_worker(worker_app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
            queued = client.post(f"/v1/users/{user_id}/sync")
            assert queued.status_code == 202, queued.text
            run = wait_for_run(client, user_id)
            # Sent with ignore_result: the run above is how a client follows it, and the
            # result backend holds nothing for it (not even STARTED).
            result = worker_app.AsyncResult(queued.json()["task_id"])
        plan = client.get(f"/v1/users/{user_id}/plan", params={"limit": 5})
        assert plan.status_code == 200, plan.text
        tasks = client.get(f"/v1/users/{user_id}/tasks").json()["items"]
    assert result.state == "PENDING"
    assert run["trigger"] == "api" and run["outcome"] == "ok"
    body = plan.json()
    assert 0 < len(body["items"]) <= 5 and body["last_sync_at"] is not None
    assert all(item["reason"] for item in body["items"])
    starts = [item["start"] for item in body["items"]]
    assert starts == sorted(starts)
    assert {t["status"] for t in tasks} <= {"scheduled", "pending"} and tasks
    with session_scope(api.engine) as session:
        rows = session.scalars(select(SyncRun).where(SyncRun.user_id == user_id)).all()
        assert [(r.trigger, r.outcome.value) for r in rows] == [("api", "ok")]


def test_sync_now_answers_503_when_the_broker_is_down(tmp_path: Path, sqlite_url: str) -> None:
    # A Redis broker on a port nothing listens on: every publish is refused.
    broker = f"redis://127.0.0.1:{free_port()}/0"
    settings = api_settings(tmp_path / "var", sqlite_url, broker_url=broker)
    with running_api(settings) as api:
        user_id = api.new_user()
        with api.client(api.token(user_id)) as client:
            resp = client.post(f"/v1/users/{user_id}/sync")
            status = client.get(f"/v1/users/{user_id}/sync").json()
    assert resp.status_code == 503, resp.text
    error = resp.json()["error"]
    assert error["code"] == "broker_unavailable" and error["request_id"]
    assert "Traceback" not in resp.text and "redis" not in resp.text.lower()
    assert int(resp.headers["Retry-After"]) > 0
    assert status["runs"] == []
