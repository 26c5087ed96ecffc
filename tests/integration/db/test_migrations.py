"""The migrations build exactly the models' schema, with every seed 004 index, and come down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect

from db import migrate
from tests.scratch import create_scratch_postgres, drop_scratch_postgres

SEED_004_INDEXES = {
    "users": {"idx_user_email"},
    "courses": {"idx_course_user_id", "idx_course_active"},
    "topics": {"idx_topic_course_id"},
    "assessments": {"idx_assessment_due_date"},
    "performance_records": {"idx_perf_user_course", "idx_perf_assessment", "idx_perf_completed"},
    "mastery_records": {"idx_mastery_user_topic", "idx_mastery_review"},
    "study_tasks": {"idx_task_user_status", "idx_task_scheduled", "idx_task_priority"},
    "calendar_blocks": {"idx_calendar_user_time", "idx_calendar_event"},
}
SEED_004_TABLES = {
    "users", "user_preferences", "courses", "topics", "assessments", "assessment_topics",
    "performance_records", "mastery_records", "study_tasks", "calendar_blocks", "notion_tasks",
    "integration_settings",
}  # fmt: skip
OUR_TABLES = {"study_paths", "task_events", "sync_runs", "sync_errors", "assessment_feeds"}
PUSH_TABLES = {"push_channels", "sync_requests", "webhook_secrets", "notion_webhook_events"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                       ) -> Iterator[str]:  # fmt: skip
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('mig') / 'm.sqlite3'}"
        return
    base = str(request.getfixturevalue("postgres_base_url"))
    url = create_scratch_postgres(base)
    yield url
    drop_scratch_postgres(base, url)


def test_upgrade_check_downgrade(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    migrate.check(empty_database_url)  # raises on any drift between models and schema

    engine = create_engine(empty_database_url)
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    assert tables >= SEED_004_TABLES | OUR_TABLES | PUSH_TABLES
    for table, expected in SEED_004_INDEXES.items():
        names = {ix["name"] for ix in inspector.get_indexes(table)}
        assert expected <= names, f"{table} lacks {expected - names}"
    unique = {ix["name"] for ix in inspector.get_indexes("mastery_records") if ix["unique"]}
    assert "idx_mastery_user_topic" in unique
    engine.dispose()

    migrate.downgrade(empty_database_url, "base")
    engine = create_engine(empty_database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()

    migrate.upgrade(empty_database_url)  # and back up again: downgrade left nothing behind
    migrate.check(empty_database_url)


def test_push_tables_come_and_go_with_0006(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url, "0006")
    engine = create_engine(empty_database_url)
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) >= PUSH_TABLES
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("push_channels")}
    assert ("channel_id",) in uniques
    engine.dispose()

    migrate.downgrade(empty_database_url, "0005")
    engine = create_engine(empty_database_url)
    inspector = inspect(engine)
    assert not PUSH_TABLES & set(inspector.get_table_names())
    names = {ix["name"] for ix in inspector.get_indexes("integration_settings")}
    assert "ix_integration_settings_notion_data_source_id" not in names
    engine.dispose()
