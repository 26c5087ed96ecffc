"""Connecting a student's Google Calendar and Notion: tokens stored encrypted, the Notion
database's data source resolved and its schema checked or prepared."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.enums import IntegrationHealth
from db.models import IntegrationSettings, User
from db.session import session_scope
from integrations.errors import IntegrationError
from integrations.notion import NotionClient
from integrations.notion.schema import SchemaMapping
from planner.problems import InvalidInput
from services.realtime.channels import ChannelReport, stop_user_channels
from services.realtime.ports import ChannelClientFactory
from services.settings import Settings
from services.sync.calendars import CalendarChoice
from services.sync.providers import notion_limiter


def integration_of(session: Session, user: User) -> IntegrationSettings:
    row = session.scalars(
        select(IntegrationSettings).where(IntegrationSettings.user_id == user.id)
    ).first()
    if row is None:
        row = IntegrationSettings(user_id=user.id)
        session.add(row)
    return row


def read_token_file(path: Path) -> dict[str, Any]:
    """An authorized-user JSON as google-auth writes it (token, refresh_token, expiry, …)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput.single(f"cannot read {path}: {exc}", "token-file") from None
    if not isinstance(data, dict) or not data.get("refresh_token"):
        raise InvalidInput.single(f"{path} holds no refresh_token", "token-file")
    return data


def connect_google(
    session: Session,
    user: User,
    token: dict[str, Any],
    *,
    monitored: list[str] | None = None,
) -> IntegrationSettings:
    row = integration_of(session, user)
    row.google_access_token = token.get("token") or token.get("access_token")
    row.google_refresh_token = str(token["refresh_token"])
    expiry = token.get("expiry") or token.get("token_expiry")
    row.google_token_expiry = _aware(expiry) if expiry else None
    row.google_calendar_enabled = True
    row.google_health = IntegrationHealth.OK
    # An empty list is the default: every calendar the student owns or shows (sync/calendars).
    row.google_monitored_calendars = list(monitored or [])
    return row


def google_calendar_choices(settings: Settings, row: IntegrationSettings) -> list[CalendarChoice]:
    """The student's calendars and, for each, whether the planner reads its busy time and why
    (IntegrationError if Google cannot be asked now)."""
    from services.sync.calendars import choose_busy_calendars
    from services.sync.providers import google_client

    client = google_client(settings, row)
    try:
        listed = client.list_calendars()
    finally:
        client.close()
    return choose_busy_calendars(
        listed,
        study_calendar_id=row.google_calendar_id,
        explicit=row.google_monitored_calendars or (),
    )


def disconnect_google(
    engine: Engine, user_id: uuid.UUID, now: datetime, channel_clients: ChannelClientFactory
) -> ChannelReport:
    """Stop the student's push channels (while their tokens can still call channels.stop),
    then forget the tokens. Their calendar and events stay as they are."""
    report = stop_user_channels(engine, user_id, now, channel_clients)
    with session_scope(engine) as session:
        row = session.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == user_id)
        ).first()
        if row is not None:
            row.google_calendar_enabled = False
            row.google_access_token = None
            row.google_refresh_token = None
            row.google_token_expiry = None
            row.google_sync_token = None
    return report


def run_installed_app_flow(client_id: str, client_secret: str, *, port: int = 0) -> dict[str, Any]:
    """The desktop OAuth flow (opens a browser; needs a real Google client). Not reachable from
    tests: there is no Google here, and the emulator has no consent screen."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    from integrations.google_calendar import SCOPES

    flow = InstalledAppFlow.from_client_config(
        {
            "installed": {
                "client_id": client_id,
                "client_secret": client_secret,
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "token_uri": "https://oauth2.googleapis.com/token",
                "redirect_uris": ["http://localhost"],
            }
        },
        scopes=list(SCOPES),
    )
    credentials = flow.run_local_server(port=port, prompt="consent", access_type="offline")
    return json.loads(credentials.to_json())  # type: ignore[no-any-return]


def connect_notion(
    session: Session,
    settings: Settings,
    user: User,
    *,
    token: str,
    database_id: str,
    data_source: str | None = None,
    two_way: bool = True,
    property_names: dict[str, Any] | None = None,
) -> IntegrationSettings:
    mapping = SchemaMapping.from_dict(property_names) if property_names else None
    with NotionClient(settings.notion_base_url, token, notion_limiter(settings)) as client:
        try:
            sources = client.resolve_data_source(database_id)
        except IntegrationError as exc:
            raise InvalidInput.single(
                f"cannot open the Notion database: {exc} (is it shared with the integration?)",
                "database",
            ) from None
        if not sources:
            raise InvalidInput.single("the database has no data source", "database")
        if data_source is None and len(sources) > 1:
            choices = ", ".join(f"{s.id} ({s.name})" for s in sources)
            raise InvalidInput.single(
                f"the database has several data sources: pass --data-source with one of {choices}",
                "data-source",
            )
        chosen = sources[0].id if data_source is None else data_source
        if chosen not in {s.id for s in sources}:
            raise InvalidInput.single(f"no data source {chosen} in that database", "data-source")
        try:
            prepared = client.prepare_schema(chosen, mapping)
        except IntegrationError as exc:
            raise InvalidInput.single(str(exc), "database") from None
    row = integration_of(session, user)
    row.notion_access_token = token
    row.notion_database_id = database_id
    row.notion_data_source_id = chosen
    row.notion_property_map = prepared.to_dict()
    row.notion_two_way_sync = two_way
    row.notion_enabled = True
    row.notion_health = IntegrationHealth.OK
    return row


def _aware(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
