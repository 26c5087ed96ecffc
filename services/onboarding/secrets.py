"""Random tokens, their stored hashes, and HMAC signatures (states, CSRF tokens)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    """What the database keeps of a token a browser holds (a copy of it signs nobody in)."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(key: bytes, *parts: str) -> str:
    message = "\x1f".join(parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
