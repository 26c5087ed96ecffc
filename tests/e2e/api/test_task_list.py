"""The task list and the plan of a student with many tasks, over a real server on SQLite and
PostgreSQL: the list's fast path (rows serialised without building models) sends exactly what
TaskOut would, the plan is paged in SQL in a stable order, and every list route is paginated
with a cap."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select, update

from api.owners import local_instant
from api.pagination import MAX_LIMIT, Page
from api.task_resources import TaskOut
from bench.api.seed import seed_heavy_students
from db.models import Course, StudyTask, User
from db.session import session_scope
from planner.vocabulary import TaskStatus
from services import history
from services.status import PLANNED
from services.study_tasks import ISSUED_PREFIX
from tests.e2e.api.conftest import Api


def heavy_student(api: Api, tasks: int) -> uuid.UUID:
    prefix = f"list-{uuid.uuid4().hex[:8]}"
    [student] = seed_heavy_students(
        api.settings.effective_database_url, 1, tasks, email_prefix=prefix
    )
    return student.user_id


def follow(client: httpx.Client, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of a paginated list, following `next` to the end."""
    items: list[dict[str, Any]] = []
    resp = client.get(url, params=params)
    while True:
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body["items"]
        if body["next"] is None:
            return items
        resp = client.get(body["next"])


def test_the_list_sends_what_taskout_would(api: Api) -> None:
    user_id = heavy_student(api, 300)
    with session_scope(api.engine) as session:
        # A few issued tasks, so `external_id` is not always null.
        some = session.scalars(
            select(StudyTask.id).where(StudyTask.user_id == user_id).limit(5)
        ).all()
        for n, task_id in enumerate(some):
            session.execute(
                update(StudyTask)
                .where(StudyTask.id == task_id)
                .values(plan_key=f"{ISSUED_PREFIX}:path:ext-{n}")
            )
    params: dict[str, str | int] = {
        "status": "scheduled",
        "course": "MATH-201",
        "since": "2026-06-01",
        "limit": 200,
    }
    with api.client(api.token(user_id)) as client:
        resp = client.get(f"/v1/users/{user_id}/tasks", params=params)
        everything = follow(client, f"/v1/users/{user_id}/tasks", {"limit": 40})
    assert resp.status_code == 200, resp.text
    with session_scope(api.engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        codes = {cid: code for cid, code in session.execute(select(Course.id, Course.code))}
        flt = history.TaskFilter(
            status=TaskStatus.SCHEDULED,
            course_code="MATH-201",
            since=local_instant(date(2026, 6, 1), user.timezone),
            limit=201,
        )
        tasks = history.task_history(session, user, flt)
        expected = Page[TaskOut](
            items=[TaskOut.of(t, codes[t.course_id]) for t in tasks],
            limit=200,
            offset=0,
            next_offset=None,
            next=None,
        )
    assert resp.content == expected.model_dump_json().encode()
    assert resp.json()["items"], "the filters matched nothing: the comparison proves nothing"
    assert len(everything) == 300 and len({t["id"] for t in everything}) == 300
    assert {t["external_id"] for t in everything} >= {f"ext-{n}" for n in range(5)}


def test_the_plan_is_paged_in_sql_in_time_order(api: Api) -> None:
    user_id = heavy_student(api, 400)
    with api.client(api.token(user_id)) as client:
        items = follow(client, f"/v1/users/{user_id}/plan", {"limit": 37})
        first = client.get(f"/v1/users/{user_id}/plan", params={"limit": 37}).json()
    with session_scope(api.engine) as session:
        planned = session.execute(
            select(StudyTask.id)
            .where(StudyTask.user_id == user_id, StudyTask.status.in_(PLANNED))
            .order_by(StudyTask.scheduled_start, StudyTask.id)
        ).scalars()
        expected = [str(task_id) for task_id in planned]
    assert [i["id"] for i in items] == expected and len(expected) > 37 * 2
    assert len(first["items"]) == 37 and first["next_offset"] == 37
    assert first["at_risk"] and first["last_sync_at"] is not None  # the seeded sync run


def test_every_list_route_is_paginated_with_a_cap(api: Api) -> None:
    user_id = api.new_user()
    with api.client(api.token(user_id, admin=True)) as client:
        spec = client.get("/openapi.json").json()
        checked = []
        for path, operations in spec["paths"].items():
            get = operations.get("get")
            if get is None or not path.startswith("/v1/"):
                continue
            ok = get["responses"].get("200", {}).get("content", {}).get("application/json", {})
            schema = ok.get("schema", {})
            assert schema.get("type") != "array", f"{path} answers a bare list: no pagination"
            name = schema.get("$ref", "").rsplit("/", 1)[-1]
            fields = spec["components"]["schemas"].get(name, {}).get("properties", {})
            if "next_offset" not in fields:
                continue
            query = {p["name"]: p for p in get.get("parameters", []) if p["in"] == "query"}
            assert query["limit"]["schema"]["maximum"] == MAX_LIMIT, path
            assert "offset" in query, path
            if path.count("{") == 1 and "{user_id}" in path:
                url = path.replace("{user_id}", str(user_id))
                over = client.get(url, params={"limit": MAX_LIMIT + 1})
                assert over.status_code == 422, (path, over.text)
                assert over.json()["error"]["fields"][0]["path"] == "query.limit"
            checked.append(path)
    assert {"/v1/users/{user_id}/tasks", "/v1/users/{user_id}/plan"} <= set(checked)


def test_the_csv_export_defuses_every_formula_start(api: Api) -> None:
    user_id = heavy_student(api, 20)
    leaders = ["=", "+", "-", "@", "\t", "\r"]
    titles = {f"{lead}cmd|' /C calc'!A0 {n}" for n, lead in enumerate(leaders)}
    with session_scope(api.engine) as session:
        ids = session.scalars(
            select(StudyTask.id).where(StudyTask.user_id == user_id).limit(len(titles))
        ).all()
        for task_id, title in zip(ids, sorted(titles), strict=True):
            session.execute(update(StudyTask).where(StudyTask.id == task_id).values(title=title))
    with api.client(api.token(user_id)) as client:
        as_csv = client.get(f"/v1/users/{user_id}/tasks/export", params={"format": "csv"})
        as_json = client.get(f"/v1/users/{user_id}/tasks/export", params={"format": "json"})
    assert as_csv.status_code == 200, as_csv.text
    rows = list(csv.DictReader(io.StringIO(as_csv.text, newline="")))
    exported = {r["title"] for r in rows if r["title"][1:] in titles}
    assert exported == {"'" + t for t in titles}
    assert titles <= {r["title"] for r in as_json.json()}  # JSON keeps what was stored
