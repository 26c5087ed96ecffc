"""Task lifecycle on rows, the event log, history queries, expiry, archiving, feed refresh."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.enums import Difficulty, PathStatus, Provider
from db.models import (
    Course,
    StudyPath,
    StudyTask,
    SyncError,
    TaskEvent,
    TaskEventArchive,
    User,
)
from planner.lifecycle import EventSource, IllegalTransition, TaskEventType, TaskStatus
from planner.problems import InvalidInput
from services.catalog import upsert_topic
from services.history import (
    TaskFilter,
    archive_events,
    expire_missed,
    refresh_path,
    summarize,
    task_history,
    task_timeline,
)
from services.ingest.feeds import add_feed, feed_policy, refresh_feed
from services.schemas import TopicIn
from services.settings import Settings
from services.task_state import change_status, record_created
from tests.integration.db.factories import add_task, enrolled_student

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ical"


def student(session: Session) -> tuple[User, Course]:
    return enrolled_student(session, code="CSE 110", name="Programming")


def test_lifecycle_appends_events_and_refuses_illegal_changes(session: Session) -> None:
    user, course = student(session)
    task = add_task(session, user, course, status=TaskStatus.PENDING)
    record_created(session, task, source=EventSource.PLANNER, at=NOW)
    change_status(session, task, TaskStatus.SCHEDULED, source=EventSource.PLANNER, at=NOW)
    change_status(
        session,
        task,
        TaskStatus.IN_PROGRESS,
        source=EventSource.NOTION,
        at=NOW + timedelta(hours=1),
    )
    change_status(
        session, task, TaskStatus.COMPLETED, source=EventSource.NOTION, at=NOW + timedelta(hours=2)
    )
    assert task.actual_start == NOW + timedelta(hours=1)
    assert task.actual_end == NOW + timedelta(hours=2)
    assert task.completion_percentage == 100.0
    with pytest.raises(IllegalTransition, match="completed → expired"):
        change_status(session, task, TaskStatus.EXPIRED, source=EventSource.SYSTEM, at=NOW)
    session.flush()
    timeline = task_timeline(session, user, task.id)
    assert [(e.event_type, e.source) for e in timeline] == [
        (TaskEventType.CREATED, EventSource.PLANNER),
        (TaskEventType.SCHEDULED, EventSource.PLANNER),
        (TaskEventType.STARTED, EventSource.NOTION),
        (TaskEventType.STATUS_CHANGED, EventSource.NOTION),
    ]
    assert timeline[-1].payload == {"from": "in_progress", "to": "completed"}


def test_missed_tasks_expire_once(session: Session) -> None:
    user, course = student(session)
    missed = add_task(
        session,
        user,
        course,
        status=TaskStatus.SCHEDULED,
        scheduled_start=NOW - timedelta(hours=3),
        scheduled_end=NOW - timedelta(hours=2),
    )
    upcoming = add_task(
        session,
        user,
        course,
        status=TaskStatus.SCHEDULED,
        scheduled_start=NOW + timedelta(hours=1),
        scheduled_end=NOW + timedelta(hours=2),
    )
    assert expire_missed(session, user.id, now=NOW) == 1
    assert expire_missed(session, user.id, now=NOW) == 0  # idempotent
    session.flush()
    assert (missed.status, upcoming.status) == (TaskStatus.EXPIRED, TaskStatus.SCHEDULED)
    events = task_timeline(session, user, missed.id)
    assert [(e.event_type, e.source) for e in events] == [
        (TaskEventType.STATUS_CHANGED, EventSource.SYSTEM)
    ]


def test_history_filters(session: Session) -> None:
    user, course = student(session)
    hard = add_task(session, user, course, difficulty=Difficulty.HARD, title="hard one")
    add_task(
        session,
        user,
        course,
        difficulty=Difficulty.EASY,
        title="later",
        scheduled_start=NOW + timedelta(days=5),
        scheduled_end=NOW + timedelta(days=5, hours=1),
    )
    titles = [t.title for t in task_history(session, user, TaskFilter())]
    assert titles == ["later", "hard one"]  # newest first
    assert [t.id for t in task_history(session, user, TaskFilter(difficulty=Difficulty.HARD))] == [
        hard.id
    ]
    in_range = task_history(
        session, user, TaskFilter(since=NOW + timedelta(days=5), until=NOW + timedelta(days=6))
    )
    assert [t.title for t in in_range] == ["later"]
    assert task_history(session, user, TaskFilter(course_code="NOPE 1")) == []
    topic_id = upsert_topic(session, course, TopicIn(name="Recursion")).id
    hard.topic_ids = [str(topic_id)]
    session.flush()
    assert [t.id for t in task_history(session, user, TaskFilter(topic_name="Recursion"))] == [
        hard.id
    ]
    summary = summarize(session, user, today=NOW.date())
    assert summary.counts_by_status == {"pending": 2}


def test_old_events_move_to_the_archive(session: Session) -> None:
    user, course = student(session)
    task = add_task(session, user, course)
    old = TaskEvent(
        task_id=task.id,
        user_id=user.id,
        event_type=TaskEventType.CREATED,
        source=EventSource.CLI,
        created_at=NOW - timedelta(days=400),
    )
    recent = TaskEvent(
        task_id=task.id,
        user_id=user.id,
        event_type=TaskEventType.SYNCED,
        source=EventSource.GOOGLE,
        created_at=NOW - timedelta(days=2),
    )
    session.add_all([old, recent])
    session.flush()
    old_id = old.id
    assert archive_events(session, older_than=NOW - timedelta(days=365)) >= 1
    session.expire_all()
    remaining = {e.id for e in task_timeline(session, user, task.id)}
    assert old_id not in remaining and recent.id in remaining
    archived = session.get(TaskEventArchive, old_id)
    assert archived is not None and archived.event_type is TaskEventType.CREATED


def test_path_progress_is_stored(session: Session) -> None:
    user, course = student(session)
    variables = upsert_topic(session, course, TopicIn(name="Variables", order_index=1)).id
    upsert_topic(
        session, course, TopicIn(name="Loops", order_index=2, prerequisites=("Variables",))
    )
    add_task(session, user, course, topic_ids=[str(variables)], status=TaskStatus.COMPLETED)
    path = session.scalars(select(StudyPath).where(StudyPath.course_id == course.id)).one()
    progress = refresh_path(session, path, now=NOW)
    assert progress.status == "in_progress"
    assert path.status is PathStatus.IN_PROGRESS
    assert path.completed_topic_ids == [str(variables)]
    assert path.current_topic_id is not None and str(path.current_topic_id) != str(variables)


class FeedServer:
    """A real HTTP server on 127.0.0.1 that serves one feed at a secret path."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not self.path.startswith("/feeds/user_SECRET123.ics"):
                    self.send_error(404)
                    return
                self.send_response(outer.status)
                self.send_header("Content-Type", "text/calendar")
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer((FIXTURES / "canvas_student.ics").read_bytes())
    yield server
    server.stop()


