"""Column types shared by the models: aware-UTC timestamps and encrypted strings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, LargeBinary
from sqlalchemy.types import TypeDecorator

from db import crypto


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on every backend.

    SQLite has no time zone type: it stores the naive UTC wall time and hands back naive values,
    so both directions are normalised here. A naive value on the way in is a programming error.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC datetimes only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedString(TypeDecorator[str]):
    """A string stored as a Fernet token: the raw column never holds the plaintext."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return crypto.encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return crypto.decrypt(bytes(value))


def secrets_deferred(entity: type[Any]) -> list[Any]:
    """Loader options that leave `entity`'s encrypted columns unloaded, so never decrypted: for
    reads that need none of its secrets and must work even when the keys cannot read them."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import defer

    return [
        defer(getattr(entity, attr.key))
        for attr in inspect(entity).column_attrs
        if any(isinstance(column.type, EncryptedString) for column in attr.columns)
    ]
