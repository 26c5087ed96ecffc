"""Every route under /v1, from the app's own OpenAPI document: without a token it answers 401;
with another student's token on this student's ids it answers 404 and the database is
unchanged; with the owner's token it works. A route missing from `ROUTES` fails the test, so a
new route cannot ship without its ownership check.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from sqlalchemy import Engine, select

from api.app import create_api
from api.routes import PUBLIC_ROUTES
from db.models import Base
from services.settings import Settings
from tests.e2e.api.conftest import SECRET, Api
from tests.e2e.api.helpers import FeedServer, canvas_feed, enroll, feed_server

Kind = Literal["owned", "self", "admin"]


@dataclass(frozen=True)
class Call:
    """How to call a route. `kind`: "owned" — the path (or body) names the victim's rows;
    "self" — the route serves whoever calls it (no ids to steal); "admin" — admins only.
    Strings in `json` may hold `{user_id}`-style placeholders for the victim's ids."""

    kind: Kind = "owned"
    json: dict[str, Any] | None = None
    ok: set[int] = field(default_factory=lambda: {200})
    params: dict[str, str] | None = None  # the query; placeholders allowed
    files: dict[str, tuple[str, bytes]] | None = None  # a multipart upload


COURSE = {
    "name": "Physics",
    "code": "PHY 1",
    "semester": "Fall 2026",
    "start_date": "2026-09-01",
    "end_date": "2027-01-31",
}
ASSESSMENT = {
    "name": "Quiz 2",
    "type": "quiz",
    "weight_percent": 10,
    "due_date": "2027-01-15T23:59:00+01:00",
    "estimated_duration_min": 60,
    "topic_weights": {"Limits": 40, "Derivatives": 60},
}
RESULT = {
    "assessment_id": "{assessment_id}",
    "score": 8,
    "max_score": 10,
    "time_spent_min": 30,
    "completed_at": "2026-10-01T10:00:00+00:00",
    "topic_breakdown": {"Limits": {"correct": 4, "total": 5}},
}
GRADES = {
    "course_id": "{course_id}",
    "grades": [{"assessment_name": "Quiz 1", "score": 7, "max_score": 10, "date": "2026-10-01"}],
}
BATCH = {
    "tasks": [
        {"external_id": "co-1", "title": "Limits drill", "task_type": "problem_set",
         "duration_min": 40, "topics": ["Limits"]},
    ]
}  # fmt: skip
COURSES_CSV = (
    b"name,code,semester,start_date,end_date\n"
    b"Linear Algebra,MATH 2318,Fall 2026,2026-08-24,2026-12-11\n"
)

# ---- the table: one row per (method, path) under /v1 --------------------------------------------
ROUTES: dict[tuple[str, str], Call] = {
    ("GET", "/v1/me"): Call(kind="self"),
    ("GET", "/v1/users"): Call(kind="admin"),
    ("GET", "/v1/users/{user_id}"): Call(),
    ("PATCH", "/v1/users/{user_id}"): Call(json={"full_name": "Mallory was here"}),
    ("GET", "/v1/users/{user_id}/preferences"): Call(),
    ("PUT", "/v1/users/{user_id}/preferences"): Call(json={"max_hours_per_day": 9}),
    # courses, topics, assessments, results
    ("POST", "/v1/courses"): Call(json={"user_id": "{user_id}", **COURSE}, ok={201}),
    ("GET", "/v1/courses"): Call(params={"user_id": "{user_id}"}),
    ("GET", "/v1/courses/{course_id}"): Call(),
    ("POST", "/v1/courses/{course_id}/topics"): Call(
        json={"name": "Series", "prerequisites": ["Derivatives"]}, ok={201}
    ),
    ("GET", "/v1/courses/{course_id}/topics"): Call(),
    ("POST", "/v1/courses/{course_id}/assessments"): Call(json=ASSESSMENT, ok={201}),
    ("GET", "/v1/courses/{course_id}/assessments"): Call(),
    ("POST", "/v1/performance"): Call(json=RESULT, ok={201}),
    # imports
    ("POST", "/v1/import/csv"): Call(
        params={"kind": "courses", "user_id": "{user_id}"},
        files={"file": ("courses.csv", COURSES_CSV)},
    ),
    ("POST", "/v1/import/lms"): Call(
        json={"user_id": "{user_id}", "url": "{feed_url}", "default_course_id": "{course_id}"},
        ok={201},
    ),
    ("POST", "/v1/import/lms/{feed_id}/refresh"): Call(),
    ("POST", "/v1/import/grades"): Call(json=GRADES),
    # tasks (seed 003)
    ("POST", "/v1/study-paths/{path_id}/tasks"): Call(json=BATCH, ok={201}),
    ("PATCH", "/v1/study-tasks/{task_id}"): Call(json={"status": "in_progress", "score": 1}),
    ("GET", "/v1/users/{user_id}/tasks"): Call(params={"status": "scheduled", "topic": "Limits"}),
    ("GET", "/v1/users/{user_id}/tasks/summary"): Call(),
    ("GET", "/v1/users/{user_id}/tasks/export"): Call(params={"format": "csv"}),
    ("GET", "/v1/study-tasks/{task_id}/events"): Call(),
    # progress, plan, sync
    ("GET", "/v1/users/{user_id}/paths"): Call(),
    ("GET", "/v1/users/{user_id}/plan"): Call(),
    ("GET", "/v1/users/{user_id}/sync"): Call(),
    ("POST", "/v1/users/{user_id}/sync"): Call(ok={202}),
}


