"""Page property values checked against the data source's schema and converted to what
Notion stores: a mixin of `Workspace` (select options may be created on write, which changes the
schema; see `schema.py`)."""

from __future__ import annotations

from typing import Any

from emulators.notion.common import Json, validation_error
from emulators.notion.entities import DataSource
from emulators.notion.properties import (
    _property_name,
    check_array,
    convert_date,
    convert_rich_text,
)
from emulators.notion.schema import SchemaEditing


class PageValues(SchemaEditing):
    auto_create_select_options: bool

    def _validated_values(self, ds: DataSource, props: Any) -> dict[str, Json]:
        if not isinstance(props, dict):
            raise validation_error("body.properties should be an object")
        out: dict[str, Json] = {}
        for key, raw in props.items():
            name = _property_name(ds.properties, key)
            if name is None:
                raise validation_error(f"{key} is not a property that exists.")
            schema = ds.properties[name]
            kind = schema["type"]
            if not isinstance(raw, dict) or kind not in raw:
                raise validation_error(
                    f'{name} is expected to be {kind}. Send {{"{kind}": …}} for this property.'
                )
            value = self._convert_value(
                ds, schema, raw[kind], path=f"body.properties.{name}.{kind}"
            )
            out[name] = {"id": schema["id"], "type": kind, kind: value}
        return out

    def _convert_value(self, ds: DataSource, schema: Json, raw: Any, *, path: str) -> Any:
        kind = schema["type"]
        if kind in {"title", "rich_text"}:
            return convert_rich_text(raw, path=path)
        if kind == "number":
            if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int | float)):
                raise validation_error(f"{path} should be a number or `null`")
            return raw
        if kind in {"select", "status"}:
            if raw is None:
                return None
            return self._option(ds, schema, raw, path=path)
        if kind == "multi_select":
            if not isinstance(raw, list):
                raise validation_error(f"{path} should be an array")
            check_array(raw, path=path)
            return [
                self._option(ds, schema, item, path=f"{path}[{i}]") for i, item in enumerate(raw)
            ]
        if kind == "date":
            return convert_date(raw, path=path)
        raise validation_error(f"{path}: property type {kind} is not writable in this emulator")

    def _option(self, ds: DataSource, schema: Json, raw: Any, *, path: str) -> Json:
        kind = schema["type"]
        if not isinstance(raw, dict) or not isinstance(raw.get("name") or raw.get("id"), str):
            raise validation_error(f"{path} should be an object with a `name`")
        for option in schema[kind]["options"]:
            if option["name"] == raw.get("name") or option["id"] == raw.get("id"):
                return {"id": option["id"], "name": option["name"], "color": option["color"]}
        if kind == "status":
            raise validation_error(
                f'Invalid status option. Status option "{raw.get("name")}" does not exist.'
            )
        if not self.auto_create_select_options or "name" not in raw:
            raise validation_error(
                f'Invalid select option "{raw.get("name") or raw.get("id")}" for {schema["name"]}.'
            )
        option = self._new_option({"name": raw["name"], "color": raw.get("color", "default")})
        schema[kind]["options"].append(option)
        ds.last_edited_time = self.clock.now()
        return {"id": option["id"], "name": option["name"], "color": option["color"]}
