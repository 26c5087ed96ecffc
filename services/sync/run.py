"""One student's sync: pull → reconcile → plan → write → push → record (DESIGN.md).

Plain functions: the Celery task `studyplanner.sync.sync_user` and `studyplanner sync` call the
same `sync_user`. Rules it keeps:
- one sync per user at a time (services.sync.lock); a second one is dropped and recorded `skipped`;
- reconcile, plan and write happen in ONE transaction, together with the new Google sync token
  and Notion watermark: the cursors advance only with the changes they produced;
- network calls happen outside transactions; each push outcome is written back as it comes;
- a provider failure is recorded (`sync_errors`, the row's `sync_error`) and does not stop the
  other provider; without trustworthy busy times (freebusy failed) nothing is re-planned;
- the safety valve: a remote that suddenly lists none of our items deletes nothing.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.enums import IntegrationHealth, Provider, SyncOutcome
from db.models import (
    Assessment,
    CalendarBlock,
    Course,
    IntegrationSettings,
    SyncError,
    SyncRun,
    Topic,
    User,
)
from db.plan_inputs import load_plan_inputs
from db.session import session_scope
from integrations.errors import IntegrationError, NeedsReauthError, NotFoundError, TransientError
from integrations.google_calendar import BusyInterval, ChangeSet, GoogleCalendarClient, RemoteEvent
from integrations.notion import NotionClient, RemotePage, advance_watermark
from planner.core import plan
from planner.values import BusyInterval as PlanBusy
from planner.values import Plan
from services.settings import Settings
from services.sync.lock import UserLock
from services.sync.providers import google_client, notion_client
from services.sync.push import PushOutcome, push_google, push_notion
from services.sync.write import Mirrors, UserRows, apply_decisions, apply_plan_writes
from sync.diff import diff_plan
from sync.reconcile import GoogleSeen, NotionSeen, RemoteEmpty, looks_emptied, reconcile

ProviderName = Literal["google", "notion"]


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
    plan: Plan | None = None
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
        return {"reconciled": self.reconciled[:200], "at_risk": at_risk[:200]}

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


@dataclass
class Pulled:
    """What the pull step learned. `busy` is None when busy times could not be trusted."""

    busy: list[PlanBusy] | None = None
    google_calendar_id: str | None = None
    changes: ChangeSet | None = None
    notion_pages: list[RemotePage] | None = None
    notion_watermark: datetime | None = None
    google_token: tuple[str, datetime | None] | None = None


def sync_user(
    engine: Engine,
    settings: Settings,
    user_id: uuid.UUID,
    *,
    now: datetime | None = None,
    options: SyncOptions = SyncOptions(),
) -> SyncReport:
    # Outlives the task's hard time limit: a sync killed by the limit still holds it to the end.
    lock = UserLock(engine, settings.effective_redis_url, ttl_s=2 * settings.task_time_limit_s)
    with lock.hold(user_id) as held:
        if not held:
            report = SyncReport(user_id, SyncOutcome.SKIPPED)
            if not options.dry_run:
                _record_skipped(engine, user_id, options)
            return report
        return _sync_locked(engine, settings, user_id, now or datetime.now(UTC), options)


def _sync_locked(
    engine: Engine, settings: Settings, user_id: uuid.UUID, now: datetime, options: SyncOptions
) -> SyncReport:
    started = time.monotonic()
    report = SyncReport(user_id)
    with session_scope(engine) as session:
        zone, integration = _user_and_integration(session, user_id)
        if not options.dry_run:
            run = SyncRun(
                user_id=user_id,
                providers=_providers(integration),
                trigger=options.trigger,
                started_at=now,
            )
            session.add(run)
            session.flush()
            report.run_id = run.id

    google = _google(settings, integration, report)
    notion = _notion(settings, integration, report)
    try:
        pulled = _pull(integration, google, notion, now, zone, settings, report)
        pending = _write(engine, settings, user_id, zone, integration, pulled, now, options, report)
        if not options.dry_run:
            _push(engine, user_id, integration, pulled, google, notion, now, report, pending)
    finally:
        if google is not None:
            google.close()
        if notion is not None:
            notion.close()
    report.duration_ms = round((time.monotonic() - started) * 1000)
    if report.errors:
        pushed_any = report.counts.get("google_writes", 0) + report.counts.get("notion_writes", 0)
        report.outcome = (
            SyncOutcome.PARTIAL if pushed_any or len(report.errors) < 2 else SyncOutcome.FAILED
        )
    if not options.dry_run:
        _record(engine, report, now)
    return report


def _user_and_integration(session: Session, user_id: uuid.UUID) -> tuple[str, IntegrationSettings]:
    """The user's time zone and a detached copy of their integration row, in one query."""
    found = session.execute(
        select(User.timezone, IntegrationSettings)
        .outerjoin(IntegrationSettings, IntegrationSettings.user_id == User.id)
        .where(User.id == user_id)
    ).first()
    if found is None:
        raise LookupError(f"no user {user_id}")
    zone, integration = found
    if integration is None:
        integration = IntegrationSettings(user_id=user_id)
        session.add(integration)
        session.flush()
    session.expunge(integration)
    return str(zone), integration


