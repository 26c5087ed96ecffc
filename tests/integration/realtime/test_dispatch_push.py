"""Polling stays the safety net: students whose push is healthy are polled at the longer
interval, everyone else (a failed or silent channel, push off) at their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update

from db.enums import ChannelStatus
from db.models import IntegrationSettings, PushChannel
from db.session import session_scope
from services.dispatch import claim_due_users
from services.realtime.channels import ensure_channels
from services.settings import Settings
from tests.integration.realtime.conftest import Clients, add_student


def test_healthy_push_means_the_longer_poll_interval(
    own_engine: Engine, settings: Settings, clients: Clients
) -> None:
    now = datetime.now(UTC)
    healthy, broken, unwatched = (add_student(own_engine) for _ in range(3))
    for user in (healthy, broken):
        ensure_channels(own_engine, settings, user, now, clients)
    with session_scope(own_engine) as session:
        session.execute(
            update(PushChannel)
            .where(PushChannel.user_id == broken, PushChannel.calendar_id == "primary")
            .values(status=ChannelStatus.FAILED, status_reason="watch refused")
        )
    with session_scope(own_engine) as session:
        due = {
            d.user_id: d.interval_min for d in claim_due_users(session, now=now, settings=settings)
        }
    assert due == {healthy: 240, broken: 15, unwatched: 15}
    with session_scope(own_engine) as session:
        rows = session.execute(
            select(IntegrationSettings.user_id, IntegrationSettings.next_sync_at)
        ).all()
        cursors = {user_id: next_sync_at for user_id, next_sync_at in rows}
    assert cursors[healthy] == now + timedelta(minutes=240)
    assert cursors[broken] == now + timedelta(minutes=15)


def test_without_push_every_student_keeps_their_own_interval(
    own_engine: Engine, settings: Settings, clients: Clients
) -> None:
    now = datetime.now(UTC)
    user = add_student(own_engine)
    ensure_channels(own_engine, settings, user, now, clients)
    off = settings.model_copy(update={"push_enabled": False})
    with session_scope(own_engine) as session:
        due = {d.user_id: d.interval_min for d in claim_due_users(session, now=now, settings=off)}
    assert due == {user: 15}
