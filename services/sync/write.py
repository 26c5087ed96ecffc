"""The write step: decide and plan on the rows loaded once, apply, and advance the cursors, all
in ONE transaction. The Google sync token and the Notion watermark move only together with the
changes they produced; a dry run computes everything and rolls back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update

from db.enums import IntegrationHealth, Provider
from db.models import IntegrationSettings
from db.plan_inputs import load_plan_inputs
from db.session import session_scope
from db.user_rows import UserRows
from integrations.errors import NeedsReauthError, NotFoundError
from planner.core import plan
from services.sync.apply import (
    Mirrors,
    adopt_unmirrored,
    apply_decisions,
    apply_plan_writes,
    take_listed_etags,
)
from services.sync.decide import Observed, decide, observe
from services.sync.gather import Gathered
from services.sync.horizon import Horizon, split_near
from services.sync.report import RecordedError, SyncOptions, SyncReport
from sync.diff import diff_plan


def write(
    engine: Engine,
    user_id: uuid.UUID,
    zone: str,
    integration: IntegrationSettings,
    gathered: Gathered,
    now: datetime,
    options: SyncOptions,
    report: SyncReport,
    horizon: Horizon,
) -> set[str]:
    """Returns the remotes with work to push. The planner sees the whole planning span; only
    the blocks of the near window are written (`services.sync.horizon`)."""
    with session_scope(engine) as session:
        rows = UserRows.load(session, user_id)
        mirrors = Mirrors(
            google_calendar_id=gathered.google_calendar_id
            if integration.google_calendar_enabled
            else None,
            notion_database_id=integration.notion_database_id
            if integration.notion_enabled
            else None,
        )
        observed = observe(
            rows,
            gathered.changes,
            gathered.notion_pages,
            zone=zone,
            accept_remote_empty=options.accept_remote_empty,
        )
        for tripped in observed.tripped:
            report.errors.append(
                RecordedError(Provider(tripped.provider), "safety_valve", message=str(tripped))
            )
        decisions = decide(rows, observed, now=now)
        report.reconciled.extend(apply_decisions(session, rows, decisions, mirrors, now=now))
        take_listed_etags(rows, observed.google_etags)
        report.add("reconciled", len(decisions))
        session.flush()

        if gathered.busy is not None:
            inputs = load_plan_inputs(
                session,
                user_id,
                now=now,
                busy=gathered.busy,
                horizon_days=horizon.plan_days,
                tasks=rows.tasks.values(),
            )
            the_plan = plan(inputs, now=now)
            report.plan = the_plan
            near, report.later = split_near(the_plan, now, horizon)
            writes = diff_plan(near, rows.stored())
            for kind, count in apply_plan_writes(
                session, rows, writes, mirrors, user_id=user_id, now=now
            ).items():
                report.add(f"tasks_{kind}", count)
            report.add("at_risk", len(the_plan.at_risk))
            if report.later["block_count"]:
                report.add("planned_later", report.later["block_count"])
        else:
            report.add("plan_skipped", 1)
        adopted = adopt_unmirrored(rows, mirrors, now=now)
        if adopted:
            report.add("tasks_adopted", adopted)
            # New mirror rows of tasks the plan did not touch join the session here.
            for mirror in [*rows.blocks.values(), *rows.pages.values()]:
                if mirror not in session:
                    session.add(mirror)

        session.execute(
            update(IntegrationSettings)
            .where(IntegrationSettings.id == integration.id)
            .values(**_integration_changes(integration, gathered, observed, report, now))
        )
        pending = set()
        if any(b.is_dirty and not b.is_tombstoned for b in rows.blocks.values()):
            pending.add("google")
        if any(p.is_dirty and not p.is_trashed for p in rows.pages.values()):
            pending.add("notion")
        if options.dry_run:
            session.rollback()  # computed and reported, written nowhere
    return pending


def _integration_changes(
    integration: IntegrationSettings,
    gathered: Gathered,
    observed: Observed,
    report: SyncReport,
    now: datetime,
) -> dict[str, Any]:
    """The integration row's new cursors and health, applied in one UPDATE."""
    changes: dict[str, Any] = {}
    for tripped in observed.tripped:
        changes[f"{tripped.provider}_health"] = IntegrationHealth.NEEDS_ATTENTION
    if (
        gathered.google_calendar_id
        and gathered.google_calendar_id != integration.google_calendar_id
    ):
        changes["google_calendar_id"] = gathered.google_calendar_id
    if gathered.changes is not None and not observed.tripped_for("google"):
        changes["google_sync_token"] = gathered.changes.next_sync_token
    if gathered.notion_pages is not None and not observed.tripped_for("notion"):
        changes["notion_watermark"] = gathered.notion_watermark
    if gathered.google_token is not None:
        changes["google_access_token"], changes["google_token_expiry"] = gathered.google_token
    for error in report.errors:
        if isinstance(error.error, NeedsReauthError):
            changes[f"{error.provider.value}_health"] = IntegrationHealth.NEEDS_REAUTH
        elif isinstance(error.error, NotFoundError) and error.operation != "pull":
            changes[f"{error.provider.value}_health"] = IntegrationHealth.NEEDS_ATTENTION
    changes["last_sync_at"] = now
    return changes
