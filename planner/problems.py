"""Input problems: what the user got wrong, where. An import or an entry that has any problem
changes nothing, and every problem is reported at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    reason: str
    field: str | None = None
    line: int | None = None  # 1-based line of the file, the header being line 1
    source: str | None = None  # file name or kind of input

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"column {self.field}" if self.line is not None else self.field)
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason


class InvalidInput(Exception):
    """Raised with every problem found; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: Sequence[Problem] = tuple(problems)
        if not self.problems:
            raise ValueError("InvalidInput needs at least one problem")
        super().__init__("; ".join(str(p) for p in self.problems[:5]))

    @classmethod
    def single(cls, reason: str, field: str | None = None) -> InvalidInput:
        return cls([Problem(reason=reason, field=field)])
