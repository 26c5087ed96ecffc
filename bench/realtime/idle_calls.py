"""API calls per hour of an idle student (`python -m bench.realtime --idle-calls`): push on
(healthy: the safety-net poll every 4 h, channel renewals) against polling every 15 minutes.

Every call is counted on the emulators (their request counters), for students who edit
nothing. What happens hours or days apart is made to happen now and counted once:
- push on: a safety-net poll (everyone made due, beat's dispatch syncs them; the interval it
  sets next is read back), a channel renewal (channels moved inside the renewal margin, beat's
  renewal task run), a quiet window with beat running;
- both: a Google access-token refresh (beat's task, for tokens about to expire);
- polling: a window of polls at a 1-minute interval (15x faster than production).
The per-hour figures multiply each cost by how often it happens at the production settings;
the README shows the arithmetic.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from bench.realtime.stack import (
    Stack,
    bench_stack,
    open_channels,
    poll_everyone_now,
    push_out_polls,
    seed_students,
    start_api,
    start_worker,
    subscribe_notion,
    switch_to_polling,
    wait_for,
)
from db.enums import ChannelStatus
from db.models import IntegrationSettings, PushChannel, SyncRequest, SyncRun
from db.session import session_scope
from services.realtime.health import push_healthy_users
from services.realtime.notion import notion_hook_state

Emit = Callable[[str, float | int | None, str, str], None]
# Requests that are not Calendar or Notion API calls: the emulators count them too.
NOT_API = frozenset({"http", "batch", "token", "injected", "rate_limited"})
POLL_SCALE = 15


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Calls:
    """The emulators' request counters since `reset()`."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def reset(self) -> None:
        self.stack.google.admin.reset_counters()
        self.stack.notion.admin.reset_counters()

    def read(self) -> Counter[str]:
        google = self.stack.google.admin.counters()
        notion = self.stack.notion.admin.counters()["requests"]
        out: Counter[str] = Counter()
        for name, n in google.items():
            if name == "token":
                out["google token refresh"] += n
            elif name not in NOT_API:
                out[f"google {name}"] += n
        for name, n in notion.items():
            out[f"notion {name}"] += n
        return out


def api_calls(counts: Counter[str]) -> int:
    return sum(n for name, n in counts.items() if name != "google token refresh")


def runs_since(stack: Stack, since: datetime) -> int:
    with session_scope(stack.engine) as session:
        return int(
            session.scalar(
                select(func.count(SyncRun.id)).where(
                    SyncRun.started_at >= since, SyncRun.finished_at.is_not(None)
                )
            )
            or 0
        )


def quiet(stack: Stack) -> bool:
    """No sync requested, none running, no notification on its way."""
    with session_scope(stack.engine) as session:
        pending = session.scalar(select(func.count()).select_from(SyncRequest)) or 0
        running = session.scalar(
            select(func.count(SyncRun.id)).where(SyncRun.finished_at.is_(None))
        )
    idle = stack.google.admin.wait_push_idle(0.5) and stack.notion.admin.wait_webhooks_idle(0.5)
    return pending == 0 and not running and idle


def activate_notion(stack: Stack) -> None:
    """Notion push counts as healthy once a signed event arrived: one page renamed by a
    student (then everything settles before counting starts)."""
    student = stack.students[0]
    page = stack.notion.admin.pages(data_source_id=student.workspace.data_source_id)[0]
    stack.notion.admin.rename(page["id"], "Renamed once, to activate the webhook")

    def active() -> bool:
        with session_scope(stack.engine) as session:
            state = notion_hook_state(session)
            return state is not None and state.active

    wait_for(active, "a signed Notion event")
    time.sleep(stack.settings.push_debounce_s + 1)
    wait_for(lambda: quiet(stack), "the stack to settle", 120, 1.0)


def emit_counts(emit: Emit, counts: Counter[str], per: int, what: str) -> None:
    for name, n in sorted(counts.items()):
        emit("idle_calls", round(n / per, 2), "calls/student", f"{what}: {name}")
    emit("idle_api_calls", round(api_calls(counts) / per, 2), "calls/student", what)


def run(args: Any, emit: Emit) -> None:
    # Dispatch every 5 s and no spread: when a poll starts, not what it costs.
    overrides = {"dispatch_interval_s": 5.0, "dispatch_spread_max_s": 0}
    with bench_stack(args.postgres_url, args.redis_url, **overrides) as (stack, port):
        measure(stack, args, port, emit)


