"""Schema changes of a data source (`PATCH /v1/data_sources/{id}`): new properties, renamed or
retyped ones, new select options. A mixin of `Workspace`, which holds the state and the lock."""

from __future__ import annotations

import copy
import threading
import uuid

from emulators.notion.clock import EmulatorClock
from emulators.notion.common import (
    CREATABLE_TYPES,
    VALUE_TYPES,
    Json,
    validation_error,
)
from emulators.notion.entities import DataSource, Token
from emulators.notion.properties import (
    _property_name,
)


class SchemaEditing:
    clock: EmulatorClock
    lock: threading.RLock
    _prop_seq: int

    def _data_source(self, raw_id: str, viewer: Token | None = None) -> DataSource:
        raise NotImplementedError

    def render_data_source(self, ds: DataSource) -> Json:
        raise NotImplementedError

    def update_data_source(
        self, raw_id: str, body: Json, *, admin: bool = False, viewer: Token | None = None
    ) -> Json:
        """PATCH /v1/data_sources/{id}: add, rename or remove properties; add select options.

        `admin=True` is the user editing in the Notion app, who may also create status options.
        """
        with self.lock:
            ds = self._data_source(raw_id, viewer)
            changes = body.get("properties")
            if changes is None:
                return self.render_data_source(ds)
            if not isinstance(changes, dict):
                raise validation_error("body.properties should be an object")
            updated = copy.deepcopy(ds.properties)
            for key, change in changes.items():
                existing_name = _property_name(updated, key)
                if change is None:
                    if existing_name is None:
                        raise validation_error(f"{key} is not a property that exists.")
                    if updated[existing_name]["type"] == "title":
                        raise validation_error("Cannot delete the title property.")
                    del updated[existing_name]
                    continue
                if not isinstance(change, dict):
                    raise validation_error(f"body.properties.{key} should be an object or null")
                if existing_name is None:
                    prop = self._new_property(key, change, admin=admin)
                    if prop["type"] == "title":
                        raise validation_error("A data source can only have one title property.")
                    updated[key] = prop
                else:
                    updated = self._change_property(updated, existing_name, change, admin=admin)
            ds.properties = updated
            ds.last_edited_time = self.clock.now()
            return self.render_data_source(ds)

    def _new_property(self, name: str, config: Json, *, admin: bool) -> Json:
        kinds = [k for k in config if k in VALUE_TYPES or k in {"checkbox", "url"}]
        if len(kinds) != 1:
            raise validation_error(
                f"body.properties.{name} should define exactly one property type, "
                f"one of {sorted(CREATABLE_TYPES)}"
            )
        kind = kinds[0]
        if kind == "status" and not admin:
            raise validation_error(
                "Status properties and their options cannot be created or changed through the API."
            )
        if kind not in CREATABLE_TYPES and kind != "status":
            raise validation_error(f"Property type {kind} is not supported by this emulator.")
        self._prop_seq += 1
        prop: Json = {"id": f"p{self._prop_seq:03d}", "name": name, "type": kind}
        if kind == "title":
            prop["id"] = "title"
        raw = config.get(kind) or {}
        if kind in {"select", "multi_select", "status"}:
            options = [self._new_option(o) for o in raw.get("options", [])]
            prop[kind] = {"options": options}
            if kind == "status":
                prop[kind]["groups"] = []
        elif kind == "number":
            prop[kind] = {"format": raw.get("format", "number")}
        else:
            prop[kind] = {}
        return prop

    def _change_property(
        self, props: dict[str, Json], name: str, change: Json, *, admin: bool
    ) -> dict[str, Json]:
        prop = props[name]
        kind = prop["type"]
        if kind == "status" and not admin and set(change) - {"name"}:
            raise validation_error(
                "Status properties and their options cannot be created or changed through the API."
            )
        if kind == "status" and not admin and "name" in change:
            raise validation_error("It is not possible to rename a status property via the API.")
        if kind in change and kind in {"select", "multi_select", "status"}:
            names = {o["name"] for o in prop[kind]["options"]}
            for option in (change[kind] or {}).get("options", []):
                if option.get("name") not in names:
                    prop[kind]["options"].append(self._new_option(option))
        other_kinds = [k for k in change if k in VALUE_TYPES and k != kind]
        if other_kinds:
            raise validation_error(
                f"Changing the type of {name} is not supported by this emulator."
            )
        new_name = change.get("name")
        if isinstance(new_name, str) and new_name != name:
            if new_name in props:
                raise validation_error(f"A property named {new_name} already exists.")
            prop["name"] = new_name
            return {(new_name if k == name else k): v for k, v in props.items()}
        return props

    def _new_option(self, option: Json) -> Json:
        name = option.get("name")
        if not isinstance(name, str) or not name or "," in name or len(name) > 100:
            raise validation_error("Select option names must be non-empty, ≤ 100 chars, no commas.")
        return {
            "id": str(uuid.uuid4())[:8],
            "name": name,
            "color": option.get("color", "default"),
            "description": None,
        }

    # --------------------------------------------------------------------------- API: pages
