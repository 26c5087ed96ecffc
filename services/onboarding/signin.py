"""Signing in to the student's pages: one-time links, a host app's JWT, browser sessions.

A link (`studyplanner api invite --user …`) is single use and short-lived; opening it shows a
confirmation page, and only pressing its button (a POST) uses it up — so a mail scanner or link
preview that fetches the URL does not burn it. The session cookie holds a random token whose
hash is stored; the CSRF token of a session is an HMAC of that token, checked on every POST.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from db.models import SignInLink, User, WebSession
from services.onboarding.errors import SignInError
from services.onboarding.secrets import digest, new_token, same, sign
from services.settings import Settings

SIGNIN_PATH = "/signin/"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def create_invite(session: Session, settings: Settings, user: User, *, now: datetime) -> str:
    """A new link token for `user` (shown once; only its hash is kept)."""
    token = new_token()
    session.add(
        SignInLink(
            token_hash=digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.web_invite_minutes),
        )
    )
    return token


def invite_url(settings: Settings, token: str, base_url: str | None = None) -> str:
    base = (base_url or settings.public_base_url or DEFAULT_BASE_URL).rstrip("/")
    return f"{base}{SIGNIN_PATH}{token}"


def _link(session: Session, token: str, now: datetime) -> SignInLink:
    link = (
        session.query(SignInLink).filter(SignInLink.token_hash == digest(token)).one_or_none()
        if token
        else None
    )
    if link is None:
        raise SignInError("This sign-in link is not valid. Ask for a new one.")
    if link.used_at is not None:
        raise SignInError("This sign-in link was already used. Ask for a new one.")
    if link.expires_at <= now:
        raise SignInError("This sign-in link has expired. Ask for a new one.")
    return link


def peek_invite(session: Session, token: str, *, now: datetime) -> User:
    """Whom the link signs in, without using it up (the confirmation page)."""
    link = _link(session, token, now)
    user = session.get(User, link.user_id)
    if user is None or not user.is_active:
        raise SignInError("This sign-in link is not valid. Ask for a new one.")
    return user


def redeem_invite(session: Session, token: str, *, now: datetime) -> uuid.UUID:
    """Use the link up (at most once, also under concurrent clicks); the user it signs in."""
    link = _link(session, token, now)
    used = session.execute(
        update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 0) != 1:
        raise SignInError("This sign-in link was already used. Ask for a new one.")
    peek_user = session.get(User, link.user_id)
    if peek_user is None or not peek_user.is_active:
        raise SignInError("This sign-in link is not valid. Ask for a new one.")
    return link.user_id


@dataclass(frozen=True)
class BrowserSession:
    id: uuid.UUID
    user_id: uuid.UUID
    csrf: str = field(repr=False)


def start_session(
    session: Session, settings: Settings, user_id: uuid.UUID, *, origin: str, now: datetime
) -> str:
    """A new session for the user; the cookie value (only its hash is stored)."""
    token = new_token()
    session.add(
        WebSession(
            token_hash=digest(token),
            user_id=user_id,
            origin=origin,
            created_at=now,
            expires_at=now + timedelta(hours=settings.web_session_hours),
        )
    )
    return token


def csrf_token(settings: Settings, cookie_token: str) -> str:
    return sign(settings.web_secret_value(), "csrf", cookie_token)


def csrf_ok(settings: Settings, cookie_token: str, submitted: str | None) -> bool:
    return bool(submitted) and same(csrf_token(settings, cookie_token), submitted or "")


def find_session(
    session: Session, settings: Settings, cookie_token: str | None, *, now: datetime
) -> BrowserSession | None:
    if not cookie_token:
        return None
    row = (
        session.query(WebSession)
        .filter(WebSession.token_hash == digest(cookie_token))
        .one_or_none()
    )
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return BrowserSession(id=row.id, user_id=row.user_id, csrf=csrf_token(settings, cookie_token))


def end_session(session: Session, cookie_token: str, *, now: datetime) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == digest(cookie_token), WebSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
