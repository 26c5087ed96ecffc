"""Seed 003's task endpoints over a real server on SQLite and PostgreSQL: batches for a path,
the lifecycle through PATCH (409 naming both states, nothing written), the filtered history,
its summary and exports, one task's timeline."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from db.models import StudyTask, TaskEvent
from db.session import session_scope
from tests.e2e.api.conftest import Api

START = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)  # a Monday


def paths(resp: httpx.Response) -> list[str]:
    assert resp.status_code == 422, resp.text
    return [f["path"] for f in resp.json()["error"]["fields"]]


def course(client: httpx.Client, code: str, *topics: str) -> dict[str, Any]:
    made: dict[str, Any] = client.post(
        "/v1/courses",
        json={"name": code, "code": code, "semester": "Spring 2027",
              "start_date": "2027-01-04", "end_date": "2027-05-14"},
    ).json()  # fmt: skip
    for name in topics:
        client.post(f"/v1/courses/{made['id']}/topics", json={"name": name})
    return made


def task(external_id: str, day: int, **fields: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "title": f"Task {external_id}",
        "task_type": "problem_set",
        "duration_min": 45,
        "scheduled_start": (START + timedelta(days=day)).isoformat(),
    } | fields


def student(api: Api) -> tuple[uuid.UUID, httpx.Client]:
    user_id = api.new_user(timezone="Europe/Berlin")
    return user_id, api.client(api.token(user_id))


def test_a_batch_is_created_once(api: Api) -> None:
    _user_id, client = student(api)
    with client:
        math = course(client, "MATH 2413", "Limits")
        url = f"/v1/study-paths/{math['path_id']}/tasks"
        batch = {"tasks": [task("a", 0, topics=["Limits"]), task("b", 1)]}
        first = client.post(url, json=batch)
        assert first.status_code == 201, first.text
        assert first.json()["created"] == 2
        assert first.json()["tasks"][0]["task"]["external_id"] == "a"
        assert first.json()["tasks"][0]["task"]["is_pinned"] is True
        again = client.post(url, json=batch)
        assert again.status_code == 200 and again.json()["existing"] == 2
        ids = {t["task"]["id"] for t in first.json()["tasks"]}
        assert {t["task"]["id"] for t in again.json()["tasks"]} == ids
        twice = client.post(url, json={"tasks": [task("c", 2), task("c", 3)]})
        assert paths(twice) == ["body.tasks.1"]
        unknown = client.post(url, json={"tasks": [task("d", 2, topics=["Series"])]})
        assert paths(unknown) == ["body.tasks.0.topics"]
        assert paths(client.post(url, json={"tasks": []})) == ["body.tasks"]
        kind = client.post(url, json={"tasks": [task("e", 2, task_type="nap", duration_min=1)]})
        assert set(paths(kind)) == {"body.tasks.0.task_type", "body.tasks.0.duration_min"}
        naive = client.post(url, json={"tasks": [task("f", 2, scheduled_start="2027-01-11T09:00")]})
        assert paths(naive) == ["body.tasks.0.scheduled_start"]
        assert client.post(f"/v1/study-paths/{uuid.uuid4()}/tasks", json=batch).status_code == 404


def events_of(api: Api, task_id: str) -> int:
    with session_scope(api.engine) as session:
        return int(
            session.scalar(
                select(func.count()).where(TaskEvent.task_id == uuid.UUID(task_id))
            ) or 0
        )  # fmt: skip


def test_the_lifecycle_through_patch_and_the_timeline(api: Api) -> None:
    _user_id, client = student(api)
    with client:
        math = course(client, "MATH 2413")
        made = client.post(
            f"/v1/study-paths/{math['path_id']}/tasks",
            json={"tasks": [task("t", 0), task("u", 1, scheduled_start=None)]},
        ).json()["tasks"]
        scheduled, pending = made[0]["task"], made[1]["task"]
        assert (scheduled["status"], pending["status"]) == ("scheduled", "pending")
        url = f"/v1/study-tasks/{scheduled['id']}"
        started = client.patch(url, json={"status": "in_progress"})
        assert started.status_code == 200 and started.json()["actual_start"]
        done = client.patch(
            url,
            json={"status": "completed", "score": 1,
                  "evaluation": {"passed": True, "runtime_ms": 812, "hints_used": 0}},
        )  # fmt: skip
        assert done.status_code == 200, done.text
        assert done.json()["evaluation"]["hints_used"] == 0 and done.json()["score"] == 1
        assert done.json()["completion_percentage"] == 100
        before = events_of(api, scheduled["id"])
        illegal = client.patch(url, json={"status": "expired", "score": 0})
        assert illegal.status_code == 409
        error = illegal.json()["error"]
        assert error["code"] == "illegal_transition"
        assert "completed" in error["message"] and "expired" in error["message"]
        assert events_of(api, scheduled["id"]) == before
        assert (
            client.get(f"/v1/users/{scheduled['user_id']}/tasks").json()["items"][0]["score"] == 1
        )
        pending_move = client.patch(
            f"/v1/study-tasks/{pending['id']}", json={"status": "in_progress"}
        )
        assert pending_move.status_code == 409 and "pending → in_progress" in pending_move.text
        assert paths(client.patch(url, json={})) == ["body"]
        assert paths(client.patch(url, json={"score": 2})) == ["body.score"]
        timeline = client.get(f"{url}/events", params={"limit": 2})
        assert timeline.status_code == 200, timeline.text
        first_page = timeline.json()
        rest = client.get(first_page["next"]).json()
    kinds = [e["event_type"] for e in first_page["items"] + rest["items"]]
    assert kinds == ["created", "started", "evaluated", "status_changed"]
    assert {e["source"] for e in first_page["items"]} == {"api"}


def test_the_history_filters_pages_summary_and_exports(api: Api) -> None:
    user_id, client = student(api)
    base = f"/v1/users/{user_id}/tasks"
    with client:
        math = course(client, "MATH 2413", "Limits", "Derivatives")
        cse = course(client, "CSE 110", "Limits")
        client.post(
            f"/v1/study-paths/{math['path_id']}/tasks",
            json={"tasks": [
                task("m0", 0, topics=["Limits"], difficulty="hard"),
                task("m1", 1, topics=["Derivatives"]),
                task("m2", 2, topics=["Limits", "Derivatives"], title='=HYPERLINK("x")'),
                task("m3", 9),
            ]},
        )  # fmt: skip
        client.post(
            f"/v1/study-paths/{cse['path_id']}/tasks",
            json={
                "tasks": [
                    task(
                        "c0",
                        1,
                        topics=["Limits"],
                        difficulty="hard",
                        scheduled_start=(START + timedelta(days=1, minutes=90)).isoformat(),
                    )
                ]
            },
        )
        everything = client.get(base).json()["items"]
        assert [t["external_id"] for t in everything] == ["m3", "m2", "c0", "m1", "m0"]

        def ids(**params: Any) -> list[str | None]:
            resp = client.get(base, params=params)
            assert resp.status_code == 200, resp.text
            return [t["external_id"] for t in resp.json()["items"]]

        assert ids(course="MATH 2413", topic="Limits") == ["m2", "m0"]
        assert ids(topic="Limits") == ["m2", "c0", "m0"]
        assert ids(difficulty="hard") == ["c0", "m0"]
        assert ids(since="2027-01-12", until="2027-01-13") == ["m2", "c0", "m1"]
        assert ids(since="2027-01-12T10:00", until="2027-01-12T12:00:00+01:00") == ["c0", "m1"]
        assert ids(status="scheduled", limit=2, offset=1) == ["m2", "c0"]
        assert ids(status="completed") == []
        page = client.get(base, params={"limit": 2, "topic": "Limits"}).json()
        assert page["next_offset"] == 2 and "topic=Limits" in page["next"]
        bad = client.get(base, params={"status": "done", "since": "soon", "limit": 1000})
        assert set(paths(bad)) == {"query.status", "query.since", "query.limit"}

        client.patch(f"/v1/study-tasks/{everything[-1]['id']}", json={"status": "skipped"})
        summary = client.get(f"{base}/summary").json()
        assert summary["counts_by_status"] == {"scheduled": 4, "skipped": 1}

        exported = client.get(f"{base}/export", params={"format": "csv", "topic": "Limits"})
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        as_json = client.get(f"{base}/export", params={"format": "json", "limit": 2})
        empty = client.get(f"{base}/export", params={"course": "NONE 1"})
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("x")', "Task c0", "Task m0"]
    assert [r["course"] for r in rows] == ["MATH 2413", "CSE 110", "MATH 2413"]
    assert as_json.json()[1]["title"] == '=HYPERLINK("x")'  # JSON keeps what was stored
    assert 'rel="next"' in as_json.headers["link"] and "offset=2" in as_json.headers["link"]
    assert empty.text.splitlines() == [",".join(rows[0])]  # the same header, no rows
    with session_scope(api.engine) as session:
        stored = session.scalars(select(StudyTask.title).where(StudyTask.user_id == user_id))
        assert '=HYPERLINK("x")' in set(stored)
