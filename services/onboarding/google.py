"""A student connects Google Calendar: the web-server OAuth flow, the choice of busy calendars,
disconnect.

The callback uses the `state` up in its own transaction first, so a refused or failed exchange
can never be replayed; tokens are written only once every check passed (scopes, refresh token),
so a failure stores nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.enums import IntegrationHealth
from db.models import IntegrationSettings, User
from db.session import session_scope
from integrations.errors import IntegrationError
from integrations.google_calendar import SCOPES, GoogleCalendarClient
from integrations.google_calendar import oauth as google_oauth
from integrations.google_calendar.values import CalendarInfo
from services.connect import connect_google, integration_of
from services.onboarding.errors import ConnectError
from services.onboarding.states import consume_state, issue_state
from services.settings import Settings
from services.sync.providers import google_client

log = logging.getLogger(__name__)

CALLBACK_PATH = "/v1/connect/google/callback"
# freeBusyReader is enough: free/busy is all the planner reads of the other calendars.
READABLE_ROLES = frozenset({"owner", "writer", "reader", "freeBusyReader"})
SCOPE_NAMES = {
    "https://www.googleapis.com/auth/calendar": "see, edit, share and delete all your calendars",
}


def web_client(settings: Settings) -> google_oauth.WebClient:
    if not settings.google_client_id or settings.google_client_secret is None:
        raise ConnectError(
            "not_configured",
            "Google Calendar cannot be connected here yet: the server has no Google OAuth "
            "client (STUDYPLANNER_GOOGLE_CLIENT_ID and _SECRET). Ask the administrator.",
            retry=False,
        )
    return google_oauth.WebClient(
        client_id=settings.google_client_id,
        client_secret=settings.google_client_secret.get_secret_value(),
        auth_uri=settings.google_auth_uri,
        token_uri=settings.google_token_uri,
    )


def start_google(
    session: Session, settings: Settings, user_id: uuid.UUID, *, redirect_uri: str, now: datetime
) -> str:
    """The consent URL to send the student's browser to."""
    client = web_client(settings)
    verifier = google_oauth.new_code_verifier()
    state = issue_state(
        session,
        settings,
        user_id=user_id,
        provider="google",
        redirect_uri=redirect_uri,
        code_verifier=verifier,
        now=now,
    )
    return google_oauth.consent_url(
        client, scopes=SCOPES, redirect_uri=redirect_uri, state=state, code_verifier=verifier
    )


def finish_google(
    engine: Engine,
    settings: Settings,
    user_id: uuid.UUID,
    params: Mapping[str, str],
    *,
    now: datetime,
) -> None:
    """The callback: check the state, exchange the code, check what was granted, store."""
    client = web_client(settings)
    with session_scope(engine) as session:
        pending = consume_state(
            session, settings, params.get("state"), user_id=user_id, provider="google", now=now
        )
    error = params.get("error")
    if error == "access_denied":
        raise ConnectError(
            "denied",
            "You chose not to give the planner access to Google Calendar, so nothing was "
            "connected. You can connect whenever you like.",
        )
    code = params.get("code")
    if error or not code or not pending.code_verifier:
        raise ConnectError(
            "exchange_failed",
            f"Google did not complete the connection ({error or 'no code'}). Nothing was stored.",
        )
    try:
        grant = google_oauth.exchange_code(
            client,
            scopes=SCOPES,
            redirect_uri=pending.redirect_uri,
            code=code,
            code_verifier=pending.code_verifier,
        )
    except google_oauth.GoogleOAuthError as exc:
        log.warning("Google refused the code exchange for user %s: %s", user_id, exc.code)
        raise ConnectError(
            "exchange_failed",
            f"Google refused the connection ({exc.code}). Nothing was stored; try again.",
        ) from None
    missing = [s for s in SCOPES if s not in grant.scopes]
    if missing:
        wanted = "; ".join(SCOPE_NAMES.get(s, s) for s in missing)
        raise ConnectError(
            "scopes_narrower",
            f"On Google's page the permission to {wanted} was not given. The planner needs it "
            "to create your study calendar and to see when you are busy. Nothing was stored; "
            "connect again and leave that box ticked.",
        )
    if grant.refresh_token is None:
        raise ConnectError(
            "no_refresh_token",
            "Google gave only short-lived access (no refresh token), so the planner could not "
            "keep your calendar up to date. Nothing was stored; connect again and approve the "
            "consent screen.",
        )
    calendars = _list_with(settings, grant)
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        row = integration_of(session, user)
        monitored = default_busy_calendars(calendars, study_calendar_id=row.google_calendar_id)
        row = connect_google(session, user, grant.as_token(), monitored=monitored or ["primary"])
        row.google_granted_scopes = list(grant.scopes)


