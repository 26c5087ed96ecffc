"""A local HTTP emulator of the Notion API (2025-09-03 subset) for tests and the demo."""

from __future__ import annotations

from emulators.notion.admin import FULL_SCHEMA, AdminError, EmulatedWorkspace, NotionAdmin
from emulators.notion.runtime import EmulatorSettings
from emulators.notion.server import NotionEmulator, serve, start_notion_emulator

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
