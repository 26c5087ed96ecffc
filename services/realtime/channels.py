"""A student's Google watch channels: one per watched calendar, renewed before it expires
(Google never renews one), stopped when no longer wanted, failures recorded.

`plan_channel_work` decides from stored rows alone (no network), so the beat task can look at
every student cheaply and call Google only for those with something to do. Network calls run
outside transactions: a channel row is committed `pending` before `events.watch` is called,
so the `sync` message Google sends at once finds its channel, and a worker that dies mid-call
leaves a row the next pass marks failed.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.enums import ChannelStatus
from db.models import IntegrationSettings, PushChannel
from db.session import session_scope
from integrations.errors import IntegrationError, NotFoundError
from services.realtime.health import google_push_capable, is_silent, usable, watched_calendars
from services.realtime.ports import ChannelClient, ChannelClientFactory
from services.settings import Settings

log = logging.getLogger(__name__)

# A calendar whose watch was refused is tried again after this long, not on every pass.
FAILED_RETRY_AFTER = timedelta(hours=1)
# A channel still pending after this long lost its worker mid-call.
PENDING_TIMEOUT = timedelta(minutes=5)
_LIVE = (ChannelStatus.PENDING, ChannelStatus.ACTIVE)


def new_channel_id() -> str:
    """Random and unique, 35 characters (Google allows 64)."""
    return f"sp-{uuid.uuid4().hex}"


@dataclass
class ChannelWork:
    create: list[str] = field(default_factory=list)
    stop: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # channel row id, reason
    fail: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # without a Google call

    def __bool__(self) -> bool:
        return bool(self.create or self.stop or self.fail)


def plan_channel_work(
    settings: Settings,
    integration: IntegrationSettings | None,
    channels: list[PushChannel],
    now: datetime,
) -> ChannelWork:
    work = ChannelWork()
    live = [c for c in channels if c.status in _LIVE]
    if integration is None or not google_push_capable(settings, integration):
        reason = "push is off" if not settings.push_enabled else "Google disconnected"
        work.stop = [(c.id, reason) for c in live]
        return work
    wanted = watched_calendars(integration)
    renew_by = now + timedelta(seconds=settings.push_renew_margin_s)
    for channel in live:
        if channel.calendar_id not in wanted:
            work.stop.append((channel.id, "calendar no longer watched"))
        elif channel.status == ChannelStatus.PENDING and channel.created_at < now - PENDING_TIMEOUT:
            work.fail.append((channel.id, "the watch call never completed"))
        elif channel.status == ChannelStatus.ACTIVE and is_silent(channel, now):
            work.stop.append((channel.id, "silent: our own change was never notified"))
        elif channel.expires_at is not None and channel.expires_at <= now:
            work.fail.append((channel.id, "expired before it was renewed"))
    ending = {row_id for row_id, _ in work.stop + work.fail}
    for calendar in wanted:
        mine = [c for c in channels if c.calendar_id == calendar and c.id not in ending]
        if any(c.status == ChannelStatus.PENDING for c in mine):
            continue  # a watch call is in flight
        fresh = [c for c in mine if usable(c, now) and c.expires_at and c.expires_at > renew_by]
        if fresh:
            newest = max(fresh, key=lambda c: c.expires_at or now)
            # A renewal overlaps the old channel until the new one is active; then it goes.
            work.stop += [
                (c.id, "renewed")
                for c in mine
                if c.status == ChannelStatus.ACTIVE and c is not newest
            ]
            continue
        if any(
            c.status == ChannelStatus.FAILED and c.updated_at > now - FAILED_RETRY_AFTER
            for c in mine
        ):
            continue  # refused lately: the student polls, we try again later
        work.create.append(calendar)
    return work


@dataclass
class ChannelReport:
    created: int = 0
    stopped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def ensure_channels(
    engine: Engine,
    settings: Settings,
    user_id: uuid.UUID,
    now: datetime,
    clients: ChannelClientFactory,
) -> ChannelReport:
    """Bring one student's channels to what their settings want (see the module docstring)."""
    with session_scope(engine) as session:
        integration = _integration(session, user_id)
        channels = _channels(session, user_id)
        work = plan_channel_work(settings, integration, channels, now)
    report = ChannelReport()
    if not work:
        return report
    for row_id, reason in work.fail:
        _finish(engine, row_id, ChannelStatus.FAILED, reason, now)
        report.failed += 1
    if work.fail:
        fall_back_to_polling(engine, user_id, now)
    if not work.create and not work.stop:
        return report
    client = _client(clients, integration, report)
    try:
        renewed = [
            calendar
            for calendar in work.create
            if _create(engine, settings, user_id, calendar, client, now, report)
        ]
        # The new channel is active: the one it replaces goes now, not on the next pass.
        stop = work.stop + [
            (c.id, "renewed")
            for c in _superseded(engine, user_id, renewed)
            if all(c.id != row_id for row_id, _ in work.stop)
        ]
        for row_id, reason in stop:
            _stop(engine, row_id, client, reason, now, report)
    finally:
        if client is not None:
            client.close()
    return report


