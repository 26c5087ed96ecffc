"""The adapter's pure pieces: text limits, hashes, mapping validation, watermark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from integrations.notion import (
    NotionStatus,
    SchemaMapping,
    advance_watermark,
    content_hash_of,
    page_content_hash,
    push_hash,
)
from integrations.notion.properties import option_name, split_text
from tests.integration.notion.helpers import make_task


def test_split_text_counts_utf16_units_and_caps_the_array() -> None:
    emoji = "😀" * 1500  # 3000 UTF-16 units
    chunks = split_text(emoji)
    assert [len(c) for c in chunks] == [1000, 500]
    assert "".join(chunks) == emoji
    huge = split_text("x" * 250_000)
    assert len(huge) == 100 and all(len(c) == 2000 for c in huge)
    assert split_text("") == []


def test_option_names_lose_commas_and_are_capped() -> None:
    assert option_name("Limits, continuity") == "Limits continuity"
    assert len(option_name("y" * 300)) == 100
    assert option_name(" , ") == "-"


def test_hash_compares_instants_not_strings() -> None:
    utc = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    paris = utc.astimezone(timezone(timedelta(hours=1)))

    def digest(start: datetime) -> str:
        return page_content_hash(
            task_id="t",
            title="x",
            status=NotionStatus.TODO,
            scheduled_start=start,
            scheduled_end=None,
        )

    assert digest(utc) == digest(paris)
    assert digest(utc) == digest(utc + timedelta(seconds=30))  # Notion has no seconds
    assert digest(utc) != digest(utc + timedelta(minutes=1))
    with pytest.raises(ValueError):
        digest(utc.replace(tzinfo=None))


def test_push_hash_sees_every_field_content_hash_only_editable_ones() -> None:
    task = make_task(1)
    other_topics = make_task(1, topics=("Integrals",))
    assert push_hash(task) != push_hash(other_topics)
    assert content_hash_of(task) == content_hash_of(other_topics)
    assert content_hash_of(task) != content_hash_of(task, in_trash=True)


def test_mapping_validation() -> None:
    with pytest.raises(ValueError, match="unknown Notion mapping keys"):
        SchemaMapping.from_dict({"tittle": "Name"})
    with pytest.raises(ValueError, match="same Notion property"):
        SchemaMapping.from_dict({"due": "Scheduled"})
    with pytest.raises(ValueError):
        SchemaMapping.from_dict({"status_options": {"finished": "Done"}})
    mapping = SchemaMapping.from_dict({"status_options": {"done": "Finished"}})
    assert mapping.option_for(NotionStatus.DONE) == "Finished"
    assert mapping.status_for("Finished") is NotionStatus.DONE
    assert mapping.status_for("Done") is None
    assert SchemaMapping.from_dict(mapping.to_dict()) == mapping


def test_watermark_only_moves_forward() -> None:
    old = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert advance_watermark(old, []) == old
    assert advance_watermark(None, []) is None