@dataclass(frozen=True)
class Victim:
    ids: dict[str, str]  # placeholder name (path parameter, body field) -> the victim's value


FEEDS: dict[str, FeedServer] = {}  # the module's feed server (started by `feeds`)


@pytest.fixture(scope="module", autouse=True)
def feeds() -> Iterator[FeedServer]:
    with feed_server() as server:
        due = datetime.now(UTC) + timedelta(days=20)
        server.files["/canvas.ics"] = canvas_feed(
            [("event-assignment-1", "Lab 1 [MATH 2413]", due)]
        )
        FEEDS["server"] = server
        yield server
        FEEDS.clear()


def make_victim(api: Api) -> tuple[uuid.UUID, Victim]:
    """A student with a course, topics, an assessment, a path, a task and a feed: every id a
    route can take is the victim's."""
    user_id = api.new_user(full_name="Victoria Victim")
    url = FEEDS["server"].url("/canvas.ics")
    enrolled = enroll(api.engine, user_id, feed_url=url)
    return user_id, Victim(enrolled.ids() | {"feed_url": url})


def api_routes() -> set[tuple[str, str]]:
    settings = Settings(_env_file=None, api_jwt_secret=SECRET, database_url="sqlite://")
    spec = create_api(settings).openapi()
    return {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if path.startswith("/v1/")
    }


def test_the_table_lists_every_route() -> None:
    routes = api_routes()
    missing = sorted(routes - PUBLIC_ROUTES - set(ROUTES))
    stale = sorted(set(ROUTES) - routes)
    assert not missing, f"routes without an ownership row in ROUTES: {missing}"
    assert not stale, f"ROUTES lists routes the app does not have: {stale}"
    assert routes >= PUBLIC_ROUTES


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: "nothing written" means this does not change."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in conn.execute(select(table))), key=repr
            )
            for table in Base.metadata.sorted_tables
        }


def fill(template: str, victim: Victim) -> str:
    return template.format(**victim.ids)


def fill_json(value: Any, victim: Victim) -> Any:
    if isinstance(value, str):
        return fill(value, victim)
    if isinstance(value, dict):
        return {k: fill_json(v, victim) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_json(v, victim) for v in value]
    return value


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_route_checks_ownership(api: Api, route: tuple[str, str]) -> None:
    method, template = route
    call = ROUTES[route]
    victim_id, victim = make_victim(api)
    attacker_id = api.new_user(full_name="Mallory")
    path = fill(template, victim)
    body = fill_json(call.json, victim) if call.json is not None else None
    args: dict[str, Any] = {"json": body, "params": fill_json(call.params, victim)}
    if call.files is not None:
        args = {"params": args["params"], "files": call.files}

    with api.client() as anonymous:
        resp = anonymous.request(method, path, **args)
    assert resp.status_code == 401, f"{method} {template} without a token: {resp.status_code}"

    before = snapshot(api.engine)
    with api.client(api.token(attacker_id)) as attacker:
        resp = attacker.request(method, path, **args)
    if call.kind == "self":
        assert resp.status_code in call.ok
        assert str(victim_id) not in resp.text
    else:
        assert resp.status_code == 404, f"{method} {template} as another user: {resp.text}"
        assert resp.json()["error"]["code"] == "not_found"
    assert snapshot(api.engine) == before, f"{method} {template} wrote for another user"

    owner = api.token(victim_id, admin=call.kind == "admin")
    with api.client(owner) as client:
        resp = client.request(method, path, **args)
    assert resp.status_code in call.ok, f"{method} {template} as its owner: {resp.text}"
