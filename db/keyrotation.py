"""Re-encrypt every encrypted column with the primary key (`studyplanner keys rotate`).

Works on raw bytes, so it needs no knowledge of what the secrets are and never decrypts into a
Python string that could be logged. Idempotent: a value already under the primary key is
re-encrypted again harmlessly (and counted as rotated), so a crash halfway is fixed by rerunning.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, LargeBinary, bindparam, select, type_coerce, update
from sqlalchemy.sql.schema import Column, Table

from db import crypto
from db.models import Base
from db.types import EncryptedString


@dataclass(frozen=True, slots=True)
class RotationReport:
    values_rotated: int
    columns: tuple[str, ...]


def encrypted_columns() -> list[tuple[Table, Column[object]]]:
    found: list[tuple[Table, Column[object]]] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedString):
                found.append((table, column))
    return found


def rotate_all(engine: Engine, batch_size: int = 500) -> RotationReport:
    rotated = 0
    names = []
    for table, column in encrypted_columns():
        names.append(f"{table.name}.{column.name}")
        pk = next(iter(table.primary_key.columns))
        with engine.begin() as conn:
            rows = conn.execute(
                select(pk, type_coerce(column, LargeBinary()).label("v"))
                .select_from(table)
                .where(column.is_not(None))
            ).all()
            for start in range(0, len(rows), batch_size):
                chunk = rows[start : start + batch_size]
                conn.execute(
                    update(table)
                    .where(pk == bindparam("pk_value"))
                    .values({column.name: bindparam("new_value", type_=LargeBinary())}),
                    [{"pk_value": r[0], "new_value": crypto.rotate(bytes(r[1]))} for r in chunk],
                )
                rotated += len(chunk)
    return RotationReport(values_rotated=rotated, columns=tuple(names))
