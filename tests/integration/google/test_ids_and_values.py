"""Event ids, content hashes and write validation (pure pieces of the adapter)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.google_calendar import (
    EventWrite,
    InvalidEventIdError,
    block_id_from_event_id,
    content_hash,
    event_id_for_block,
    is_valid_event_id,
    validate_event_id,
)


@settings(max_examples=300, deadline=None)
@given(st.uuids())
def test_event_ids_are_valid_base32hex_and_decode_back(block_id: uuid.UUID) -> None:
    event_id = event_id_for_block(block_id)

    assert is_valid_event_id(event_id)
    assert set(event_id) <= set("0123456789abcdefghijklmnopqrstuv")
    assert len(event_id) == 26
    assert block_id_from_event_id(event_id) == block_id
    assert event_id_for_block(block_id) == event_id  # deterministic


@pytest.mark.parametrize("bad", ["", "abcd", "ABCDE", "abcdw", "abc_d", "a" * 1025, "ab cd"])
def test_invalid_ids_are_refused(bad: str) -> None:
    assert not is_valid_event_id(bad)
    with pytest.raises(InvalidEventIdError):
        validate_event_id(bad)


def test_foreign_ids_are_not_ours() -> None:
    assert block_id_from_event_id("abcde") is None
    assert block_id_from_event_id("v" * 26) is None  # 26 chars but not a 16-byte encoding


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]),
)
def test_content_hash_compares_instants_not_renderings(moment: datetime, zone: str) -> None:
    end = moment + timedelta(minutes=50)
    local = ZoneInfo(zone)

    assert content_hash(moment, end, "A", None) == content_hash(
        moment.astimezone(local), end.astimezone(local), "A", ""
    )
    assert content_hash(moment, end, "A", None) != content_hash(moment, end, "B", None)
    assert content_hash(moment, end, "A", None) != content_hash(
        moment + timedelta(minutes=1), end, "A", None
    )


def test_all_day_and_timed_hash_differently() -> None:
    midnight = datetime(2026, 12, 24, tzinfo=UTC)
    assert content_hash(date(2026, 12, 24), date(2026, 12, 25), "x", None) != content_hash(
        midnight, midnight + timedelta(days=1), "x", None
    )


def test_writes_are_validated() -> None:
    block = uuid.uuid4()
    start = datetime(2026, 12, 7, 9, tzinfo=UTC)
    with pytest.raises(ValueError):
        EventWrite("insert", block, summary="no times")
    with pytest.raises(ValueError):
        EventWrite("insert", block, start=start, end=start)
    with pytest.raises(ValueError):
        EventWrite("insert", block, start=start.replace(tzinfo=None), end=start)
    with pytest.raises(ValueError):
        EventWrite("insert", block, start=date(2026, 12, 7), end=start)
    with pytest.raises(ValueError):
        EventWrite("move", block)  # type: ignore[arg-type]
    assert EventWrite("delete", block).target_event_id == event_id_for_block(block)
