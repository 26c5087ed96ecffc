"""Test data for the resource routes: a student's course with topics, an assessment, a study
path and an issued task (made with the service functions the routes call), an LMS feed server
on 127.0.0.1, and calendar feeds written around `now`."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import Engine, select

from db.models import Course, StudyPath, User
from db.session import session_scope
from integrations.sources.feed_fetch import FeedPolicy
from services.catalog import upsert_assessment, upsert_course, upsert_topic
from services.ingest.feeds import add_feed
from services.schemas import AssessmentIn, CourseIn, TopicIn
from services.study_tasks import IssuedTaskIn, issue_tasks

COURSE_CODE = "MATH 2413"


def course_in(code: str = COURSE_CODE, name: str = "Calculus I") -> CourseIn:
    return CourseIn(
        name=name, code=code, semester="Fall 2026",
        start_date=date(2026, 8, 24), end_date=date(2027, 5, 11),
    )  # fmt: skip


@dataclass(frozen=True)
class Enrolled:
    user_id: uuid.UUID
    course_id: uuid.UUID
    path_id: uuid.UUID
    topic_id: uuid.UUID
    assessment_id: uuid.UUID
    task_id: uuid.UUID
    feed_id: uuid.UUID

    def ids(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items()}


def enroll(
    engine: Engine, user_id: uuid.UUID, *, feed_url: str = "https://lms.example/f.ics"
) -> Enrolled:
    """One course (topics Limits → Derivatives, assessment "Quiz 1"), its path, one scheduled
    issued task and one registered (not yet fetched) feed."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        course = upsert_course(session, user, course_in())
        row = session.get(Course, course.id)
        assert row is not None
        limits = upsert_topic(session, row, TopicIn(name="Limits", order_index=1))
        upsert_topic(
            session, row, TopicIn(name="Derivatives", order_index=2, prerequisites=("Limits",))
        )
        quiz = upsert_assessment(
            session, row,
            AssessmentIn(
                name="Quiz 1", type="quiz", weight_percent=10,
                due_date=now + timedelta(days=10), estimated_duration_min=45,
                topic_weights={"Limits": 100},
            ),
        )  # fmt: skip
        path = session.scalars(select(StudyPath).where(StudyPath.course_id == course.id)).one()
        task = issue_tasks(
            session, user, path.id,
            [IssuedTaskIn(
                external_id="seed-1", title="Read 2.1", task_type="reading",
                scheduled_start=now + timedelta(days=1), duration_min=30, topics=["Limits"],
            )],
            now=now,
        )[0].task  # fmt: skip
        feed = add_feed(
            session,
            user,
            label="Canvas",
            url=feed_url,
            default_course_id=None,
            policy=FeedPolicy.from_strings("127.0.0.1", allow_http=True),
        )
        return Enrolled(user_id, course.id, path.id, limits.id, quiz.id, task.id, feed.id)


def canvas_feed(events: list[tuple[str, str, datetime]]) -> bytes:
    """A Canvas-style feed: (uid, "Title [COURSE]", due) per assessment."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Instructure//Canvas//EN"]
    for uid, summary, due in events:
        stamp = due.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        lines += [
            "BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}", f"DTSTART:{stamp}",
            f"DTEND:{stamp}", f"SUMMARY:{summary}", "END:VEVENT",
        ]  # fmt: skip
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


class FeedServer:
    """Serves `files` (path → bytes) on 127.0.0.1; unknown paths are 404s."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.hits: list[str] = []
        files, hits = self.files, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                body = files.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/calendar")
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    try:
        yield server
    finally:
        server.stop()
