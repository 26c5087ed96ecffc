"""Re-encrypt every encrypted column with the primary key (`studyplanner keys rotate`).

Works on raw bytes, so it needs no knowledge of what the secrets are and never decrypts into a
Python string that could be logged. Idempotent: a value already under the primary key is
re-encrypted again harmlessly (and counted as rotated), so a crash halfway is fixed by rerunning.

Rotation runs beside live writers (a token refresh, a reconnect), so each row is written with a
compare-and-swap on the ciphertext it read: `UPDATE … WHERE pk = :pk AND column = :old`. A row a
writer changed in between matches nothing and is read again, so the writer's value always wins
and is never replaced by an older secret. The same statement is safe on PostgreSQL (READ
COMMITTED re-checks the WHERE clause against the newest row version) and on SQLite (one writer
at a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, LargeBinary, Row, select, type_coerce, update
from sqlalchemy.sql.schema import Column, Table

from db import crypto
from db.models import Base
from db.types import EncryptedString

# A row that keeps changing under us is left to its writer after this many tries: the writer
# encrypts with the current ring, and a rerun of the rotation picks it up if it was an old key.
MAX_TRIES_PER_ROW = 5


@dataclass(frozen=True, slots=True)
class RotationReport:
    values_rotated: int
    columns: tuple[str, ...]
    # Rows whose ciphertext changed between our read and our write (a concurrent writer won).
    concurrent_writes: int = 0
    # Rows left to a writer that kept changing them; rerun the rotation to cover them.
    left_to_writers: int = 0


def encrypted_columns() -> list[tuple[Table, Column[object]]]:
    found: list[tuple[Table, Column[object]]] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedString):
                found.append((table, column))
    return found


def _raw(column: Column[object]) -> Any:
    return type_coerce(column, LargeBinary())


def _swap(conn: Connection, table: Table, column: Column[object], pk: object, old: bytes) -> bool:
    key = next(iter(table.primary_key.columns))
    result = conn.execute(
        update(table)
        .where(key == pk, _raw(column) == type_coerce(old, LargeBinary()))
        .values({column.name: type_coerce(crypto.rotate(old), LargeBinary())})
    )
    return result.rowcount == 1


def _current(conn: Connection, table: Table, column: Column[object], pk: object) -> bytes | None:
    key = next(iter(table.primary_key.columns))
    value = conn.execute(select(_raw(column)).where(key == pk)).scalar_one_or_none()
    return None if value is None else bytes(value)


def _rotate_chunk(
    engine: Engine, table: Table, column: Column[object], chunk: Sequence[Row[Any, Any]]
) -> tuple[int, int, int]:
    rotated = raced = left = 0
    # One short transaction per chunk: writers wait at most for one chunk's row locks.
    with engine.begin() as conn:
        for pk, value in chunk:
            old: bytes | None = bytes(value)
            for _ in range(MAX_TRIES_PER_ROW):
                assert old is not None
                if _swap(conn, table, column, pk, old):
                    rotated += 1
                    break
                raced += 1
                old = _current(conn, table, column, pk)
                if old is None:  # the writer cleared it (a disconnect): nothing to rotate
                    break
            else:
                left += 1
    return rotated, raced, left


def rotate_all(engine: Engine, batch_size: int = 100) -> RotationReport:
    rotated = raced = left = 0
    names = []
    for table, column in encrypted_columns():
        names.append(f"{table.name}.{column.name}")
        pk = next(iter(table.primary_key.columns))
        with engine.connect() as conn:
            rows = conn.execute(
                select(pk, _raw(column).label("v")).select_from(table).where(column.is_not(None))
            ).all()
        for start in range(0, len(rows), batch_size):
            counts = _rotate_chunk(engine, table, column, rows[start : start + batch_size])
            rotated, raced, left = rotated + counts[0], raced + counts[1], left + counts[2]
    return RotationReport(
        values_rotated=rotated, columns=tuple(names), concurrent_writes=raced, left_to_writers=left
    )