def measure(stack: Stack, args: Any, port: int, emit: Emit) -> None:
    students = min(args.students, 10)
    seed_students(stack, students, assessments=3)
    n = len(stack.students)
    start_worker(stack)
    url = start_api(stack, port)
    open_channels(stack)
    subscribe_notion(stack, url, delay_s=0.0)
    push_out_polls(stack)
    activate_notion(stack)
    calls = Calls(stack)
    ids = [s.user_id for s in stack.students]
    with session_scope(stack.engine) as session:
        healthy = push_healthy_users(session, stack.settings, ids, datetime.now(UTC))
    emit("idle_push_healthy_students", len(healthy), "students", f"of {n}")

    # 1. The safety-net poll.
    calls.reset()
    since = datetime.now(UTC)
    poll_everyone_now(stack)
    wait_for(lambda: runs_since(stack, since) >= n, "a safety-net poll of everyone", 120)
    wait_for(lambda: quiet(stack), "the polls to settle", 120, 1.0)
    poll = calls.read()
    emit_counts(emit, poll, n, "push on, one safety-net poll")
    with session_scope(stack.engine) as session:
        nexts = list(session.scalars(select(IntegrationSettings.next_sync_at)))
    gaps = [(t - since).total_seconds() / 60 for t in nexts if t is not None]
    emit("idle_push_next_poll_in", round(min(gaps)), "min", "push on, after the safety-net poll")

    # 2. A quiet window with beat running: nothing should call anyone.
    calls.reset()
    time.sleep(args.window)
    emit_counts(emit, calls.read(), n, f"push on, {args.window:g} s with beat running")

    # 3. A channel renewal: each channel inside the renewal margin, beat's task run.
    soon = datetime.now(UTC) + timedelta(hours=1)
    with session_scope(stack.engine) as session:
        session.execute(
            update(PushChannel)
            .where(PushChannel.status == ChannelStatus.ACTIVE)
            .values(expires_at=soon)
        )
    calls.reset()
    channels = open_channels(stack)
    renewal = calls.read()
    emit_counts(emit, renewal, n, "push on, one renewal of every channel")
    emit("idle_push_channels", round(channels / n, 2), "channels/student", "after the renewal")

    # 4. A Google access-token refresh (tokens last an hour; beat refreshes them ahead).
    with session_scope(stack.engine) as session:
        session.execute(
            update(IntegrationSettings).values(
                google_token_expiry=datetime.now(UTC) + timedelta(minutes=5)
            )
        )
    calls.reset()
    stack.app.send_task("studyplanner.maintenance.refresh_google_tokens").get(timeout=120)
    refresh = calls.read()
    emit_counts(emit, refresh, n, "either, one access-token refresh")

    # 5. Polling, 15x faster than production, over a window.
    switched = datetime.now(UTC)
    switch_to_polling(stack, interval_min=1, dispatch_interval_s=60.0 / POLL_SCALE)
    wait_for(lambda: runs_since(stack, switched) >= n, "the first polls", 180)
    calls.reset()
    since = datetime.now(UTC)
    time.sleep(args.poll_window)
    polling = calls.read()
    polls = runs_since(stack, since)
    window = f"polling every 1 min, {args.poll_window:g} s window ({polls} polls)"
    emit_counts(emit, polling, n, window)
    emit("idle_polls_in_window", polls, "polls", window)

    # Per hour at the production settings.
    s = stack.settings
    renew_every_h = (s.push_channel_ttl_s - s.push_renew_margin_s) / 3600
    push_h = api_calls(poll) / n * 60 / s.push_healthy_poll_interval_min + (
        api_calls(renewal) / n / renew_every_h
    )
    # A poll costs what the window's polls cost on average; production polls every 15 min.
    per_poll = api_calls(polling) / max(1, polls)
    emit("idle_api_calls_per_poll", round(per_poll, 2), "calls", window)
    polling_h = per_poll * 60 / (POLL_SCALE * 1)
    # The same from the window's rate (it ran POLL_SCALE times faster than production).
    rate_h = api_calls(polling) / n * 3600 / args.poll_window / POLL_SCALE
    emit("idle_api_calls_per_hour_window_rate", round(rate_h, 2), "calls/h", window)
    refresh_h = refresh["google token refresh"] / n * 3600 / stack.google.settings.access_token_ttl
    emit("idle_api_calls_per_hour", round(push_h, 2), "calls/h", "push on (healthy)")
    emit("idle_api_calls_per_hour", round(polling_h, 2), "calls/h", "polling every 15 min")
    emit("idle_token_refreshes_per_hour", round(refresh_h, 2), "calls/h", "either")
