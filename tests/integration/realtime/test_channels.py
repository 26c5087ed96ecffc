"""Watch channels against a real HTTP endpoint: one per watched calendar, renewed before
expiry, stopped when unwanted, failures recorded and the student back on polling."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, LargeBinary, select, type_coerce, update

from db.enums import ChannelStatus
from db.models import IntegrationSettings, PushChannel
from db.session import session_scope
from integrations.errors import NeedsReauthError
from services.realtime.channels import (
    PENDING_TIMEOUT,
    ensure_channels,
    renew_channels,
    stop_user_channels,
)
from services.realtime.health import check_push, expect_echo, push_status
from services.realtime.ports import ChannelClient
from services.settings import Settings
from tests.integration.realtime.conftest import STUDY_CALENDAR, Clients, add_student
from tests.integration.realtime.google_watch_server import WatchServer


def channels_of(engine: Engine, user_id: uuid.UUID) -> list[PushChannel]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(PushChannel)
                .where(PushChannel.user_id == user_id)
                .order_by(PushChannel.created_at, PushChannel.calendar_id)
            )
        )


def live(engine: Engine, user_id: uuid.UUID) -> dict[str, PushChannel]:
    return {
        c.calendar_id: c for c in channels_of(engine, user_id) if c.status == ChannelStatus.ACTIVE
    }


def test_one_channel_per_watched_calendar_with_a_secret_token(
    engine: Engine, settings: Settings, clients: Clients, watch_server: WatchServer
) -> None:
    watch_server.state.max_ttl = timedelta(days=2)  # Google may grant less than we ask
    user_id = add_student(engine, monitored=["primary", "team@example.edu"])
    now = datetime.now(UTC)
    report = ensure_channels(engine, settings, user_id, now, clients)
    assert (report.created, report.failed) == (3, 0)
    rows = live(engine, user_id)
    assert set(rows) == {STUDY_CALENDAR, "primary", "team@example.edu"}
    remote = {c.id: c for c in watch_server.state.live()}
    for row in rows.values():
        channel = remote[row.channel_id]
        assert len(row.channel_id) <= 64 and channel.calendar_id == row.calendar_id
        assert channel.address == "https://planner.example.edu/v1/webhooks/google"
        assert channel.token == row.token and channel.resource_id == row.resource_id
        assert row.expires_at is not None
        assert row.expires_at <= datetime.now(UTC) + timedelta(days=2)
    with session_scope(engine) as session:
        raw = session.scalars(
            select(type_coerce(PushChannel.token, LargeBinary)).where(
                PushChannel.user_id == user_id
            )
        ).all()
    assert all(row.token.encode() not in bytes(r) for r in raw for row in rows.values())

    built = len(clients.built)
    again = ensure_channels(engine, settings, user_id, now, clients)
    assert (again.created, again.stopped) == (0, 0) and len(clients.built) == built


def test_channels_are_renewed_before_they_expire_and_the_old_ones_stopped(
    own_engine: Engine, settings: Settings, clients: Clients, watch_server: WatchServer
) -> None:
    user_id = add_student(own_engine)
    ensure_channels(own_engine, settings, user_id, datetime.now(UTC), clients)
    old = live(own_engine, user_id)
    expiry = min(c.expires_at for c in old.values() if c.expires_at is not None)
    # Inside the renewal margin: a new channel for each calendar, then the old one stops.
    later = expiry - timedelta(seconds=settings.push_renew_margin_s // 2)
    summary = renew_channels(own_engine, settings, later, clients)
    assert (summary.users, summary.created, summary.stopped) == (1, 2, 2)
    new = live(own_engine, user_id)
    assert set(new) == set(old)
    assert {c.channel_id for c in new.values()}.isdisjoint(c.channel_id for c in old.values())
    remote = {c.id for c in watch_server.state.live()}
    assert {c.channel_id for c in new.values()} <= remote
    assert not remote & {c.channel_id for c in old.values()}
    stopped = [c for c in channels_of(own_engine, user_id) if c.status == ChannelStatus.STOPPED]
    assert {c.status_reason for c in stopped} == {"renewed"}


def test_a_refused_watch_is_recorded_and_the_student_polls_again(
    engine: Engine, settings: Settings, clients: Clients, watch_server: WatchServer
) -> None:
    user_id = add_student(engine, google=True)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.execute(
            update(IntegrationSettings)
            .where(IntegrationSettings.user_id == user_id)
            .values(next_sync_at=now + timedelta(hours=4))  # set while push was healthy
        )
    watch_server.state.refuse_watch = 403
    report = ensure_channels(engine, settings, user_id, now, clients)
    assert (report.created, report.failed) == (0, 2)
    failed = channels_of(engine, user_id)
    assert {c.status for c in failed} == {ChannelStatus.FAILED}
    assert all("watch refused" in (c.status_reason or "") for c in failed)
    with session_scope(engine) as session:
        row = session.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == user_id)
        ).one()
        status = push_status(session, settings, user_id, now)
    assert row.next_sync_at is not None and row.next_sync_at <= now + timedelta(minutes=15)
    assert not status.users[0].healthy and "failed" in status.users[0].reason

    # Not retried on every pass; after an hour, yes (and Google accepts it now).
    watch_server.state.refuse_watch = None
    assert (
        ensure_channels(engine, settings, user_id, now + timedelta(minutes=5), clients).created == 0
    )
    retried = ensure_channels(engine, settings, user_id, now + timedelta(minutes=61), clients)
    assert retried.created == 2


def test_unwanted_channels_are_stopped(
    own_engine: Engine, settings: Settings, clients: Clients, watch_server: WatchServer
) -> None:
    user_id = add_student(own_engine, monitored=["primary", "team@example.edu"])
    now = datetime.now(UTC)
    ensure_channels(own_engine, settings, user_id, now, clients)
    with session_scope(own_engine) as session:
        session.execute(
            update(IntegrationSettings)
            .where(IntegrationSettings.user_id == user_id)
            .values(google_monitored_calendars=["primary"])
        )
    ensure_channels(own_engine, settings, user_id, now, clients)
    assert set(live(own_engine, user_id)) == {STUDY_CALENDAR, "primary"}
    assert "team@example.edu" not in {c.calendar_id for c in watch_server.state.live()}

    # Disconnected (or push switched off): the beat stops the rest on Google's side too.
    with session_scope(own_engine) as session:
        session.execute(
            update(IntegrationSettings)
            .where(IntegrationSettings.user_id == user_id)
            .values(google_calendar_enabled=False)
        )
    renew_channels(own_engine, settings, now, clients)
    assert live(own_engine, user_id) == {}
    ours = {row.channel_id for row in channels_of(own_engine, user_id)}
    assert not ours & {c.id for c in watch_server.state.live()}


def test_stopping_without_credentials_says_so(
    engine: Engine, settings: Settings, clients: Clients
) -> None:
    user_id = add_student(engine)
    ensure_channels(engine, settings, user_id, datetime.now(UTC), clients)

    def revoked(_integration: IntegrationSettings) -> ChannelClient:
        raise NeedsReauthError("grant revoked", provider="google", operation="credentials")

    report = stop_user_channels(engine, user_id, datetime.now(UTC), revoked)
    assert report.stopped == 2
    reasons = {c.status_reason for c in channels_of(engine, user_id)}
    assert all(r and "Google not told" in r and "expires at" in r for r in reasons)


def test_a_silent_channel_is_replaced_and_reported(
    own_engine: Engine, settings: Settings, clients: Clients, watch_server: WatchServer
) -> None:
    user_id = add_student(own_engine)
    now = datetime.now(UTC)
    ensure_channels(own_engine, settings, user_id, now, clients)
    expect_echo(own_engine, user_id, STUDY_CALENDAR, since=now)  # our sync wrote to it
    with session_scope(own_engine) as session:
        fine = push_status(session, settings, user_id, now + timedelta(minutes=5))
        silent = push_status(session, settings, user_id, now + timedelta(minutes=11))
    assert fine.users[0].healthy
    assert not silent.users[0].healthy and "silent" in silent.users[0].reason
    assert "silent" in {c.status for c in silent.channels}

    dead = live(own_engine, user_id)[STUDY_CALENDAR]
    summary = renew_channels(own_engine, settings, now + timedelta(minutes=11), clients)
    assert summary.created == 1 and summary.failed == 1
    replaced = live(own_engine, user_id)[STUDY_CALENDAR]
    assert replaced.channel_id != dead.channel_id
    assert dead.channel_id not in {c.id for c in watch_server.state.live()}


def test_a_notification_after_our_change_keeps_the_channel_healthy(
    engine: Engine, settings: Settings, clients: Clients
) -> None:
    user_id = add_student(engine)
    now = datetime.now(UTC)
    ensure_channels(engine, settings, user_id, now, clients)
    expect_echo(engine, user_id, STUDY_CALENDAR, since=now)
    with session_scope(engine) as session:
        session.execute(
            update(PushChannel)
            .where(PushChannel.user_id == user_id)
            .values(last_notified_at=now + timedelta(seconds=2))
        )
        status = push_status(session, settings, user_id, now + timedelta(hours=1))
    assert status.users[0].healthy


def test_a_watch_that_never_returned_is_marked_failed(
    engine: Engine, settings: Settings, clients: Clients
) -> None:
    user_id = add_student(engine, monitored=[])
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.add(
            PushChannel(
                user_id=user_id,
                calendar_id=STUDY_CALENDAR,
                channel_id="sp-" + uuid.uuid4().hex,
                token="t",
                created_at=now - PENDING_TIMEOUT - timedelta(seconds=1),
            )
        )
    report = ensure_channels(engine, settings, user_id, now, clients)
    assert report.failed == 1 and report.created == 2  # study calendar again, and primary


def test_health_reports_push(engine: Engine, settings: Settings, clients: Clients) -> None:
    user_id = add_student(engine)
    ensure_channels(engine, settings, user_id, datetime.now(UTC), clients)
    check = check_push(engine, settings, datetime.now(UTC))
    assert check.ok and check.detail.startswith("on: ") and "Notion webhook" in check.detail
    off = check_push(engine, settings.model_copy(update={"push_enabled": False}), datetime.now(UTC))
    assert off.detail == "off: polling only"


def test_disconnecting_google_stops_its_channels_first(
    engine: Engine, settings: Settings, clients: Clients, watch_server: WatchServer
) -> None:
    from services.connect import disconnect_google

    user_id = add_student(engine)
    ensure_channels(engine, settings, user_id, datetime.now(UTC), clients)
    ours = {c.channel_id for c in channels_of(engine, user_id)}
    report = disconnect_google(engine, user_id, datetime.now(UTC), clients)
    assert report.stopped == 2 and not ours & {c.id for c in watch_server.state.live()}
    with session_scope(engine) as session:
        row = session.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == user_id)
        ).one()
    assert not row.google_calendar_enabled and row.google_refresh_token is None


def test_push_health_and_dispatch_need_no_readable_secret(
    engine: Engine, settings: Settings, clients: Clients
) -> None:
    """With push on, status, health and beat's dispatch judge push health from the rows' plain
    columns: a key that no longer reads the tokens (issue 15's wrong key) leaves them working,
    and the student's health says what is wrong where a secret is needed (the sync)."""
    from cryptography.fernet import Fernet

    from db import crypto
    from services.realtime.health import push_healthy_users

    user_id = add_student(engine)
    now = datetime.now(UTC)
    ensure_channels(engine, settings, user_id, now, clients)
    crypto.configure_keys([Fernet.generate_key().decode()])  # the suite's fixture restores it
    with session_scope(engine) as session:
        status = push_status(session, settings, user_id, now)
        healthy = push_healthy_users(session, settings, [user_id], now)
    assert [u.user_id for u in status.users] == [user_id]
    assert status.users[0].healthy and healthy == {user_id}
    assert check_push(engine, settings, now).ok
