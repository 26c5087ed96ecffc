"""initial schema: seed 004 entities, study paths, task events, sync bookkeeping

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21 23:56:11.595396
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("school_name", sa.String(length=200), nullable=True),
        sa.Column(
            "academic_level",
            sa.Enum(
                "high_school",
                "undergraduate",
                "graduate",
                "other",
                name="academic_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("major", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_verified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("idx_user_email", ["email"], unique=True)

    op.create_table(
        "worker_heartbeats",
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beats", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hostname", name=op.f("pk_worker_heartbeats")),
    )
    op.create_table(
        "courses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("instructor_name", sa.String(length=200), nullable=True),
        sa.Column("credit_hours", sa.Float(), nullable=False),
        sa.Column("semester", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("assessments_complete", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_date > start_date", name=op.f("ck_courses_dates_ordered")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_courses_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("user_id", "code", name=op.f("uq_courses_user_id_code")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index("idx_course_active", ["user_id", "is_archived"], unique=False)
        batch_op.create_index("idx_course_user_id", ["user_id"], unique=False)

    op.create_table(
        "integration_settings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("google_calendar_enabled", sa.Boolean(), nullable=False),
        sa.Column("google_access_token", sa.LargeBinary(), nullable=True),
        sa.Column("google_refresh_token", sa.LargeBinary(), nullable=True),
        sa.Column("google_token_expiry", sa.DateTime(timezone=True), nullable=True),
        sa.Column("google_calendar_id", sa.String(length=1024), nullable=True),
        sa.Column("google_monitored_calendars", sa.JSON(), nullable=False),
        sa.Column("google_sync_token", sa.String(length=1024), nullable=True),
        sa.Column(
            "google_health",
            sa.Enum(
                "ok",
                "needs_reauth",
                "needs_attention",
                name="google_health",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notion_enabled", sa.Boolean(), nullable=False),
        sa.Column("notion_access_token", sa.LargeBinary(), nullable=True),
        sa.Column("notion_database_id", sa.String(length=64), nullable=True),
        sa.Column("notion_data_source_id", sa.String(length=64), nullable=True),
        sa.Column("notion_two_way_sync", sa.Boolean(), nullable=False),
        sa.Column("notion_property_map", sa.JSON(), nullable=False),
        sa.Column("notion_watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "notion_health",
            sa.Enum(
                "ok",
                "needs_reauth",
                "needs_attention",
                name="notion_health",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("auto_sync_interval_min", sa.Integer(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "auto_sync_interval_min >= 1 AND auto_sync_interval_min <= 1440",
            name=op.f("ck_integration_settings_sync_interval"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_integration_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_settings")),
        sa.UniqueConstraint("user_id", name=op.f("uq_integration_settings_user_id")),
    )
    with op.batch_alter_table("integration_settings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_integration_settings_last_sync_at", ["last_sync_at"], unique=False
        )

    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("providers", sa.JSON(), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "running",
                "ok",
                "partial",
                "failed",
                "skipped",
                name="sync_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_runs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_runs_user_id_started_at", ["user_id", "started_at"], unique=False
        )

    op.create_table(
        "user_preferences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("max_hours_per_day", sa.Float(), nullable=False),
        sa.Column("preferred_block_length_min", sa.Integer(), nullable=False),
        sa.Column("break_length_min", sa.Integer(), nullable=False),
        sa.Column("earliest_start_time", sa.Time(), nullable=False),
        sa.Column("latest_end_time", sa.Time(), nullable=False),
        sa.Column("weekly_availability", sa.JSON(), nullable=False),
        sa.Column(
            "difficulty_curve",
            sa.Enum(
                "gentle",
                "balanced",
                "aggressive",
                name="difficulty_curve",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("study_mode_preferences", sa.JSON(), nullable=False),
        sa.Column("enable_spaced_repetition", sa.Boolean(), nullable=False),
        sa.Column("min_review_interval_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "break_length_min >= 5 AND break_length_min <= 60",
            name=op.f("ck_user_preferences_break_length"),
        ),
        sa.CheckConstraint(
            "max_hours_per_day >= 1 AND max_hours_per_day <= 16",
            name=op.f("ck_user_preferences_max_hours"),
        ),
        sa.CheckConstraint(
            "min_review_interval_days >= 1 AND min_review_interval_days <= 365",
            name=op.f("ck_user_preferences_review_interval"),
        ),
        sa.CheckConstraint(
            "preferred_block_length_min >= 15 AND preferred_block_length_min <= 180",
            name=op.f("ck_user_preferences_block_length"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_preferences")),
        sa.UniqueConstraint("user_id", name=op.f("uq_user_preferences_user_id")),
    )
    op.create_table(
        "assessment_feeds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("url", sa.LargeBinary(), nullable=False),
        sa.Column("default_course_id", sa.Uuid(), nullable=True),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("last_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["default_course_id"],
            ["courses.id"],
            name=op.f("fk_assessment_feeds_default_course_id_courses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assessment_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_feeds")),
    )
    with op.batch_alter_table("assessment_feeds", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_feeds_user_id", ["user_id"], unique=False)

    op.create_table(
        "sync_errors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sync_run_id", sa.Uuid(), nullable=True),
        sa.Column(
            "provider",
            sa.Enum(
                "google",
                "notion",
                "feed",
                "planner",
                name="provider",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=1024), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=128), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sync_run_id"],
            ["sync_runs.id"],
            name=op.f("fk_sync_errors_sync_run_id_sync_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_errors_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_errors")),
    )
    with op.batch_alter_table("sync_errors", schema=None) as batch_op:
        batch_op.create_index("ix_sync_errors_sync_run_id", ["sync_run_id"], unique=False)
        batch_op.create_index(
            "ix_sync_errors_user_id_created_at", ["user_id", "created_at"], unique=False
        )

    op.create_table(
        "topics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "estimated_difficulty",
            sa.Enum(
                "easy",
                "medium",
                "hard",
                "exam_level",
                name="difficulty",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("prerequisite_topic_ids", sa.JSON(), nullable=False),
        sa.Column("resource_links", sa.JSON(), nullable=False),
        sa.Column("order_index", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_topics_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("course_id", "name", name=op.f("uq_topics_course_id_name")),
    )
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.create_index("idx_topic_course_id", ["course_id"], unique=False)

    op.create_table(
        "assessments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "quiz",
                "assignment",
                "midterm",
                "final",
                "project",
                name="assessment_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("weight_percent", sa.Float(), nullable=False),
        sa.Column("due_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("estimated_duration_min", sa.Integer(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_completed", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "cancelled",
                name="assessment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("external_uid", sa.String(length=512), nullable=True),
        sa.Column("feed_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "estimated_duration_min > 0", name=op.f("ck_assessments_duration_positive")
        ),
        sa.CheckConstraint("max_score > 0", name=op.f("ck_assessments_max_score_positive")),
        sa.CheckConstraint(
            "weight_percent >= 0 AND weight_percent <= 100",
            name=op.f("ck_assessments_weight_range"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_assessments_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["assessment_feeds.id"],
            name=op.f("fk_assessments_feed_id_assessment_feeds"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint(
            "course_id", "external_uid", name=op.f("uq_assessments_course_id_external_uid")
        ),
        sa.UniqueConstraint("course_id", "name", name=op.f("uq_assessments_course_id_name")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index("idx_assessment_due_date", ["course_id", "due_date"], unique=False)

    op.create_table(
        "mastery_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("mastery_score", sa.Float(), nullable=False),
        sa.Column("confidence_interval", sa.Float(), nullable=False),
        sa.Column(
            "trend",
            sa.Enum(
                "improving",
                "stable",
                "declining",
                "new",
                name="trend",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("last_practiced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_review_date", sa.Date(), nullable=True),
        sa.Column("review_interval_days", sa.Integer(), nullable=False),
        sa.Column("practice_count", sa.Integer(), nullable=False),
        sa.Column("quiz_count", sa.Integer(), nullable=False),
        sa.Column("fsrs_card", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "confidence_interval >= 0 AND confidence_interval <= 50",
            name=op.f("ck_mastery_records_confidence_range"),
        ),
        sa.CheckConstraint(
            "mastery_score >= 0 AND mastery_score <= 100",
            name=op.f("ck_mastery_records_mastery_range"),
        ),
        sa.CheckConstraint(
            "review_interval_days >= 1 AND review_interval_days <= 365",
            name=op.f("ck_mastery_records_review_interval"),
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_mastery_records_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_mastery_records_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mastery_records")),
    )
    with op.batch_alter_table("mastery_records", schema=None) as batch_op:
        batch_op.create_index("idx_mastery_review", ["user_id", "next_review_date"], unique=False)
        batch_op.create_index("idx_mastery_user_topic", ["user_id", "topic_id"], unique=True)

    op.create_table(
        "study_paths",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "completed",
                name="path_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("current_topic_id", sa.Uuid(), nullable=True),
        sa.Column("completed_topic_ids", sa.JSON(), nullable=False),
        sa.Column("assessment_results", sa.JSON(), nullable=False),
        sa.Column("last_accessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_study_paths_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["current_topic_id"],
            ["topics.id"],
            name=op.f("fk_study_paths_current_topic_id_topics"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_study_paths_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_paths")),
        sa.UniqueConstraint("user_id", "course_id", name=op.f("uq_study_paths_user_id_course_id")),
    )
    op.create_table(
        "assessment_topics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("question_count", sa.Integer(), nullable=True),
        sa.Column("weight_in_assessment", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "weight_in_assessment IS NULL OR (weight_in_assessment >= 0 AND weight_in_assessment <= 100)",
            name=op.f("ck_assessment_topics_weight_range"),
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_topics_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_assessment_topics_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_topics")),
        sa.UniqueConstraint(
            "assessment_id", "topic_id", name=op.f("uq_assessment_topics_assessment_id_topic_id")
        ),
    )
    with op.batch_alter_table("assessment_topics", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_topics_topic_id", ["topic_id"], unique=False)

    op.create_table(
        "performance_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=True),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("percentage", sa.Float(), nullable=False),
        sa.Column("time_spent_min", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic_breakdown", sa.JSON(), nullable=False),
        sa.Column("question_data", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("max_score > 0", name=op.f("ck_performance_records_max_score_positive")),
        sa.CheckConstraint(
            "percentage >= 0 AND percentage <= 100",
            name=op.f("ck_performance_records_percentage_range"),
        ),
        sa.CheckConstraint(
            "score >= 0 AND score <= max_score", name=op.f("ck_performance_records_score_range")
        ),
        sa.CheckConstraint(
            "time_spent_min > 0", name=op.f("ck_performance_records_time_spent_positive")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_performance_records_assessment_id_assessments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_performance_records_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_performance_records_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_records")),
    )
    with op.batch_alter_table("performance_records", schema=None) as batch_op:
        batch_op.create_index("idx_perf_assessment", ["assessment_id"], unique=False)
        batch_op.create_index("idx_perf_completed", ["user_id", "completed_at"], unique=False)
        batch_op.create_index("idx_perf_user_course", ["user_id", "course_id"], unique=False)

    op.create_table(
        "study_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=True),
        sa.Column("path_id", sa.Uuid(), nullable=True),
        sa.Column("plan_key", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "task_type",
            sa.Enum(
                "reading",
                "problem_set",
                "quiz",
                "review",
                "project",
                "flashcards",
                name="task_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "difficulty",
            sa.Enum(
                "easy",
                "medium",
                "hard",
                "exam_level",
                name="difficulty",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("topic_ids", sa.JSON(), nullable=False),
        sa.Column("estimated_duration_min", sa.Integer(), nullable=False),
        sa.Column("scheduled_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "scheduled",
                "in_progress",
                "completed",
                "skipped",
                "expired",
                name="task_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("completion_percentage", sa.Float(), nullable=False),
        sa.Column("priority_score", sa.Float(), nullable=False),
        sa.Column("is_pinned", sa.Boolean(), nullable=False),
        sa.Column("calendar_event_id", sa.String(length=1024), nullable=True),
        sa.Column("notion_page_id", sa.String(length=64), nullable=True),
        sa.Column("expected_mastery_gain", sa.Float(), nullable=False),
        sa.Column("actual_mastery_gain", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("evaluation", sa.JSON(), nullable=False),
        sa.Column("plan_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "completion_percentage >= 0 AND completion_percentage <= 100",
            name=op.f("ck_study_tasks_completion_range"),
        ),
        sa.CheckConstraint(
            "estimated_duration_min > 0", name=op.f("ck_study_tasks_duration_positive")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_study_tasks_assessment_id_assessments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_study_tasks_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["path_id"],
            ["study_paths.id"],
            name=op.f("fk_study_tasks_path_id_study_paths"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_study_tasks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_tasks")),
        sa.UniqueConstraint("user_id", "plan_key", name=op.f("uq_study_tasks_user_id_plan_key")),
    )
    with op.batch_alter_table("study_tasks", schema=None) as batch_op:
        batch_op.create_index("idx_task_priority", ["user_id", "priority_score"], unique=False)
        batch_op.create_index("idx_task_scheduled", ["user_id", "scheduled_start"], unique=False)
        batch_op.create_index("idx_task_user_status", ["user_id", "status"], unique=False)
        batch_op.create_index(
            "ix_study_tasks_path_id_scheduled_start", ["path_id", "scheduled_start"], unique=False
        )

    op.create_table(
        "calendar_blocks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("study_task_id", sa.Uuid(), nullable=True),
        sa.Column("google_calendar_id", sa.String(length=1024), nullable=True),
        sa.Column("google_event_id", sa.String(length=1024), nullable=True),
        sa.Column("google_etag", sa.String(length=128), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_synced", sa.Boolean(), nullable=False),
        sa.Column("is_dirty", sa.Boolean(), nullable=False),
        sa.Column("pending_delete", sa.Boolean(), nullable=False),
        sa.Column("is_tombstoned", sa.Boolean(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.Column("manually_modified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_calendar_blocks_times_ordered")),
        sa.ForeignKeyConstraint(
            ["study_task_id"],
            ["study_tasks.id"],
            name=op.f("fk_calendar_blocks_study_task_id_study_tasks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_blocks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_blocks")),
        sa.UniqueConstraint("study_task_id", name=op.f("uq_calendar_blocks_study_task_id")),
    )
    with op.batch_alter_table("calendar_blocks", schema=None) as batch_op:
        batch_op.create_index("idx_calendar_event", ["google_event_id"], unique=False)
        batch_op.create_index("idx_calendar_user_time", ["user_id", "start_time"], unique=False)
        batch_op.create_index(
            "ix_calendar_blocks_user_id_is_dirty", ["user_id", "is_dirty"], unique=False
        )

    op.create_table(
        "notion_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("study_task_id", sa.Uuid(), nullable=False),
        sa.Column("notion_database_id", sa.String(length=64), nullable=True),
        sa.Column("notion_page_id", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("is_synced", sa.Boolean(), nullable=False),
        sa.Column("is_dirty", sa.Boolean(), nullable=False),
        sa.Column("pending_trash", sa.Boolean(), nullable=False),
        sa.Column("is_trashed", sa.Boolean(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_remote_edit_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.Column("notion_properties", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_task_id"],
            ["study_tasks.id"],
            name=op.f("fk_notion_tasks_study_task_id_study_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notion_tasks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notion_tasks")),
        sa.UniqueConstraint("study_task_id", name=op.f("uq_notion_tasks_study_task_id")),
    )
    with op.batch_alter_table("notion_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_notion_tasks_notion_page_id", ["notion_page_id"], unique=False)
        batch_op.create_index(
            "ix_notion_tasks_user_id_is_dirty", ["user_id", "is_dirty"], unique=False
        )

    op.create_table(
        "task_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "event_type",
            sa.Enum(
                "created",
                "scheduled",
                "rescheduled",
                "started",
                "submitted",
                "evaluated",
                "status_changed",
                "synced",
                "conflict",
                "reopened",
                name="task_event_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "planner",
                "google",
                "notion",
                "cli",
                "system",
                name="event_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["study_tasks.id"],
            name=op.f("fk_task_events_task_id_study_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_events_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_events")),
    )
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_events_task_id_created_at", ["task_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_task_events_user_id_created_at", ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.drop_index("ix_task_events_user_id_created_at")
        batch_op.drop_index("ix_task_events_task_id_created_at")

    op.drop_table("task_events")
    with op.batch_alter_table("notion_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_notion_tasks_user_id_is_dirty")
        batch_op.drop_index("ix_notion_tasks_notion_page_id")

    op.drop_table("notion_tasks")
    with op.batch_alter_table("calendar_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_blocks_user_id_is_dirty")
        batch_op.drop_index("idx_calendar_user_time")
        batch_op.drop_index("idx_calendar_event")

    op.drop_table("calendar_blocks")
    with op.batch_alter_table("study_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_study_tasks_path_id_scheduled_start")
        batch_op.drop_index("idx_task_user_status")
        batch_op.drop_index("idx_task_scheduled")
        batch_op.drop_index("idx_task_priority")

    op.drop_table("study_tasks")
    with op.batch_alter_table("performance_records", schema=None) as batch_op:
        batch_op.drop_index("idx_perf_user_course")
        batch_op.drop_index("idx_perf_completed")
        batch_op.drop_index("idx_perf_assessment")

    op.drop_table("performance_records")
    with op.batch_alter_table("assessment_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_topics_topic_id")

    op.drop_table("assessment_topics")
    op.drop_table("study_paths")
    with op.batch_alter_table("mastery_records", schema=None) as batch_op:
        batch_op.drop_index("idx_mastery_user_topic")
        batch_op.drop_index("idx_mastery_review")

    op.drop_table("mastery_records")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index("idx_assessment_due_date")

    op.drop_table("assessments")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.drop_index("idx_topic_course_id")

    op.drop_table("topics")
    with op.batch_alter_table("sync_errors", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_errors_user_id_created_at")
        batch_op.drop_index("ix_sync_errors_sync_run_id")

    op.drop_table("sync_errors")
    with op.batch_alter_table("assessment_feeds", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_feeds_user_id")

    op.drop_table("assessment_feeds")
    op.drop_table("user_preferences")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_runs_user_id_started_at")

    op.drop_table("sync_runs")
    with op.batch_alter_table("integration_settings", schema=None) as batch_op:
        batch_op.drop_index("ix_integration_settings_last_sync_at")

    op.drop_table("integration_settings")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index("idx_course_user_id")
        batch_op.drop_index("idx_course_active")

    op.drop_table("courses")
    op.drop_table("worker_heartbeats")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("idx_user_email")

    op.drop_table("users")