def _providers(integration: IntegrationSettings) -> list[str]:
    names = []
    if integration.google_calendar_enabled:
        names.append("google")
    if integration.notion_enabled:
        names.append("notion")
    return names


def _google(
    settings: Settings, integration: IntegrationSettings, report: SyncReport
) -> GoogleCalendarClient | None:
    if not integration.google_calendar_enabled or integration.google_health != IntegrationHealth.OK:
        return None
    try:
        return google_client(settings, integration)
    except IntegrationError as exc:
        report.errors.append(RecordedError(Provider.GOOGLE, "credentials", exc))
        return None


def _notion(
    settings: Settings, integration: IntegrationSettings, report: SyncReport
) -> NotionClient | None:
    if not integration.notion_enabled or integration.notion_health != IntegrationHealth.OK:
        return None
    if not integration.notion_property_map.get("data_source_id"):
        report.errors.append(
            RecordedError(
                Provider.NOTION,
                "schema",
                message="Notion is enabled but not connected to a database",
            )
        )
        return None
    try:
        return notion_client(settings, integration)
    except IntegrationError as exc:
        report.errors.append(RecordedError(Provider.NOTION, "credentials", exc))
        return None


# --- pull -------------------------------------------------------------------------------------


def _pull(
    integration: IntegrationSettings,
    google: GoogleCalendarClient | None,
    notion: NotionClient | None,
    now: datetime,
    zone: str,
    settings: Settings,
    report: SyncReport,
) -> Pulled:
    pulled = Pulled(busy=[] if not integration.google_calendar_enabled else None)
    horizon_end = now + timedelta(days=settings.sync_horizon_days)
    if google is not None:
        try:
            # A stored calendar is trusted: if it was deleted, the listing below answers 404
            # and the sync stops there (recorded, nothing deleted). One call saved per sync.
            calendar_id = integration.google_calendar_id or google.ensure_study_calendar(
                None, time_zone=zone
            )
            pulled.google_calendar_id = calendar_id
            monitored = list(integration.google_monitored_calendars or ["primary"])
            busy = google.freebusy(monitored, now, horizon_end)
            pulled.busy = [_plan_busy(b, zone) for b in busy]
            report.add("busy_intervals", len(busy))
            pulled.changes = google.list_changes(calendar_id, integration.google_sync_token)
            report.add("google_changes", len(pulled.changes.events))
        except IntegrationError as exc:
            report.errors.append(RecordedError(Provider.GOOGLE, exc.operation or "pull", exc))
        if google.refreshed_token is not None:
            token = google.refreshed_token
            pulled.google_token = (token.access_token, token.expiry)
    if notion is not None and integration.notion_two_way_sync:
        data_source_id = integration.notion_property_map["data_source_id"]
        try:
            pages = notion.query_changed_since(data_source_id, integration.notion_watermark)
            pulled.notion_pages = pages
            pulled.notion_watermark = advance_watermark(integration.notion_watermark, pages)
            report.add("notion_changes", len(pages))
        except IntegrationError as exc:
            report.errors.append(RecordedError(Provider.NOTION, exc.operation or "pull", exc))
    return pulled


def _plan_busy(interval: BusyInterval, zone: str) -> PlanBusy:
    return PlanBusy(start=interval.start, end=interval.end, all_day=False)


def _seen_time(value: datetime | date | None, zone: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, datetime.min.time(), ZoneInfo(zone)).astimezone(UTC)


