"""Fixtures: a real emulator on 127.0.0.1:0 per test, and real GoogleCalendarClients for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from emulators.google import GoogleEmulator, start_google_emulator
from integrations.google_calendar import GoogleCalendarClient

ClientFactory = Callable[..., GoogleCalendarClient]


@pytest.fixture
def emulator_settings() -> dict[str, Any]:
    """Override in a test module (or parametrize) to start the emulator with other settings."""
    return {}


@pytest.fixture
def emulator(emulator_settings: dict[str, Any]) -> Iterator[GoogleEmulator]:
    emu = start_google_emulator("127.0.0.1", 0, **emulator_settings)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def grant(emulator: GoogleEmulator) -> dict[str, Any]:
    return emulator.admin.grant()


@pytest.fixture
def make_client(emulator: GoogleEmulator, grant: dict[str, Any]) -> Iterator[ClientFactory]:
    made: list[GoogleCalendarClient] = []

    def make(**overrides: Any) -> GoogleCalendarClient:
        arguments: dict[str, Any] = {
            "base_url": emulator.base_url,
            "token_uri": emulator.token_uri,
            "access_token": grant["access_token"],
            "refresh_token": grant["refresh_token"],
            "client_id": grant["client_id"],
            "client_secret": grant["client_secret"],
            "token_expiry": datetime.fromisoformat(grant["token_expiry"]),
            "timeout": 5.0,
        }
        arguments.update(overrides)
        client = GoogleCalendarClient(**arguments)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> GoogleCalendarClient:
    return make_client()


@pytest.fixture
def study_calendar(client: GoogleCalendarClient) -> str:
    return client.ensure_study_calendar(None, time_zone="Europe/Berlin")
