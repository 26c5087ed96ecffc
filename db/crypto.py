"""Encryption at rest for tokens and feed URLs: Fernet, MultiFernet for key rotation.

The key ring is configured once at start-up (`configure_keys`) from the settings. The first key
encrypts; every key decrypts, so a new key put first in the list still reads rows written with the
old one until `studyplanner keys rotate` re-encrypts them.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class KeyRingNotConfigured(RuntimeError):
    pass


class DecryptionFailed(RuntimeError):
    """A stored value could not be decrypted with any configured key."""


_ring: MultiFernet | None = None
_primary: Fernet | None = None


def configure_keys(keys: Sequence[str]) -> None:
    global _ring, _primary
    if not keys:
        raise ValueError("at least one Fernet key is needed")
    try:
        fernets = [Fernet(k.encode() if isinstance(k, str) else k) for k in keys]
    except (ValueError, TypeError) as exc:
        raise ValueError(
            "a Fernet key is malformed: each must be 32 url-safe base64-encoded bytes"
        ) from exc
    _primary = fernets[0]
    _ring = MultiFernet(fernets)


def is_configured() -> bool:
    return _ring is not None


def _key_ring() -> MultiFernet:
    if _ring is None:
        raise KeyRingNotConfigured(
            "encryption keys are not configured: call db.crypto.configure_keys() at start-up"
        )
    return _ring


def encrypt(plaintext: str) -> bytes:
    return _key_ring().encrypt(plaintext.encode("utf-8"))


def decrypt(ciphertext: bytes) -> str:
    try:
        return _key_ring().decrypt(ciphertext).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionFailed(
            "a stored secret could not be decrypted with any configured key"
        ) from exc


def can_decrypt(ciphertext: bytes) -> bool:
    """Whether some configured key reads `ciphertext` (the plaintext is dropped unseen)."""
    try:
        _key_ring().decrypt(ciphertext)
    except InvalidToken:
        return False
    return True


def rotate(ciphertext: bytes) -> bytes:
    """Re-encrypt with the primary key (MultiFernet.rotate keeps the original timestamp)."""
    try:
        return _key_ring().rotate(ciphertext)
    except InvalidToken as exc:
        raise DecryptionFailed(
            "a stored secret could not be decrypted with any configured key"
        ) from exc


def is_encrypted_with_primary(ciphertext: bytes) -> bool:
    if _primary is None:
        raise KeyRingNotConfigured("encryption keys are not configured")
    try:
        _primary.decrypt(ciphertext)
    except InvalidToken:
        return False
    return True
