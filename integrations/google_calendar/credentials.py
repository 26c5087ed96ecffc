"""OAuth credentials for the adapter: build them from stored tokens, refresh, hand back the new
token so the caller can store it (encrypted). google-auth keeps `expiry` as naive UTC; the rest
of the project uses aware UTC, so the conversion happens here only."""

from __future__ import annotations

from datetime import UTC, datetime

import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials

from integrations.google_calendar.errors import mapped_errors
from integrations.google_calendar.values import TokenRefresh

# Creating the dedicated "Study plan" calendar needs the full calendar scope
# (calendar.app.created would also do, but it cannot read other calendars' free/busy).
SCOPES = ("https://www.googleapis.com/auth/calendar",)


def build_credentials(
    *,
    access_token: str | None,
    refresh_token: str,
    token_uri: str,
    client_id: str,
    client_secret: str,
    token_expiry: datetime | None,
) -> Credentials:
    credentials = Credentials(  # type: ignore[no-untyped-call]
        token=access_token,
        refresh_token=refresh_token,
        token_uri=token_uri,
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(SCOPES),
    )
    if token_expiry is not None:
        credentials.expiry = _naive_utc(token_expiry)
    return credentials


def token_state(credentials: Credentials) -> TokenRefresh:
    expiry = credentials.expiry
    return TokenRefresh(
        access_token=str(credentials.token),
        expiry=expiry.replace(tzinfo=UTC) if expiry is not None else None,
    )


def refresh(credentials: Credentials, *, timeout: float) -> TokenRefresh:
    """Refresh now. invalid_grant → NeedsReauthError (never retry, delete nothing)."""
    request = google_auth_httplib2.Request(httplib2.Http(timeout=timeout))
    with mapped_errors("oauth.refresh"):
        credentials.refresh(request)  # type: ignore[no-untyped-call]
    return token_state(credentials)


def refresh_if_expired(credentials: Credentials, *, timeout: float) -> TokenRefresh | None:
    """Refresh when the token is missing or (nearly) expired; None when it is still good."""
    if credentials.token and credentials.valid:
        return None
    return refresh(credentials, timeout=timeout)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
