"""The OAuth `state`: `<nonce>.<signature>`, the signature an HMAC over the provider, the student
and the nonce. The nonce's hash is stored with the student, the redirect URI and the PKCE
verifier; the callback uses it up once. A state that verifies for nobody is refused before any
code is exchanged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from db.models import OAuthState
from services.onboarding.errors import ConnectError
from services.onboarding.secrets import digest, new_token, same, sign
from services.settings import Settings

PROVIDER_NAMES = {"google": "Google Calendar", "notion": "Notion"}


@dataclass(frozen=True)
class PendingFlow:
    redirect_uri: str
    code_verifier: str | None = field(repr=False)


def _signature(settings: Settings, provider: str, user_id: uuid.UUID, nonce: str) -> str:
    return sign(settings.web_secret_value(), "oauth-state", provider, str(user_id), nonce)


def issue_state(
    session: Session,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    provider: str,
    redirect_uri: str,
    code_verifier: str | None,
    now: datetime,
) -> str:
    # The student's stale attempts go: the table holds only flows that can still finish.
    session.execute(
        delete(OAuthState)
        .where(OAuthState.user_id == user_id, OAuthState.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    nonce = new_token(24)
    session.add(
        OAuthState(
            nonce_hash=digest(nonce),
            user_id=user_id,
            provider=provider,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.oauth_state_minutes),
        )
    )
    return f"{nonce}.{_signature(settings, provider, user_id, nonce)}"


def consume_state(
    session: Session,
    settings: Settings,
    state: str | None,
    *,
    user_id: uuid.UUID,
    provider: str,
    now: datetime,
) -> PendingFlow:
    """The flow `state` started, used up now; ConnectError when it is not this student's live
    flow. Commit right after: a refused exchange must not make the state reusable."""
    name = PROVIDER_NAMES[provider]
    again = f"Start again from your connections page to connect {name}."
    not_here = f"This answer from {name} was not started here. {again}"
    nonce, _, signature = (state or "").partition(".")
    row = (
        session.query(OAuthState).filter(OAuthState.nonce_hash == digest(nonce)).one_or_none()
        if nonce and signature
        else None
    )
    if row is None or row.provider != provider:
        raise ConnectError("state_invalid", not_here)
    if row.user_id != user_id:
        raise ConnectError(
            "state_foreign",
            f"This {name} connection was started by another account, not the one signed in. "
            f"Nothing was connected. {again}",
        )
    if not same(signature, _signature(settings, provider, user_id, nonce)):
        raise ConnectError("state_invalid", not_here)
    if row.used_at is not None:
        raise ConnectError(
            "state_replayed",
            f"This {name} answer was already used (a page reloaded or a link opened twice). "
            f"Nothing more was connected. {again}",
        )
    if row.expires_at <= now:
        raise ConnectError("state_expired", f"The {name} page was left open too long. {again}")
    used = session.execute(
        update(OAuthState)
        .where(OAuthState.id == row.id, OAuthState.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 0) != 1:
        raise ConnectError("state_replayed", f"This {name} answer was already used. {again}")
    return PendingFlow(redirect_uri=row.redirect_uri, code_verifier=row.code_verifier)
