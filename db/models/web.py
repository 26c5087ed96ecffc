"""What the student's browser pages need to remember: one-time sign-in links, browser sessions and
the OAuth `state` nonces of a connection in progress.

Only hashes of the secrets a browser holds (the link's token, the session cookie, the state's
nonce) are stored: a copy of the database cannot sign anyone in. The PKCE verifier must be read
back, so it is encrypted instead.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, user_fk, utcnow, uuid_pk
from db.types import EncryptedString

OAUTH_PROVIDERS = ("google", "notion")
SESSION_ORIGINS = ("invite", "jwt")


class SignInLink(Base):
    """A single-use link printed by `studyplanner api invite` (or the demo)."""

    __tablename__ = "signin_links"
    __table_args__ = (Index("ix_signin_links_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = user_fk()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; this row holds its hash."""

    __tablename__ = "web_sessions"
    __table_args__ = (
        Index("ix_web_sessions_user_id", "user_id"),
        CheckConstraint(
            "origin IN (" + ", ".join(f"'{o}'" for o in SESSION_ORIGINS) + ")", name="origin"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = user_fk()
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class OAuthState(Base):
    """One connection attempt: the nonce in its signed `state`, bound to the student who
    started it, used at most once."""

    __tablename__ = "oauth_states"
    __table_args__ = (
        Index("ix_oauth_states_user_id", "user_id"),
        Index("ix_oauth_states_expires_at", "expires_at"),
        CheckConstraint(
            "provider IN (" + ", ".join(f"'{p}'" for p in OAUTH_PROVIDERS) + ")", name="provider"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = user_fk()
    provider: Mapped[str] = mapped_column(String(16))
    redirect_uri: Mapped[str] = mapped_column(String(1024))
    code_verifier: Mapped[str | None] = mapped_column(EncryptedString)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
