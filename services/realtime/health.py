"""Whether a student's push is healthy — then polling runs at the long interval — and what
`status` and `health` show about it.

Healthy means: push is on, and for each enabled provider push can be trusted:
- Google: every watched calendar (the study calendar and each busy calendar) has an active
  channel that has not expired and is not silent. Google sends no heartbeat, so silence is
  detected from our own writes: after a sync changed the study calendar, Google must notify
  us of that change within ECHO_GRACE, or the channel is taken for dead.
- Notion: the webhook's verification token is stored and a signed event has arrived since
  (the admin activated the subscription). Notion's is one subscription for everyone.
A student who is not healthy is polled at their own interval (15 minutes by default).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, or_, select, update
from sqlalchemy.orm import Session

from db.enums import ChannelStatus, IntegrationHealth
from db.models import IntegrationSettings, PushChannel, WebhookSecret
from db.session import session_scope
from db.types import secrets_deferred
from services.health import Check
from services.settings import Settings

ECHO_GRACE = timedelta(minutes=10)
NOTION = "notion"  # the webhook_secrets row of Notion's subscription
_CHUNK = 500


def watched_calendars(integration: IntegrationSettings) -> list[str]:
    """The calendars a student's push watches: the study calendar (once created) and every
    calendar whose busy time the planner respects."""
    calendars = [integration.google_calendar_id] if integration.google_calendar_id else []
    for calendar in integration.google_monitored_calendars or ["primary"]:
        if isinstance(calendar, str) and calendar not in calendars:
            calendars.append(calendar)
    return calendars


def google_push_capable(
    settings: Settings, integration: IntegrationSettings, *, has_refresh_token: bool | None = None
) -> bool:
    """`has_refresh_token` given: the row was loaded with its secrets left encrypted
    (`integration_rows`), and the token's presence comes from the database."""
    token = (
        bool(integration.google_refresh_token) if has_refresh_token is None else has_refresh_token
    )
    return bool(
        settings.push_enabled
        and integration.google_calendar_enabled
        and integration.google_health == IntegrationHealth.OK
        and token
    )


def integration_rows(
    session: Session, *where: ColumnElement[bool]
) -> list[tuple[IntegrationSettings, bool]]:
    """Integration rows with their secrets left encrypted, each with whether it holds a Google
    refresh token: judging push health needs no secret, so a key that cannot read them (or a
    row under another key) never stops status, health or beat's dispatch."""
    has_token = IntegrationSettings.google_refresh_token.is_not(None).label("has_token")
    query = (
        select(IntegrationSettings, has_token)
        .options(*secrets_deferred(IntegrationSettings))
        .where(*where)
    )
    return [(row, bool(token)) for row, token in session.execute(query)]


def is_silent(channel: PushChannel, now: datetime) -> bool:
    since = channel.echo_expected_since
    if since is None or since + ECHO_GRACE >= now:
        return False
    return channel.last_notified_at is None or channel.last_notified_at < since


def usable(channel: PushChannel, now: datetime) -> bool:
    return (
        channel.status == ChannelStatus.ACTIVE
        and channel.expires_at is not None
        and channel.expires_at > now
        and not is_silent(channel, now)
    )


@dataclass(frozen=True)
class PushHealth:
    healthy: bool
    reason: str


def user_push_health(
    settings: Settings,
    integration: IntegrationSettings,
    channels: Sequence[PushChannel],
    notion_active: bool,
    now: datetime,
    *,
    has_refresh_token: bool,
) -> PushHealth:
    """Pure over loaded rows: the rule of the module docstring."""
    if not settings.push_enabled:
        return PushHealth(False, "push is off")
    google = integration.google_calendar_enabled
    notion = integration.notion_enabled
    if not google and not notion:
        return PushHealth(False, "nothing connected")
    if google:
        if not google_push_capable(settings, integration, has_refresh_token=has_refresh_token):
            return PushHealth(False, "Google needs attention")
        for calendar in watched_calendars(integration):
            mine = [c for c in channels if c.calendar_id == calendar]
            if not any(usable(c, now) for c in mine):
                return PushHealth(False, _why_not(calendar, mine, now))
    if notion and not notion_active:
        return PushHealth(False, "Notion webhook not active (no signed event received yet)")
    return PushHealth(True, "push healthy")


def _why_not(calendar: str, channels: Sequence[PushChannel], now: datetime) -> str:
    if any(is_silent(c, now) for c in channels if c.status == ChannelStatus.ACTIVE):
        return f"channel on {calendar} is silent (our own change was never notified)"
    if any(c.status == ChannelStatus.ACTIVE for c in channels):
        return f"channel on {calendar} expired"
    failed = [c for c in channels if c.status == ChannelStatus.FAILED]
    if failed:
        latest = max(failed, key=lambda c: c.updated_at)
        return f"channel on {calendar} failed: {latest.status_reason or 'unknown'}"
    return f"no channel on {calendar} yet"


def notion_webhook_state(session: Session) -> tuple[bool, datetime | None]:
    """(a verification token is stored, when the first signed event came). Health needs no
    secret, so none is decrypted here: a key problem shows where a secret is used."""
    row = session.execute(
        select(WebhookSecret.first_event_at).where(WebhookSecret.provider == NOTION)
    ).first()
    return (row is not None, row.first_event_at if row is not None else None)


