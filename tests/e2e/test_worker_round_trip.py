"""A real Celery worker (celery.contrib.testing) runs our tasks, on the embedded folder broker and
on Redis + PostgreSQL. No eager mode: the message really goes through the broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import celery.contrib.testing.tasks  # noqa: F401  (registers the ping task start_worker needs)
import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from db.models import WorkerHeartbeat
from db.session import get_engine, session_scope
from services.settings import Settings
from tasks.celery_app import HEARTBEAT_TASK, MAINTENANCE_QUEUE, create_app


def app_for(tmp_path: Path, database_url: str, broker_url: str, keys: list[str]) -> Celery:
    settings = Settings(
        fernet_keys=",".join(keys),
        var_dir=tmp_path / "var",
        database_url=database_url,
        broker_url=broker_url,
        result_backend=None,
    )
    return create_app(settings)


@pytest.fixture(
    params=["embedded", pytest.param("redis", marks=[pytest.mark.redis, pytest.mark.postgres])]
)
def celery_app(
    request: pytest.FixtureRequest, tmp_path: Path, key_ring: list[str]
) -> Iterator[Celery]:
    if request.param == "embedded":
        url = str(request.getfixturevalue("sqlite_url"))
        yield app_for(tmp_path, url, "filesystem://", key_ring)
    else:
        url = str(request.getfixturevalue("postgres_url"))
        yield app_for(tmp_path, url, str(request.getfixturevalue("redis_url")), key_ring)


def beats_of(database_url: str, hostname: str) -> int:
    with session_scope(get_engine(database_url)) as session:
        row = session.scalars(
            select(WorkerHeartbeat).where(WorkerHeartbeat.hostname == hostname)
        ).one()
        return row.beats


def test_heartbeat_round_trip_through_a_real_worker(celery_app: Celery) -> None:
    database_url = celery_app.conf.studyplanner_database_url
    with start_worker(celery_app, pool="solo", perform_ping_check=True, shutdown_timeout=20):
        first = celery_app.send_task(HEARTBEAT_TASK).get(timeout=60)
        second = celery_app.send_task(HEARTBEAT_TASK).get(timeout=60)
    assert second["hostname"] == first["hostname"]
    assert second["beats"] == first["beats"] + 1
    assert beats_of(database_url, first["hostname"]) == second["beats"]


def test_maintenance_tasks_are_routed_to_their_queue(celery_app: Celery) -> None:
    route = celery_app.amqp.router.route({}, HEARTBEAT_TASK)
    assert route["queue"].name == MAINTENANCE_QUEUE
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.task_acks_late and celery_app.conf.task_reject_on_worker_lost
    assert celery_app.conf.worker_prefetch_multiplier == 1


def test_maintenance_tasks_through_a_real_worker(celery_app: Celery) -> None:
    """expire_missed_tasks expires a missed block; apply_performance recomputes mastery."""
    from datetime import UTC, datetime, timedelta

    from db.models import MasteryRecord, PerformanceRecord, StudyTask
    from planner.lifecycle import TaskStatus
    from tests.integration.db.factories import add_course, add_task, add_topic, add_user

    engine = get_engine(celery_app.conf.studyplanner_database_url)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        user = add_user(session)
        course = add_course(session, user)
        topic = add_topic(session, course)
        missed = add_task(
            session,
            user,
            course,
            status=TaskStatus.SCHEDULED,
            scheduled_start=now - timedelta(hours=3),
            scheduled_end=now - timedelta(hours=2),
        )
        record = PerformanceRecord(
            user_id=user.id,
            course_id=course.id,
            score=8,
            max_score=10,
            percentage=80,
            time_spent_min=20,
            completed_at=now - timedelta(days=1),
            topic_breakdown={str(topic.id): {"correct": 8, "total": 10}},
        )
        session.add(record)
        session.flush()
        ids = (missed.id, record.id, topic.id)
    with start_worker(celery_app, pool="solo", perform_ping_check=True, shutdown_timeout=20):
        expired = celery_app.send_task("studyplanner.maintenance.expire_missed_tasks").get(
            timeout=60
        )
        applied = celery_app.send_task(
            "studyplanner.maintenance.apply_performance", args=(str(ids[1]),)
        ).get(timeout=60)
    assert expired["expired"] >= 1 and applied == {"updated": 1}
    with session_scope(engine) as session:
        task = session.get(StudyTask, ids[0])
        assert task is not None and task.status is TaskStatus.EXPIRED
        mastery = session.scalars(
            select(MasteryRecord).where(MasteryRecord.topic_id == ids[2])
        ).one()
        assert mastery.mastery_score == 80.0
