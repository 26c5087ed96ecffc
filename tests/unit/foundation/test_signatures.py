"""Webhook secrets are compared in constant time; the Notion signature is the documented
HMAC-SHA256 of the raw body keyed with the verification token."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from services.realtime.signatures import secrets_equal, verify_notion_signature

TOKEN = "secret_abc"


def test_a_known_signature_verifies_and_any_other_does_not() -> None:
    body = b'{"id":"e1","type":"page.created"}'
    good = "sha256=" + hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()
    assert verify_notion_signature(body, good, TOKEN)
    assert not verify_notion_signature(body, good.upper(), TOKEN)
    assert not verify_notion_signature(body, good.removeprefix("sha256="), TOKEN)
    assert not verify_notion_signature(body + b" ", good, TOKEN)
    assert not verify_notion_signature(body, good, "secret_abd")
    assert not verify_notion_signature(body, None, TOKEN)


@given(st.binary(max_size=256), st.text(min_size=1, max_size=40))
def test_only_the_exact_hmac_verifies(body: bytes, guess: str) -> None:
    good = "sha256=" + hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()
    assert verify_notion_signature(body, good, TOKEN)
    assert verify_notion_signature(body, guess, TOKEN) == (guess == good)


def test_secrets_equal() -> None:
    assert secrets_equal("tok", "tok")
    assert not secrets_equal("tok", "tok2") and not secrets_equal("tok", None)