def notion_webhook_active(session: Session) -> bool:
    return notion_webhook_state(session)[1] is not None


def live_channels(session: Session, user_ids: Iterable[uuid.UUID]) -> list[PushChannel]:
    """Pending and active channels, plus failed ones (for the reason shown)."""
    ids = list(user_ids)
    return list(
        session.scalars(
            select(PushChannel)
            .options(*secrets_deferred(PushChannel))  # health needs no channel token
            .where(PushChannel.user_id.in_(ids), PushChannel.status != ChannelStatus.STOPPED)
        )
    )


def push_healthy_users(
    session: Session, settings: Settings, user_ids: Sequence[uuid.UUID], now: datetime
) -> set[uuid.UUID]:
    if not settings.push_enabled or not user_ids:
        return set()
    notion_active = notion_webhook_active(session)
    healthy: set[uuid.UUID] = set()
    for start in range(0, len(user_ids), _CHUNK):
        chunk = list(user_ids[start : start + _CHUNK])
        by_user: dict[uuid.UUID, list[PushChannel]] = {}
        for channel in live_channels(session, chunk):
            by_user.setdefault(channel.user_id, []).append(channel)
        for row, has_token in integration_rows(session, IntegrationSettings.user_id.in_(chunk)):
            channels = by_user.get(row.user_id, [])
            health = user_push_health(
                settings, row, channels, notion_active, now, has_refresh_token=has_token
            )
            if health.healthy:
                healthy.add(row.user_id)
    return healthy


def expect_echo(engine: Engine, user_id: uuid.UUID, calendar_id: str, since: datetime) -> None:
    """Our sync changed `calendar_id` from `since` on: Google must notify us of it. An
    expectation still unanswered is kept (not moved forward by later syncs)."""
    with session_scope(engine) as session:
        session.execute(
            update(PushChannel)
            .where(
                PushChannel.user_id == user_id,
                PushChannel.calendar_id == calendar_id,
                PushChannel.status == ChannelStatus.ACTIVE,
                or_(
                    PushChannel.echo_expected_since.is_(None),
                    PushChannel.last_notified_at >= PushChannel.echo_expected_since,
                ),
            )
            .values(echo_expected_since=since)
        )


# --- what status and health show ------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelView:
    user_id: uuid.UUID
    calendar_id: str
    status: str
    expires_at: datetime | None
    last_notified_at: datetime | None
    reason: str


@dataclass(frozen=True)
class UserPushView:
    user_id: uuid.UUID
    healthy: bool
    reason: str


@dataclass(frozen=True)
class PushStatus:
    enabled: bool
    notion_webhook: str
    users: list[UserPushView]
    channels: list[ChannelView]


def push_status(
    session: Session, settings: Settings, user_id: uuid.UUID | None, now: datetime
) -> PushStatus:
    """Each student's push health (one student, or everyone with something connected) and
    their channels that are not stopped."""
    connected = IntegrationSettings.google_calendar_enabled.is_(
        True
    ) | IntegrationSettings.notion_enabled.is_(True)
    mine = [] if user_id is None else [IntegrationSettings.user_id == user_id]
    loaded = integration_rows(session, connected, *mine)
    rows = [row for row, _token in loaded]
    channels = live_channels(session, [r.user_id for r in rows])
    notion_active = notion_webhook_active(session)
    users = []
    for row, has_token in loaded:
        theirs = [c for c in channels if c.user_id == row.user_id]
        health = user_push_health(
            settings, row, theirs, notion_active, now, has_refresh_token=has_token
        )
        users.append(UserPushView(row.user_id, health.healthy, health.reason))
    stored, first_event_at = notion_webhook_state(session)
    notion = (
        "not set up (no verification request received)"
        if not stored
        else "active"
        if first_event_at is not None
        else "token stored; waiting for the first signed event"
    )
    views = [
        ChannelView(
            c.user_id,
            c.calendar_id,
            "silent" if c.status == ChannelStatus.ACTIVE and is_silent(c, now) else c.status.value,
            c.expires_at,
            c.last_notified_at,
            c.status_reason or "",
        )
        for c in sorted(channels, key=lambda c: (str(c.user_id), c.calendar_id, c.created_at))
    ]
    return PushStatus(settings.push_enabled, notion, users, views)


def check_push(engine: Engine, settings: Settings, now: datetime) -> Check:
    """Informational (never DOWN: polling carries on without push)."""
    if not settings.push_enabled:
        return Check("push", True, "off: polling only")
    with session_scope(engine) as session:
        status = push_status(session, settings, None, now)
    healthy = sum(1 for u in status.users if u.healthy)
    polling = len(status.users) - healthy
    detail = f"on: {healthy} student(s) on push, {polling} polling at their own interval"
    if polling:
        first = next(u for u in status.users if not u.healthy)
        detail += f" (e.g. {str(first.user_id)[:8]}: {first.reason})"
    return Check("push", True, f"{detail}; Notion webhook {status.notion_webhook}")
