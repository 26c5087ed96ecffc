"""Constant-time comparisons of webhook secrets. Named so the Notion adapter's verifier
(integrations/notion) can replace `verify_notion_signature` one for one."""

from __future__ import annotations

import hashlib
import hmac

NOTION_SIGNATURE_PREFIX = "sha256="


def secrets_equal(expected: str, given: str | None) -> bool:
    """True when `given` is `expected`; the time taken does not depend on where they differ."""
    if given is None:
        # Still compare, so a missing secret takes as long as a wrong one.
        hmac.compare_digest(expected.encode(), b"")
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def notion_signature(raw_body: bytes, verification_token: str) -> str:
    """The `X-Notion-Signature` value Notion sends for this body: sha256=<hex HMAC>."""
    digest = hmac.new(verification_token.encode(), raw_body, hashlib.sha256).hexdigest()
    return NOTION_SIGNATURE_PREFIX + digest


def verify_notion_signature(raw_body: bytes, header: str | None, verification_token: str) -> bool:
    """Whether `header` is the HMAC-SHA256 of the raw body keyed with the verification token.
    Runs on the raw bytes, before anything parses them."""
    return secrets_equal(notion_signature(raw_body, verification_token), header)
