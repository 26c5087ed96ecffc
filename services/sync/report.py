"""The report of one sync and its recording: what Flower, `status` and the API show.

Recording happens in one place: a `sync_runs` row (counts, outcome, duration, details) and one
`sync_errors` row per failure. Nothing secret goes into either.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, update

from db.enums import Provider, SyncOutcome
from db.models import SyncError, SyncRun
from db.session import session_scope
from integrations.errors import IntegrationError, TransientError
from planner.values import Plan


@dataclass(frozen=True)
class SyncOptions:
    trigger: str = "schedule"
    dry_run: bool = False
    accept_remote_empty: bool = False


@dataclass
class RecordedError:
    provider: Provider
    operation: str
    error: IntegrationError | None = None
    message: str = ""
    object_id: str | None = None

    @property
    def retryable(self) -> bool:
        return bool(self.error and self.error.retryable)

    def text(self) -> str:
        return self.message or (str(self.error) if self.error else "")


@dataclass
class SyncReport:
    user_id: uuid.UUID
    outcome: SyncOutcome = SyncOutcome.OK
    run_id: uuid.UUID | None = None
    counts: dict[str, int] = field(default_factory=dict)
    reconciled: list[str] = field(default_factory=list)
    errors: list[RecordedError] = field(default_factory=list)
    # Transient failures the sync got over: recorded (resolved), never counted as failures.
    recovered: list[RecordedError] = field(default_factory=list)
    plan: Plan | None = None
    later: dict[str, Any] = field(default_factory=dict)  # blocks planned beyond the window
    duration_ms: int = 0

    def add(self, key: str, value: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + value

    @property
    def retry_after(self) -> float | None:
        waits = [
            e.error.retry_after or 30.0 for e in self.errors if isinstance(e.error, TransientError)
        ]
        return max(waits) if waits else None

    def details(self) -> dict[str, Any]:
        at_risk = []
        if self.plan is not None:
            at_risk = [
                {
                    "assessment_id": item.assessment_id,
                    "minutes_missing": item.minutes_missing,
                    "reason_code": item.reason_code,
                    "reason": item.reason,
                }
                for item in self.plan.at_risk
            ]
        return {
            "reconciled": self.reconciled[:200],
            "at_risk": at_risk[:200],
            "later": self.later,
        }

    def summary(self) -> dict[str, Any]:
        """Small and secret-free: what the Celery result (and Flower) shows."""
        return {
            "user_id": str(self.user_id),
            "outcome": self.outcome.value,
            "counts": self.counts,
            "errors": [
                {
                    "provider": e.provider.value,
                    "operation": e.operation,
                    "code": getattr(e.error, "code", None),
                    "retryable": e.retryable,
                }
                for e in self.errors
            ],
            "duration_ms": self.duration_ms,
        }


def record(engine: Engine, report: SyncReport, now: datetime) -> None:
    with session_scope(engine) as session:
        if report.run_id is not None:
            session.execute(
                update(SyncRun)
                .where(SyncRun.id == report.run_id)
                .values(
                    finished_at=datetime.now(UTC),
                    duration_ms=report.duration_ms,
                    outcome=report.outcome,
                    counts=dict(report.counts),
                    details=report.details(),
                )
            )
        resolved = datetime.now(UTC)
        if report.outcome is SyncOutcome.OK:
            # A clean run is proof that the earlier passing trouble (a 503, a timeout) is over:
            # left open, it would be listed by `status` for ever. Permanent errors (a revoked
            # grant, an unreadable key) are cleared by their own remedy, not by this.
            session.execute(
                update(SyncError)
                .where(
                    SyncError.user_id == report.user_id,
                    SyncError.resolved_at.is_(None),
                    SyncError.retryable.is_(True),
                )
                .values(resolved_at=resolved)
            )
        for error, resolved_at in [(e, None) for e in report.errors] + [
            (e, resolved) for e in report.recovered
        ]:
            exc = error.error
            session.add(
                SyncError(
                    user_id=report.user_id,
                    sync_run_id=report.run_id,
                    provider=error.provider,
                    operation=error.operation[:64],
                    object_id=error.object_id,
                    http_status=getattr(exc, "status", None),
                    error_code=getattr(exc, "code", None),
                    message=error.text()[:2000],
                    retryable=error.retryable,
                    resolved_at=resolved_at,
                )
            )


def record_skipped(engine: Engine, user_id: uuid.UUID, options: SyncOptions) -> None:
    with session_scope(engine) as session:
        now = datetime.now(UTC)
        session.add(
            SyncRun(
                user_id=user_id,
                trigger=options.trigger,
                started_at=now,
                finished_at=now,
                duration_ms=0,
                outcome=SyncOutcome.SKIPPED,
                counts={"locked_by_another_sync": 1},
            )
        )


def record_retries_exhausted(engine: Engine, report: SyncReport, retries: int) -> None:
    """The task gave up on a sync that still failed transiently after `retries` retries: one
    open error on the last run (and a count in it), so an admin sees the sync was abandoned."""
    failing = next((e for e in report.errors if e.retryable), None)
    if failing is None or report.run_id is None:
        return
    with session_scope(engine) as session:
        run = session.get(SyncRun, report.run_id)
        if run is not None:
            run.counts = {**run.counts, "retries_exhausted": retries}
        session.add(
            SyncError(
                user_id=report.user_id,
                sync_run_id=report.run_id,
                provider=failing.provider,
                operation="retry_limit",
                http_status=getattr(failing.error, "status", None),
                error_code="retries_exhausted",
                message=(
                    f"gave up after {retries} retries; the last failure: {failing.text()}; "
                    "the next scheduled sync tries again"
                )[:2000],
                retryable=True,
            )
        )