def stop_user_channels(
    engine: Engine,
    user_id: uuid.UUID,
    now: datetime,
    clients: ChannelClientFactory,
    reason: str = "Google disconnected",
) -> ChannelReport:
    """Stop every live channel of a student (call before their Google tokens are dropped:
    `channels.stop` needs them)."""
    with session_scope(engine) as session:
        integration = _integration(session, user_id)
        live = [c.id for c in _channels(session, user_id) if c.status in _LIVE]
    report = ChannelReport()
    if not live:
        return report
    client = _client(clients, integration, report) if integration is not None else None
    try:
        for row_id in live:
            _stop(engine, row_id, client, reason, now, report)
    finally:
        if client is not None:
            client.close()
    return report


@dataclass(frozen=True)
class RenewalSummary:
    users: int
    created: int
    stopped: int
    failed: int


def renew_channels(
    engine: Engine, settings: Settings, now: datetime, clients: ChannelClientFactory
) -> RenewalSummary:
    """The beat task's pass over everyone: plan from stored rows, call Google only for the
    students with something to do; one student's failure does not stop the others."""
    with session_scope(engine) as session:
        query = select(IntegrationSettings)
        if not settings.push_enabled:
            query = query.where(
                IntegrationSettings.user_id.in_(
                    select(PushChannel.user_id).where(PushChannel.status.in_(_LIVE))
                )
            )
        integrations = {row.user_id: row for row in session.scalars(query)}
        by_user: dict[uuid.UUID, list[PushChannel]] = {}
        for channel in session.scalars(
            select(PushChannel).where(PushChannel.status != ChannelStatus.STOPPED)
        ):
            by_user.setdefault(channel.user_id, []).append(channel)
        todo = [
            user
            for user in sorted(set(integrations) | set(by_user), key=str)
            if plan_channel_work(settings, integrations.get(user), by_user.get(user, []), now)
        ]
    created = stopped = failed = 0
    for user in todo:
        report = ensure_channels(engine, settings, user, now, clients)
        created, stopped, failed = (
            created + report.created,
            stopped + report.stopped,
            failed + report.failed,
        )
    return RenewalSummary(len(todo), created, stopped, failed)


def fall_back_to_polling(engine: Engine, user_id: uuid.UUID, now: datetime) -> None:
    """Push stopped being trustworthy: bring the next poll back within the student's own
    interval (a healthy student's was set hours ahead)."""
    with session_scope(engine) as session:
        row = _integration(session, user_id, for_update=True)
        if row is None:
            return
        soon = now + timedelta(minutes=row.auto_sync_interval_min)
        if row.next_sync_at is None or row.next_sync_at > soon:
            row.next_sync_at = now


# --- one channel ----------------------------------------------------------------------------------