def google_observations(
    rows: UserRows, changes: ChangeSet, zone: str
) -> tuple[dict[str, GoogleSeen], int, int]:
    """Our events as Google holds them, by task id. With a full listing, an event we had
    synced that is not listed at all was deleted during the gap. Returns (seen, synced, gone)."""
    seen: dict[str, GoogleSeen] = {}
    listed: set[uuid.UUID] = set()
    for event in changes.events:
        block = _block_of(rows, event)
        if block is None or block.study_task_id is None:
            continue  # not ours: never touched
        listed.add(block.id)
        seen[str(block.study_task_id)] = GoogleSeen(
            task_id=str(block.study_task_id),
            content_hash=event.content_hash if not event.cancelled else f"cancelled:{event.etag}",
            cancelled=event.cancelled,
            start=_seen_time(event.start, zone),
            end=_seen_time(event.end, zone),
            title=event.summary,
            edited_at=event.updated,
        )
    synced = [
        b
        for b in rows.blocks.values()
        if b.is_synced and not b.is_tombstoned and not b.pending_delete and b.study_task_id
    ]
    if changes.full_resync:
        for block in synced:
            if block.id not in listed:
                seen[str(block.study_task_id)] = GoogleSeen(
                    task_id=str(block.study_task_id), content_hash="gone", cancelled=True
                )
    gone = sum(
        1 for b in synced if str(b.study_task_id) in seen and seen[str(b.study_task_id)].cancelled
    )
    return seen, len(synced), gone


def _block_of(rows: UserRows, event: RemoteEvent) -> CalendarBlock | None:
    block = rows.blocks_by_event.get(event.id)
    if block is not None:
        return block
    block_id = event.block_id
    if block_id is None:
        return None
    return next((b for b in rows.blocks.values() if b.id == block_id), None)


def notion_observations(
    rows: UserRows, pages: list[RemotePage]
) -> tuple[dict[str, NotionSeen], int, int]:
    seen: dict[str, NotionSeen] = {}
    known = {str(t) for t in rows.tasks}
    for page in pages:
        if page.task_id is None or page.task_id not in known:
            continue
        seen[page.task_id] = NotionSeen(
            task_id=page.task_id,
            content_hash=page.content_hash,
            edited_at=page.last_edited_time,
            status=page.status.value if page.status else None,
            in_trash=page.in_trash,
            start=page.scheduled_start,
            end=page.scheduled_end,
            title=page.title,
        )
    synced = sum(1 for p in rows.pages.values() if p.is_synced and not p.is_trashed)
    trashed = sum(1 for s in seen.values() if s.in_trash)
    return seen, synced, trashed


# --- reconcile, plan, write (one transaction) ----------------------------------------------------


def _write(
    engine: Engine,
    settings: Settings,
    user_id: uuid.UUID,
    zone: str,
    integration: IntegrationSettings,
    pulled: Pulled,
    now: datetime,
    options: SyncOptions,
    report: SyncReport,
) -> set[str]:
    """Reconcile, plan and write in one transaction; returns the remotes with work to push."""
    changes: dict[str, Any] = {}  # to the integration row, in one UPDATE at the end
    with session_scope(engine) as session:
        rows = UserRows.load(session, user_id)
        mirrors = Mirrors(
            google_calendar_id=pulled.google_calendar_id or integration.google_calendar_id
            if integration.google_calendar_enabled
            else None,
            notion_database_id=integration.notion_database_id
            if integration.notion_enabled
            else None,
        )
        google_seen: dict[str, GoogleSeen] = {}
        notion_seen: dict[str, NotionSeen] = {}
        valve: list[RemoteEmpty] = []
        if pulled.changes is not None:
            google_seen, synced, gone = google_observations(rows, pulled.changes, zone)
            tripped = looks_emptied("google", expected=synced, deleted=gone)
            if tripped and not options.accept_remote_empty:
                valve.append(tripped)
                google_seen = {}
        if pulled.notion_pages is not None:
            notion_seen, synced_pages, trashed = notion_observations(rows, pulled.notion_pages)
            tripped = looks_emptied("notion", expected=synced_pages, deleted=trashed)
            if tripped and not options.accept_remote_empty:
                valve.append(tripped)
                notion_seen = {}
        for tripped in valve:
            provider = Provider(tripped.provider)
            report.errors.append(RecordedError(provider, "safety_valve", message=str(tripped)))
            changes[f"{tripped.provider}_health"] = IntegrationHealth.NEEDS_ATTENTION

        decisions = reconcile(rows.snapshots(), google_seen, notion_seen, now=now)
        report.reconciled.extend(apply_decisions(session, rows, decisions, mirrors, now=now))
        report.add("reconciled", len(decisions))
        session.flush()

        if pulled.busy is not None:
            inputs = load_plan_inputs(
                session, user_id, now=now, busy=pulled.busy, horizon_days=settings.sync_horizon_days
            )
            the_plan = plan(inputs, now=now)
            report.plan = the_plan
            writes = diff_plan(the_plan, rows.stored())
            for kind, count in apply_plan_writes(
                session, rows, writes, mirrors, user_id=user_id, now=now
            ).items():
                report.add(f"tasks_{kind}", count)
            report.add("at_risk", len(the_plan.at_risk))
        else:
            report.add("plan_skipped", 1)

        # Cursors advance with the changes they produced, in this same transaction.
        if (
            pulled.google_calendar_id
            and pulled.google_calendar_id != integration.google_calendar_id
        ):
            changes["google_calendar_id"] = pulled.google_calendar_id
        if pulled.changes is not None and not any(v.provider == "google" for v in valve):
            changes["google_sync_token"] = pulled.changes.next_sync_token
        notion_valve = any(v.provider == "notion" for v in valve)
        if pulled.notion_pages is not None and not notion_valve:
            changes["notion_watermark"] = pulled.notion_watermark
        if pulled.google_token is not None:
            changes["google_access_token"], changes["google_token_expiry"] = pulled.google_token
        for error in report.errors:
            if isinstance(error.error, NeedsReauthError):
                changes[f"{error.provider.value}_health"] = IntegrationHealth.NEEDS_REAUTH
            elif isinstance(error.error, NotFoundError) and error.operation != "pull":
                changes[f"{error.provider.value}_health"] = IntegrationHealth.NEEDS_ATTENTION
        changes["last_sync_at"] = now
        session.execute(
            update(IntegrationSettings)
            .where(IntegrationSettings.id == integration.id)
            .values(**changes)
        )
        pending = set()
        if any(b.is_dirty and not b.is_tombstoned for b in rows.blocks.values()):
            pending.add("google")
        if any(p.is_dirty and not p.is_trashed for p in rows.pages.values()):
            pending.add("notion")
        if options.dry_run:
            session.rollback()  # computed and reported, written nowhere
    return pending