def test_feed_refresh_over_http_and_failures_never_leak_the_url(
    session: Session, feed_server: FeedServer
) -> None:
    user, course = student(session)
    # The feed is served on this machine: allowed only through the explicit test settings.
    policy = feed_policy(
        Settings(feed_allow_http=True, feed_allowed_networks="127.0.0.1", _env_file=None)
    )
    feed = add_feed(
        session,
        user,
        label="Canvas",
        url=f"{feed_server.base}/feeds/user_SECRET123.ics",
        default_course_id=course.id,
        policy=policy,
    )
    first = refresh_feed(session, feed, now=NOW, policy=policy)
    assert first.error is None and first.report is not None and first.report.created >= 3

    feed_server.status = 503
    failed = refresh_feed(session, feed, now=NOW, policy=policy)
    assert failed.error is not None and "HTTP 503" in failed.error
    session.flush()
    errors = session.scalars(select(SyncError).where(SyncError.user_id == user.id)).all()
    assert [(e.provider, e.retryable) for e in errors] == [(Provider.FEED, True)]
    assert "SECRET123" not in errors[0].message and "SECRET123" not in (feed.last_error or "")
    count = session.scalar(select(func.count()).where(StudyTask.user_id == user.id))
    assert count == 0


def test_a_feed_on_a_private_address_is_refused_and_recorded(
    session: Session, feed_server: FeedServer
) -> None:
    user, course = student(session)
    url = f"{feed_server.base}/feeds/user_SECRET123.ics"
    with pytest.raises(InvalidInput, match="https:// or webcal://"):
        add_feed(session, user, label="Canvas", url=url, default_course_id=course.id)
    with pytest.raises(InvalidInput, match="https:// or webcal://"):
        add_feed(session, user, label="Local", url="/etc/passwd", default_course_id=None)
    # Stored before the rule (or with http allowed), refused at fetch time: the default policy.
    feed = add_feed(
        session,
        user,
        label="Canvas",
        url=url.replace("http://", "https://"),
        default_course_id=course.id,
    )
    outcome = refresh_feed(session, feed, now=NOW)
    assert outcome.error is not None and "loopback, private" in outcome.error
    session.flush()
    errors = session.scalars(select(SyncError).where(SyncError.user_id == user.id)).all()
    assert [(e.provider, e.retryable) for e in errors] == [(Provider.FEED, False)]
    assert "SECRET123" not in errors[0].message
