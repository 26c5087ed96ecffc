"""Tokens are encrypted at rest; rotating keys keeps old rows readable and re-encrypts them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from db import crypto
from db.keyrotation import rotate_all
from db.models import IntegrationSettings
from db.session import session_scope
from tests.integration.db.factories import add_user

GOOGLE_REFRESH = "1//refresh-token-VERY-SECRET"
NOTION_TOKEN = "ntn_secret_NOTIONTOKEN42"


@pytest.fixture
def restore_keys(key_ring: list[str]) -> Iterator[None]:
    yield
    crypto.configure_keys(key_ring)


def raw_tokens(engine: Engine, user_id: object) -> tuple[bytes, bytes]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT google_refresh_token, notion_access_token FROM integration_settings "
                "WHERE google_calendar_id = :marker"
            ),
            {"marker": str(user_id)},
        ).one()
    return bytes(row[0]), bytes(row[1])


def store_tokens(engine: Engine) -> object:
    with session_scope(engine) as session:
        user = add_user(session)
        session.add(
            IntegrationSettings(
                user_id=user.id,
                google_calendar_id=str(user.id),
                google_refresh_token=GOOGLE_REFRESH,
                notion_access_token=NOTION_TOKEN,
            )
        )
        return user.id


def read_tokens(engine: Engine, user_id: object) -> tuple[str | None, str | None]:
    with session_scope(engine) as session:
        row = session.query(IntegrationSettings).filter_by(google_calendar_id=str(user_id)).one()
        return row.google_refresh_token, row.notion_access_token


def test_raw_columns_never_hold_the_tokens(engine: Engine) -> None:
    user_id = store_tokens(engine)
    google_raw, notion_raw = raw_tokens(engine, user_id)
    assert GOOGLE_REFRESH.encode() not in google_raw
    assert NOTION_TOKEN.encode() not in notion_raw
    assert google_raw.startswith(b"gAAAA")  # a Fernet token
    assert read_tokens(engine, user_id) == (GOOGLE_REFRESH, NOTION_TOKEN)


def test_rotation_keeps_old_rows_readable_then_moves_them_to_the_new_key(
    engine: Engine, key_ring: list[str], restore_keys: None
) -> None:
    user_id = store_tokens(engine)
    before = raw_tokens(engine, user_id)

    new_key = Fernet.generate_key().decode()
    crypto.configure_keys([new_key, *key_ring])
    assert read_tokens(engine, user_id) == (GOOGLE_REFRESH, NOTION_TOKEN)
    assert not crypto.is_encrypted_with_primary(before[0])

    report = rotate_all(engine)
    assert report.values_rotated >= 2
    assert "integration_settings.google_refresh_token" in report.columns
    after = raw_tokens(engine, user_id)
    assert after != before
    assert all(crypto.is_encrypted_with_primary(value) for value in after)

    crypto.configure_keys([new_key])  # the old key is retired
    assert read_tokens(engine, user_id) == (GOOGLE_REFRESH, NOTION_TOKEN)

    # The rotation covered every row of the shared database: rotate back to the suite's key,
    # or the tests that follow would find their rows unreadable.
    crypto.configure_keys([*key_ring, new_key])
    rotate_all(engine)


def test_a_wrong_key_fails_clearly(engine: Engine, restore_keys: None) -> None:
    user_id = store_tokens(engine)
    crypto.configure_keys([Fernet.generate_key().decode()])
    with pytest.raises(Exception, match="could not be decrypted"):
        read_tokens(engine, user_id)


def test_malformed_key_is_a_clear_error(restore_keys: None) -> None:
    with pytest.raises(ValueError, match="malformed"):
        crypto.configure_keys(["not-a-key"])