# --- push -------------------------------------------------------------------------------------


def _push(
    engine: Engine,
    user_id: uuid.UUID,
    integration: IntegrationSettings,
    pulled: Pulled,
    google: GoogleCalendarClient | None,
    notion: NotionClient | None,
    now: datetime,
    report: SyncReport,
    pending: set[str],
) -> None:
    """Send what the write step left dirty; a remote with nothing pending costs nothing."""
    calendar_id = pulled.google_calendar_id or integration.google_calendar_id
    if (
        "google" in pending
        and google is not None
        and calendar_id
        and not _needs_reauth(report, Provider.GOOGLE)
    ):
        try:
            outcome = push_google(engine, google, user_id, calendar_id, now=now)
            _absorb(report, Provider.GOOGLE, "google", outcome)
        except IntegrationError as exc:
            report.errors.append(RecordedError(Provider.GOOGLE, "push", exc))
    if notion is not None and "notion" in pending:
        data_source_id = integration.notion_property_map.get("data_source_id")
        if data_source_id:
            due, topics = _notion_extras(engine, user_id)
            try:
                outcome = push_notion(
                    engine, notion, user_id, data_source_id, now=now, due_of=due, topics_of=topics
                )
                _absorb(report, Provider.NOTION, "notion", outcome)
            except IntegrationError as exc:
                report.errors.append(RecordedError(Provider.NOTION, "push", exc))


def _needs_reauth(report: SyncReport, provider: Provider) -> bool:
    return any(
        e.provider == provider and isinstance(e.error, NeedsReauthError) for e in report.errors
    )


def _absorb(report: SyncReport, provider: Provider, name: str, outcome: PushOutcome) -> None:
    report.add(f"{name}_writes", outcome.writes)
    if outcome.failed:
        report.add(f"{name}_failed", outcome.failed)
    for object_id, error in zip(outcome.failed_objects, outcome.errors, strict=True):
        report.errors.append(RecordedError(provider, error.operation, error, object_id=object_id))


def _notion_extras(engine: Engine, user_id: uuid.UUID) -> tuple[Any, Any]:
    with session_scope(engine) as session:
        due = dict(
            session.execute(
                select(Assessment.id, Assessment.due_date)
                .join(Course)
                .where(Course.user_id == user_id)
            ).all()
        )
        names = {
            str(t.id): t.name
            for t in session.scalars(select(Topic).join(Course).where(Course.user_id == user_id))
        }
    return (
        lambda task: due.get(task.assessment_id) if task.assessment_id else None,
        lambda task: tuple(names[t] for t in task.topic_ids if t in names),
    )


# --- record -------------------------------------------------------------------------------------


def _record(engine: Engine, report: SyncReport, now: datetime) -> None:
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
        for error in report.errors:
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
                )
            )


def _record_skipped(engine: Engine, user_id: uuid.UUID, options: SyncOptions) -> None:
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
