"""A local HTTP emulator of the Notion API (2025-09-03 subset) for tests and the demo."""

from __future__ import annotations

from integrations.emulators.notion.handle import (
    FULL_SCHEMA,
    AdminError,
    EmulatedWorkspace,
    NotionAdmin,
    NotionEmulator,
    serve,
    start_notion_emulator,
)
from integrations.emulators.notion.server import EmulatorSettings

__all__ = [
    "FULL_SCHEMA",
    "AdminError",
    "EmulatedWorkspace",
    "EmulatorSettings",
    "NotionAdmin",
    "NotionEmulator",
    "serve",
    "start_notion_emulator",
]
