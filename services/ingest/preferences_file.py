"""A student's preferences file (JSON or YAML) read into a mapping, every mistake one problem.

The file is small and typed by hand, so anything odd is refused with the line and column to
fix rather than interpreted: bytes that are not UTF-8, a file over `MAX_BYTES`, YAML that does
not parse, and YAML aliases (`*name`). Nothing a preferences file needs uses an alias, and
aliases are how a few lines grow into a billion ("billion laughs").
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent
from yaml.nodes import Node

from planner.problems import InvalidInput

MAX_BYTES = 64_000
FIELD = "preferences"


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ComposerError(
                None, None, "YAML aliases (*name) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)


def read_preferences(data: bytes, source: str) -> dict[str, Any]:
    if len(data) > MAX_BYTES:
        raise InvalidInput.single(f"{source} is larger than {MAX_BYTES:,} bytes", FIELD)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput.single(
            f"{source} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            FIELD,
        ) from None
    loader = _NoAliasLoader(text)  # safe_load's own steps, on a SafeLoader without aliases
    try:
        loaded = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise InvalidInput.single(f"cannot read {source}: {_one_line(exc)}", FIELD) from None
    finally:
        loader.dispose()
    if not isinstance(loaded, dict):
        raise InvalidInput.single(f"{source} must hold a mapping (field: value lines)", FIELD)
    return loaded


def _one_line(exc: yaml.YAMLError) -> str:
    """PyYAML's message names the line, the column and a caret drawing over several lines."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        return f"{where}{exc.problem or exc.context or 'not valid YAML'}"
    return " ".join(str(exc).split())
