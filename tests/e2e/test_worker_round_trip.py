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
from worker.celery_app import HEARTBEAT_TASK, MAINTENANCE_QUEUE, create_app
from worker.settings import Settings


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
