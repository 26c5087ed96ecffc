"""Property: a local mirror fed by `list_changes` always equals what the calendar holds,
whatever mix of our writes, the user's edits, paging and expired sync tokens happened."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.google import GoogleEmulator
from integrations.google_calendar import EventWrite, RemoteEvent
from tests.integration.google.conftest import ClientFactory
from tests.integration.google.helpers import MONDAY, inserts

Step = tuple[str, int]
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["user_move", "user_delete", "user_rename", "our_patch", "expire", "sync"]),
        st.integers(min_value=0, max_value=11),
    ),
    max_size=12,
)


def test_mirror_converges(emulator: GoogleEmulator, make_client: ClientFactory) -> None:
    emulator.admin.configure(rate_limit_per_minute=0)  # hundreds of calls a second, on purpose
    client = make_client(page_size=5)

    @settings(max_examples=40, deadline=None)
    @given(steps=STEPS)
    def run(steps: list[Step]) -> None:
        calendar = client.ensure_study_calendar(None, recreate_if_missing=True)
        emulator.admin.delete_calendar(calendar)  # a fresh calendar per example
        calendar = client.ensure_study_calendar(calendar, recreate_if_missing=True)
        pushed = client.push(calendar, inserts(12))
        etags = {r.event_id: r.etag for r in pushed}
        mirror: dict[str, RemoteEvent] = {}
        token: str | None = None

        def sync() -> None:
            nonlocal token
            changes = client.list_changes(calendar, token)
            if changes.full_resync:
                mirror.clear()
            mirror.update({e.id: e for e in changes.events})
            token = changes.next_sync_token

        sync()
        for action, n in steps:
            target = pushed[n]
            alive = emulator.admin.get_event(calendar, target.event_id)
            assert alive is not None
            if action == "sync":
                sync()
            elif action == "expire":
                emulator.admin.expire_sync_tokens()
            elif alive["status"] == "cancelled":
                continue
            elif action == "user_move":
                start = MONDAY + timedelta(days=2, minutes=10 * n)
                emulator.admin.move_event(
                    calendar, target.event_id, start, start + timedelta(hours=1)
                )
            elif action == "user_delete":
                emulator.admin.delete_event(calendar, target.event_id)
            elif action == "user_rename":
                emulator.admin.rename_event(calendar, target.event_id, summary=f"Mine {n}")
            else:
                op = EventWrite(
                    "patch", target.op.block_id, etag=etags[target.event_id], summary="Ours"
                )
                [result] = client.push(calendar, [op])
                if result.outcome == "ok":
                    etags[target.event_id] = result.etag
        sync()

        truth = {e["id"]: e for e in emulator.admin.events(calendar)}
        assert set(mirror) == set(truth)
        for event_id, event in mirror.items():
            assert event.cancelled == (truth[event_id]["status"] == "cancelled")
            if not event.cancelled:
                assert event.etag == truth[event_id]["etag"]
                assert event.summary == truth[event_id]["summary"]

    run()
