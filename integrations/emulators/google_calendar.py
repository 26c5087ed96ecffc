"""The Google Calendar emulator (the implementation lives in `integrations.emulators.google`)."""

from __future__ import annotations

from integrations.emulators.google import (
    AdminError,
    EmulatorAdmin,
    EmulatorSettings,
    GoogleEmulator,
    serve,
    start_google_emulator,
)

__all__ = [
    "AdminError",
    "EmulatorAdmin",
    "EmulatorSettings",
    "GoogleEmulator",
    "serve",
    "start_google_emulator",
]