def _list_with(settings: Settings, grant: google_oauth.GoogleGrant) -> list[CalendarInfo]:
    assert grant.refresh_token is not None
    secret = settings.google_client_secret
    client = GoogleCalendarClient(
        base_url=settings.google_api_endpoint,
        token_uri=settings.google_token_uri,
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        client_id=settings.google_client_id or "",
        client_secret=secret.get_secret_value() if secret else "",
        token_expiry=grant.expiry,
        timeout=20.0,
    )
    try:
        return client.list_calendars()
    except IntegrationError as exc:
        # The grant is good; the choice can be made on the calendars page once Google answers.
        log.warning("listing calendars after connecting failed: %s", exc.code or exc.status)
        return []
    finally:
        client.close()


def default_busy_calendars(
    calendars: Sequence[CalendarInfo], *, study_calendar_id: str | None
) -> list[str]:
    """Every calendar the student owns or shows in Google Calendar, never the study calendar."""
    return [
        c.id
        for c in calendars
        if not (c.ours or c.id == study_calendar_id)
        and c.access_role in READABLE_ROLES
        and (c.access_role == "owner" or c.selected)
    ]


@dataclass(frozen=True)
class CalendarOption:
    id: str
    summary: str
    primary: bool
    access_role: str
    checked: bool
    note: str


def calendar_options(session: Session, settings: Settings, user: User) -> list[CalendarOption]:
    """The student's calendars, checked where the planner reads busy time (ConnectError when
    Google is not connected or cannot be asked now)."""
    row = integration_of(session, user)
    if not row.google_refresh_token:
        raise ConnectError("not_connected", "Google Calendar is not connected.")
    listed = _listed(settings, row)
    chosen = set(row.google_monitored_calendars or [])
    options = []
    for cal in sorted(listed, key=lambda c: (not c.primary, c.summary.lower(), c.id)):
        if cal.ours or cal.id == row.google_calendar_id:
            continue  # the study calendar is the plan itself, never busy time
        checked = cal.id in chosen or (cal.primary and "primary" in chosen)
        note = "yours" if cal.access_role == "owner" else f"shared with you ({cal.access_role})"
        if not cal.selected and cal.access_role != "owner":
            note += ", hidden in Google Calendar"
        options.append(
            CalendarOption(
                cal.id, cal.summary or cal.id, cal.primary, cal.access_role, checked, note
            )
        )
    return options


def _listed(settings: Settings, row: IntegrationSettings) -> list[CalendarInfo]:
    client = google_client(settings, row)
    try:
        listed = client.list_calendars()
        refreshed = client.refreshed_token
    except IntegrationError as exc:
        raise ConnectError(
            "remote_failed",
            f"Google Calendar did not answer ({exc.code or exc.status}); try again.",
        ) from None
    finally:
        client.close()
    if refreshed is not None:
        row.google_access_token = refreshed.access_token
        row.google_token_expiry = refreshed.expiry
    return listed


def save_busy_calendars(
    session: Session, settings: Settings, user: User, chosen: Sequence[str]
) -> list[str]:
    """Store the student's choice, each id checked against their calendar list."""
    options = {o.id: o for o in calendar_options(session, settings, user)}
    unknown = [c for c in chosen if c not in options]
    if unknown:
        raise ConnectError("bad_choice", "That calendar is not one of yours; pick from the list.")
    if not chosen:
        raise ConnectError(
            "bad_choice",
            "Pick at least one calendar: without one the planner would think you are always free.",
        )
    row = integration_of(session, user)
    row.google_monitored_calendars = list(dict.fromkeys(chosen))
    return row.google_monitored_calendars


def disconnect_google(engine: Engine, settings: Settings, user_id: uuid.UUID) -> bool:
    """Forget the grant (the study calendar and its events stay in the student's Google
    account) and revoke it; True if Google confirmed the revocation."""
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        row = integration_of(session, user)
        token = row.google_refresh_token or row.google_access_token
        row.google_access_token = None
        row.google_refresh_token = None
        row.google_token_expiry = None
        row.google_granted_scopes = None
        row.google_sync_token = None
        row.google_calendar_enabled = False
        row.google_health = IntegrationHealth.OK
    if not token:
        return False
    return google_oauth.revoke(settings.google_revoke_uri, token)
