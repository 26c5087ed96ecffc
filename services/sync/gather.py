"""The gather step: what Google and Notion hold now, and the provider clients that ask them.

Network only, no transaction open. Every failure is recorded in the report and leaves its part
of `Gathered` empty (None), which the decide step reads as "not known this time".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from db.enums import IntegrationHealth, Provider
from db.models import IntegrationSettings
from integrations.errors import IntegrationError
from integrations.google_calendar import ChangeSet, GoogleCalendarClient
from integrations.notion import NotionClient, RemotePage, advance_watermark
from planner.values import BusyInterval
from services.settings import Settings
from services.sync.calendars import busy_calendar_ids
from services.sync.providers import google_client, notion_client
from services.sync.report import RecordedError, SyncReport


@dataclass
class Gathered:
    """What the pull step learned. `busy` is None when busy times could not be trusted."""

    busy: list[BusyInterval] | None = None
    google_calendar_id: str | None = None
    notion_data_source_id: str | None = None
    changes: ChangeSet | None = None
    notion_pages: list[RemotePage] | None = None
    notion_watermark: datetime | None = None
    google_token: tuple[str, datetime | None] | None = None


def google_for(
    settings: Settings, integration: IntegrationSettings, report: SyncReport
) -> GoogleCalendarClient | None:
    if not integration.google_calendar_enabled or integration.google_health != IntegrationHealth.OK:
        return None
    try:
        return google_client(settings, integration)
    except IntegrationError as exc:
        report.errors.append(RecordedError(Provider.GOOGLE, "credentials", exc))
        return None


def notion_for(
    settings: Settings, integration: IntegrationSettings, report: SyncReport
) -> NotionClient | None:
    if not integration.notion_enabled or integration.notion_health != IntegrationHealth.OK:
        return None
    if not integration.notion_data_source:
        report.errors.append(
            RecordedError(
                Provider.NOTION,
                "schema",
                message="Notion is enabled but not connected to a database",
            )
        )
        return None
    try:
        return notion_client(settings, integration)
    except IntegrationError as exc:
        report.errors.append(RecordedError(Provider.NOTION, "credentials", exc))
        return None


def _busy_calendars(
    google: GoogleCalendarClient, integration: IntegrationSettings, study_calendar_id: str
) -> list[str]:
    named = list(integration.google_monitored_calendars or [])
    if not named:
        # The default: every calendar the student owns or shows, never the study one.
        listed = google.list_calendars()
        return busy_calendar_ids(listed, study_calendar_id=study_calendar_id) or ["primary"]
    # Never the study calendar, even when named: its events are the plan itself.
    return [c for c in named if c != study_calendar_id]


def gather(
    integration: IntegrationSettings,
    google: GoogleCalendarClient | None,
    notion: NotionClient | None,
    now: datetime,
    zone: str,
    horizon_days: int,
    report: SyncReport,
) -> Gathered:
    """Busy time over the whole planning span (`horizon_days`), not just the written window:
    the planner checks every deadline's free time."""
    # The study calendar and the data source are resolved here, once; later steps read them
    # from what was gathered.
    pulled = Gathered(
        busy=[] if not integration.google_calendar_enabled else None,
        google_calendar_id=integration.google_calendar_id,
        notion_data_source_id=integration.notion_data_source,
    )
    horizon_end = now + timedelta(days=horizon_days)
    if google is not None:
        try:
            # A stored calendar is trusted: if it was deleted, the listing below answers 404
            # and the sync stops there (recorded, nothing deleted). One call saved per sync.
            calendar_id = integration.google_calendar_id or google.ensure_study_calendar(
                None, time_zone=zone
            )
            pulled.google_calendar_id = calendar_id
            monitored = _busy_calendars(google, integration, calendar_id)
            report.add("busy_calendars", len(monitored))
            busy = google.freebusy(monitored, now, horizon_end)
            pulled.busy = busy
            report.add("busy_intervals", len(busy))
            pulled.changes = google.list_changes(calendar_id, integration.google_sync_token)
            report.add("google_changes", len(pulled.changes.events))
        except IntegrationError as exc:
            report.errors.append(RecordedError(Provider.GOOGLE, exc.operation or "pull", exc))
        if google.refreshed_token is not None:
            token = google.refreshed_token
            pulled.google_token = (token.access_token, token.expiry)
    if notion is not None and integration.notion_two_way_sync:
        data_source_id = pulled.notion_data_source_id
        assert data_source_id is not None  # notion_for() gives no client without one
        try:
            pages = notion.query_changed_since(data_source_id, integration.notion_watermark)
            pulled.notion_pages = pages
            pulled.notion_watermark = advance_watermark(integration.notion_watermark, pages)
            report.add("notion_changes", len(pages))
        except IntegrationError as exc:
            report.errors.append(RecordedError(Provider.NOTION, exc.operation or "pull", exc))
    return pulled