def _create(
    engine: Engine,
    settings: Settings,
    user_id: uuid.UUID,
    calendar: str,
    client: ChannelClient | None,
    now: datetime,
    report: ChannelReport,
) -> uuid.UUID | None:
    """Open one channel; the new row's id once Google accepted it."""
    channel_id, token = new_channel_id(), secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        row = PushChannel(
            user_id=user_id,
            calendar_id=calendar,
            channel_id=channel_id,
            token=token,
            status=ChannelStatus.PENDING if client is not None else ChannelStatus.FAILED,
            status_reason=None if client is not None else _no_client(report),
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        row_id = row.id
    if client is None:
        # Recorded like a refused watch, so the next try waits FAILED_RETRY_AFTER.
        fall_back_to_polling(engine, user_id, now)
        report.failed += 1
        return None
    try:
        watched = client.watch_events(
            calendar,
            channel_id,
            settings.webhook_url("google"),
            token,
            timedelta(seconds=settings.push_channel_ttl_s),
        )
    except IntegrationError as exc:
        _finish(engine, row_id, ChannelStatus.FAILED, f"watch refused: {exc}", now)
        fall_back_to_polling(engine, user_id, now)
        report.failed += 1
        report.errors.append(str(exc))
        return None
    with session_scope(engine) as session:
        saved = session.get(PushChannel, row_id)
        if saved is not None:
            saved.status = ChannelStatus.ACTIVE
            saved.resource_id = watched.resource_id
            saved.expires_at = watched.expiration
            saved.updated_at = now
    report.created += 1
    return row_id


def _superseded(engine: Engine, user_id: uuid.UUID, calendars: list[str]) -> list[PushChannel]:
    """Active channels of `calendars` older than the newest active one of each."""
    if not calendars:
        return []
    with session_scope(engine) as session:
        rows = [
            c
            for c in _channels(session, user_id)
            if c.calendar_id in calendars and c.status == ChannelStatus.ACTIVE
        ]
    newest = {c.calendar_id: c for c in rows}  # ordered by created_at: the last one wins
    return [c for c in rows if c is not newest[c.calendar_id]]


def _stop(
    engine: Engine,
    row_id: uuid.UUID,
    client: ChannelClient | None,
    reason: str,
    now: datetime,
    report: ChannelReport,
) -> None:
    with session_scope(engine) as session:
        row = session.get(PushChannel, row_id)
        if row is None or row.status not in _LIVE:
            return
        channel_id, resource_id, expires_at = row.channel_id, row.resource_id, row.expires_at
        user_id = row.user_id
        silent = reason.startswith("silent")
    note = reason
    if resource_id is not None:
        if client is None:
            note = f"{reason}; Google not told (no credentials), it expires {_when(expires_at)}"
        else:
            try:
                client.stop_channel(channel_id, resource_id)
            except NotFoundError:
                pass  # already gone on Google's side: that is what we wanted
            except IntegrationError as exc:
                note = f"{reason}; channels.stop failed ({exc}), it expires {_when(expires_at)}"
                report.errors.append(str(exc))
    # A silent channel is a failure (the student polls meanwhile); the others just ended.
    status = ChannelStatus.FAILED if silent else ChannelStatus.STOPPED
    _finish(engine, row_id, status, note, now)
    if silent:
        fall_back_to_polling(engine, user_id, now)
        report.failed += 1
    else:
        report.stopped += 1


def _finish(
    engine: Engine, row_id: uuid.UUID, status: ChannelStatus, reason: str, now: datetime
) -> None:
    with session_scope(engine) as session:
        row = session.get(PushChannel, row_id)
        if row is not None:
            row.status = status
            row.status_reason = reason[:2000]
            row.updated_at = now


def _no_client(report: ChannelReport) -> str:
    cause = report.errors[-1] if report.errors else "no Google credentials"
    return f"cannot call Google: {cause}"


def _when(moment: datetime | None) -> str:
    return f"at {moment.isoformat(timespec='minutes')}" if moment else "by itself"


def _client(
    clients: ChannelClientFactory,
    integration: IntegrationSettings | None,
    report: ChannelReport,
) -> ChannelClient | None:
    if integration is None:
        return None
    try:
        return clients(integration)
    except IntegrationError as exc:
        report.errors.append(str(exc))
        return None


def _integration(
    session: Session, user_id: uuid.UUID, *, for_update: bool = False
) -> IntegrationSettings | None:
    query = select(IntegrationSettings).where(IntegrationSettings.user_id == user_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def _channels(session: Session, user_id: uuid.UUID) -> list[PushChannel]:
    return list(
        session.scalars(
            select(PushChannel)
            .where(PushChannel.user_id == user_id, PushChannel.status != ChannelStatus.STOPPED)
            .order_by(PushChannel.created_at)
        )
    )


def google_channel_clients(settings: Settings) -> ChannelClientFactory:
    """The production factory: the student's Google Calendar adapter. It must offer
    `watch_events` and `stop_channel` (ports.ChannelClient); a build whose adapter lacks
    them records every watch as failed, and the students keep polling."""
    from integrations.errors import PermanentError
    from services.sync.providers import google_client

    def build(integration: IntegrationSettings) -> ChannelClient:
        client = google_client(settings, integration)
        if not hasattr(client, "watch_events") or not hasattr(client, "stop_channel"):
            client.close()
            raise PermanentError(
                "this build's Google adapter cannot open push channels",
                provider="google",
                operation="watch",
            )
        return cast(ChannelClient, client)

    return build
