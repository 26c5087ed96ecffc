"""Courses, topics with prerequisites, assessments with topic shares and results, over a real
server on SQLite and PostgreSQL: the product's rules answer as 422s with field paths, and a
refused request writes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from db.models import Assessment, Course, MasteryRecord, PerformanceRecord, Topic
from db.session import session_scope
from tests.e2e.api.conftest import Api

COURSE = {
    "name": "Calculus I",
    "code": "MATH 2413",
    "semester": "Fall 2026",
    "start_date": "2026-08-24",
    "end_date": "2027-05-11",
}


def fields(resp: httpx.Response) -> dict[str, str]:
    assert resp.status_code == 422, resp.text
    return {f["path"]: f["reason"] for f in resp.json()["error"]["fields"]}


def count(api: Api, model: Any, **where: Any) -> int:
    with session_scope(api.engine) as session:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int(session.scalar(stmt) or 0)


def student(api: Api) -> tuple[uuid.UUID, httpx.Client]:
    user_id = api.new_user()
    return user_id, api.client(api.token(user_id))


def test_a_course_is_created_listed_and_read_back(api: Api) -> None:
    user_id, client = student(api)
    with client:
        first = client.post("/v1/courses", json=COURSE)
        assert first.status_code == 201, first.text
        course = first.json()
        assert first.headers["location"] == f"/v1/courses/{course['id']}"
        assert course["user_id"] == str(user_id) and course["path_id"]
        again = client.post("/v1/courses", json=COURSE | {"instructor_name": "Dr. Rivera"})
        assert again.status_code == 200 and again.json()["id"] == course["id"]
        assert again.json()["instructor_name"] == "Dr. Rivera"
        client.post("/v1/courses", json=COURSE | {"code": "CSE 110", "name": "Programming"})
        listed = client.get("/v1/courses", params={"limit": 1})
        assert [c["code"] for c in listed.json()["items"]] == ["CSE 110"]
        assert listed.json()["next_offset"] == 1
        rest = client.get(listed.json()["next"]).json()
        assert [c["code"] for c in rest["items"]] == ["MATH 2413"] and rest["next"] is None
        one = client.get(f"/v1/courses/{course['id']}")
        assert one.json()["instructor_name"] == "Dr. Rivera"
        assert client.get(f"/v1/courses/{uuid.uuid4()}").status_code == 404


def test_course_rules_of_seed_004_are_422s_with_field_paths(api: Api) -> None:
    user_id, client = student(api)
    with client:
        bad = client.post(
            "/v1/courses",
            json=COURSE | {"color": "red", "credit_hours": -1, "end_date": "2026-01-01"},
        )
        problems = fields(bad)
        assert set(problems) >= {"body.color", "body.credit_hours"}
        unknown = client.post("/v1/courses", json=COURSE | {"teacher": "x"})
        assert "body.teacher" in fields(unknown)
        dates = client.post("/v1/courses", json=COURSE | {"end_date": "2026-01-01"})
        assert "must be after start_date" in str(fields(dates))
        missing = client.post("/v1/courses", json={"name": "No code"})
        assert {"body.code", "body.semester", "body.start_date"} <= set(fields(missing))
        malformed = client.post(
            "/v1/courses", content=b'{"name": ', headers={"Content-Type": "application/json"}
        )
        assert malformed.status_code == 422
    assert count(api, Course, user_id=user_id) == 0


def test_topics_take_prerequisites_by_name_and_refuse_a_cycle(api: Api) -> None:
    _user_id, client = student(api)
    with client:
        course = client.post("/v1/courses", json=COURSE).json()
        base = f"/v1/courses/{course['id']}/topics"
        limits = client.post(base, json={"name": "Limits", "order_index": 1})
        assert limits.status_code == 201, limits.text
        chain = client.post(
            base, json={"name": "Derivatives", "order_index": 2, "prerequisites": ["Limits"]}
        ).json()
        assert chain["prerequisites"] == ["Limits"]
        assert chain["prerequisite_ids"] == [limits.json()["id"]]
        unknown = client.post(base, json={"name": "Series", "prerequisites": ["Sequences"]})
        assert "Sequences" in fields(unknown)["body.prerequisites"]
        cycle = client.post(base, json={"name": "Limits", "prerequisites": ["Derivatives"]})
        assert "Limits" in fields(cycle)["body.prerequisites"]
        difficulty = client.post(base, json={"name": "X", "estimated_difficulty": "brutal"})
        assert "body.estimated_difficulty" in fields(difficulty)
        listed = client.get(base).json()["items"]
    assert [t["name"] for t in listed] == ["Limits", "Derivatives"]
    assert listed[0]["prerequisites"] == []  # the refused cycle changed nothing
    assert count(api, Topic, course_id=uuid.UUID(course["id"])) == 2


def assessment(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Midterm",
        "type": "midterm",
        "weight_percent": 30,
        "due_date": "2026-10-16T09:00:00-05:00",
        "estimated_duration_min": 90,
        "topic_weights": {"Limits": 40, "Derivatives": 60},
    } | overrides


def course_with_topics(client: httpx.Client) -> dict[str, Any]:
    course: dict[str, Any] = client.post("/v1/courses", json=COURSE).json()
    for name in ("Limits", "Derivatives"):
        client.post(f"/v1/courses/{course['id']}/topics", json={"name": name})
    return course


def test_assessments_carry_topic_shares_and_the_weight_rules(api: Api) -> None:
    _user_id, client = student(api)
    with client:
        course = course_with_topics(client)
        base = f"/v1/courses/{course['id']}/assessments"
        made = client.post(base, json=assessment())
        assert made.status_code == 201, made.text
        assert made.json()["topic_weights"] == {"Limits": 40.0, "Derivatives": 60.0}
        shares = client.post(base, json=assessment(name="Q", topic_weights={"Limits": 50}))
        assert "sum to 100" in fields(shares)["body.topic_weights"]
        unknown = client.post(base, json=assessment(name="Q", topic_weights={"Series": 100}))
        assert "Series" in fields(unknown)["body.topic_weights"]
        over = client.post(base, json=assessment(name="Final", weight_percent=80))
        assert "more than 100%" in fields(over)["body.weight_percent"]
        naive = client.post(base, json=assessment(name="Q", due_date="2026-10-16T09:00:00"))
        assert "time zone" in fields(naive)["body.due_date"]
        listed = client.get(base).json()["items"]
    assert [a["name"] for a in listed] == ["Midterm"]
    assert count(api, Assessment, course_id=uuid.UUID(course["id"])) == 1


def test_a_result_updates_mastery_once(api: Api) -> None:
    user_id, client = student(api)
    with client:
        course = course_with_topics(client)
        quiz = client.post(
            f"/v1/courses/{course['id']}/assessments",
            json=assessment(name="Quiz 1", type="quiz", weight_percent=10),
        ).json()
        result = {
            "assessment_id": quiz["id"],
            "score": 15,
            "max_score": 20,
            "time_spent_min": 40,
            "completed_at": "2026-10-01T10:00:00+02:00",
            "topic_breakdown": {"Limits": {"correct": 4, "total": 5}},
        }
        first = client.post("/v1/performance", json=result)
        assert first.status_code == 201, first.text
        [mastery] = first.json()["mastery"]
        assert mastery["topic"] == "Limits" and mastery["mastery_score"] > 0
        again = client.post("/v1/performance", json=result)
        assert again.status_code == 200 and again.json()["created"] is False
        practice = client.post(
            "/v1/performance",
            json={k: v for k, v in result.items() if k != "assessment_id"}
            | {"course_id": course["id"], "completed_at": "2026-10-02T10:00:00+02:00"},
        )
        assert practice.status_code == 201, practice.text
        over = client.post("/v1/performance", json=result | {"score": 25})
        assert "exceeds max_score" in str(fields(over))
        topic = client.post(
            "/v1/performance",
            json=result | {"topic_breakdown": {"Series": {"correct": 1, "total": 1}}},
        )
        assert "body.topic_breakdown.Series" in fields(topic)
        counts = client.post(
            "/v1/performance",
            json=result | {"topic_breakdown": {"Limits": {"correct": 6, "total": 5}}},
        )
        assert "body.topic_breakdown.Limits" in fields(counts)
        at = "2026-10-01T10:00:00Z"
        bare = {"score": 1, "max_score": 2, "time_spent_min": 3, "completed_at": at}
        nothing = client.post("/v1/performance", json=bare)
        assert "body.course_id" in fields(nothing)
    assert count(api, PerformanceRecord, user_id=user_id) == 2
    assert count(api, MasteryRecord, user_id=user_id) == 1


def test_an_admin_acts_for_a_named_student(api: Api) -> None:
    user_id = api.new_user()
    admin_id = api.new_user(full_name="Registrar")
    with api.client(api.token(admin_id, admin=True)) as admin:
        made = admin.post("/v1/courses", json=COURSE | {"user_id": str(user_id)})
        assert made.status_code == 201 and made.json()["user_id"] == str(user_id)
        theirs = admin.get("/v1/courses", params={"user_id": str(user_id)}).json()["items"]
        own = admin.get("/v1/courses").json()["items"]
        nobody = admin.post("/v1/courses", json=COURSE | {"user_id": str(uuid.uuid4())})
    assert [c["code"] for c in theirs] == ["MATH 2413"] and own == []
    assert nobody.status_code == 404


def test_huge_numbers_are_422s_not_database_errors(api: Api) -> None:
    huge = 99999999999999999999
    _user_id, client = student(api)
    with client:
        course = client.post("/v1/courses", json=COURSE).json()
        topic = client.post(
            f"/v1/courses/{course['id']}/topics", json={"name": "Limits", "order_index": huge}
        )
        assert "100000" in fields(topic)["body.order_index"]
        result = client.post(
            "/v1/performance",
            json={"course_id": course["id"], "score": 3, "max_score": 5,
                  "time_spent_min": huge, "attempt_number": huge,
                  "completed_at": "2026-10-01T10:00:00+02:00"},
        )  # fmt: skip
        refused = fields(result)
    assert "10000" in refused["body.time_spent_min"]
    assert "1000" in refused["body.attempt_number"]
    assert count(api, Topic, course_id=uuid.UUID(course["id"])) == 0
    assert count(api, PerformanceRecord, course_id=uuid.UUID(course["id"])) == 0
