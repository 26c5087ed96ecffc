"""A local Google Calendar v3 emulator: real HTTP on 127.0.0.1, Google's semantics, fault
injection and an admin API that acts as the user. See `server.start_google_emulator`."""

from __future__ import annotations

from emulators.google.admin import AdminError, EmulatorAdmin
from emulators.google.server import GoogleEmulator, serve, start_google_emulator
from emulators.google.settings import EmulatorSettings

__all__ = [
    "AdminError",
    "EmulatorAdmin",
    "EmulatorSettings",
    "GoogleEmulator",
    "serve",
    "start_google_emulator",
]
