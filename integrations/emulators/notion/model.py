"""In-memory Notion workspace: databases, data sources, pages, and the API's rules about them.

This module knows nothing about HTTP. The server turns requests into calls here and `ApiError`s
into Notion's error body. What it models (Notion API version 2025-09-03):

- A database holds data sources; pages live in a data source (`parent.data_source_id`).
- Page writes replace whole property values; unknown properties or status options are a 400
  `validation_error`; select/multi_select options are created on write (Notion's documented
  behaviour) unless `auto_create_select_options` is off, then an unknown option is a 400 too.
- Text objects hold at most 2000 characters and arrays at most 100 elements.
- `last_edited_time` is rounded DOWN to the minute in every response and in filters.
- A data-source query hides trashed pages unless the body says `"in_trash": true` (then trashed
  pages are included as well; the real API's exact semantics of that flag are not documented
  clearly, see the adapter).
- Objects that are not shared with the integration answer 404 `object_not_found`.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.emulators.notion.clock import EmulatorClock

Json = dict[str, Any]

MAX_TEXT_CHARS = 2000
MAX_ARRAY_ITEMS = 100
MAX_PAGE_SIZE = 100

CREATABLE_TYPES = frozenset({"title", "rich_text", "date", "select", "multi_select", "number"})
VALUE_TYPES = frozenset(CREATABLE_TYPES | {"status"})

_DEFAULT_ANNOTATIONS: Json = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}


class ApiError(Exception):
    """A refusal the server turns into `{"object": "error", "status", "code", "message"}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def validation_error(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def not_found(object_id: str) -> ApiError:
    return ApiError(
        404,
        "object_not_found",
        f"Could not find object with ID: {object_id}. Make sure the relevant pages and databases "
        "are shared with your integration.",
    )


def normalize_id(raw: str) -> str:
    """Notion accepts ids with or without dashes; store them dashed and lower-case."""
    compact = raw.replace("-", "").lower()
    if len(compact) != 32 or any(c not in "0123456789abcdef" for c in compact):
        return raw
    return str(uuid.UUID(compact))


def iso_minute(instant: datetime) -> str:
    """Notion's rounded timestamp: seconds and milliseconds are always zero."""
    rounded = instant.astimezone(UTC).replace(second=0, microsecond=0)
    return rounded.strftime("%Y-%m-%dT%H:%M:00.000Z")


def iso_exact(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{instant.microsecond // 1000:03d}Z"
    )


def parse_instant(raw: str, *, field_name: str) -> datetime:
    """A filter or date value: a date means its midnight UTC, a naive datetime means UTC."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise validation_error(f"{field_name} should be a valid ISO 8601 date string") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class Token:
    token: str
    bot_id: str
    revoked: bool = False


@dataclass
class DataSource:
    id: str
    database_id: str
    name: str
    properties: dict[str, Json]  # name -> {"id", "name", "type", <type>: config}
    created_time: datetime
    last_edited_time: datetime
    shared: bool = True


@dataclass
class Database:
    id: str
    title: str
    data_source_ids: list[str]
    created_time: datetime
    shared: bool = True


@dataclass
class Page:
    id: str
    data_source_id: str
    properties: dict[str, Json]  # name -> {"id", "type", <type>: value}
    created_time: datetime
    last_edited_time: datetime
    created_by: str
    last_edited_by: str
    in_trash: bool = False
    seq: int = 0


@dataclass
class Workspace:
    """All state, guarded by one lock (the server is threaded)."""

    clock: EmulatorClock
    auto_create_select_options: bool = True
    lock: threading.RLock = field(default_factory=threading.RLock)
    tokens: dict[str, Token] = field(default_factory=dict)
    databases: dict[str, Database] = field(default_factory=dict)
    data_sources: dict[str, DataSource] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    _seq: int = 0
    _prop_seq: int = 0

    # ----------------------------------------------------------------- setup (admin) helpers

    def add_token(self, token: str | None = None) -> str:
        with self.lock:
            value = token or f"secret_{uuid.uuid4().hex}"
            self.tokens[value] = Token(token=value, bot_id=str(uuid.uuid4()))
            return value

    def revoke_token(self, token: str) -> None:
        with self.lock:
            if token not in self.tokens:
                raise KeyError("unknown token")
            self.tokens[token].revoked = True

    def authenticate(self, token: str | None) -> Token:
        with self.lock:
            found = self.tokens.get(token or "")
            if found is None or found.revoked:
                raise ApiError(401, "unauthorized", "API token is invalid.")
            return found

    def create_database(
        self,
        *,
        title: str = "Study plan",
        data_source_names: Iterable[str] = ("Tasks",),
        properties: Json | None = None,
    ) -> Database:
        """A database with one data source per name; every data source gets `properties`
        (a data-source schema in request shape, e.g. `{"Name": {"title": {}}}`)."""
        with self.lock:
            now = self.clock.now()
            db = Database(id=str(uuid.uuid4()), title=title, data_source_ids=[], created_time=now)
            self.databases[db.id] = db
            for name in data_source_names:
                ds = DataSource(
                    id=str(uuid.uuid4()),
                    database_id=db.id,
                    name=name,
                    properties={},
                    created_time=now,
                    last_edited_time=now,
                )
                schema = properties if properties is not None else {"Name": {"title": {}}}
                for prop_name, config in schema.items():
                    ds.properties[prop_name] = self._new_property(prop_name, config, admin=True)
                if not any(p["type"] == "title" for p in ds.properties.values()):
                    raise ValueError("a data source needs exactly one title property")
                self.data_sources[ds.id] = ds
                db.data_source_ids.append(ds.id)
            return db

    def set_shared(self, object_id: str, shared: bool) -> None:
        """Unsharing a data source hides it, its database and its pages from every token."""
        with self.lock:
            key = normalize_id(object_id)
            if key in self.data_sources:
                self.data_sources[key].shared = shared
            elif key in self.databases:
                self.databases[key].shared = shared
                for ds_id in self.databases[key].data_source_ids:
                    self.data_sources[ds_id].shared = shared
            else:
                raise KeyError("unknown data source or database")

    # --------------------------------------------------------------------------- lookups

    def _database(self, raw_id: str) -> Database:
        db = self.databases.get(normalize_id(raw_id))
        if db is None or not db.shared:
            raise not_found(raw_id)
        return db

    def _data_source(self, raw_id: str) -> DataSource:
        ds = self.data_sources.get(normalize_id(raw_id))
        if ds is None or not ds.shared or not self.databases[ds.database_id].shared:
            raise not_found(raw_id)
        return ds

    def _page(self, raw_id: str) -> Page:
        page = self.pages.get(normalize_id(raw_id))
        if page is None:
            raise not_found(raw_id)
        ds = self.data_sources[page.data_source_id]
        if not ds.shared or not self.databases[ds.database_id].shared:
            raise not_found(raw_id)
        return page

    # --------------------------------------------------------------------------- renderers

    def render_database(self, db: Database) -> Json:
        return {
            "object": "database",
            "id": db.id,
            "title": rich_text_response([db.title]),
            "description": [],
            "parent": {"type": "workspace", "workspace": True},
            "is_inline": False,
            "in_trash": False,
            "is_locked": False,
            "created_time": iso_minute(db.created_time),
            "last_edited_time": iso_minute(db.created_time),
            "data_sources": [
                {"id": ds_id, "name": self.data_sources[ds_id].name}
                for ds_id in db.data_source_ids
                if self.data_sources[ds_id].shared
            ],
            "icon": None,
            "cover": None,
            "url": f"https://www.notion.so/{db.id.replace('-', '')}",
            "public_url": None,
        }

    def render_data_source(self, ds: DataSource) -> Json:
        return {
            "object": "data_source",
            "id": ds.id,
            "created_time": iso_minute(ds.created_time),
            "last_edited_time": iso_minute(ds.last_edited_time),
            "properties": copy.deepcopy(ds.properties),
            "parent": {"type": "database_id", "database_id": ds.database_id},
            "database_parent": {"type": "workspace", "workspace": True},
            "title": rich_text_response([ds.name]),
            "description": [],
            "icon": None,
            "archived": False,
            "in_trash": False,
            "url": f"https://www.notion.so/{ds.id.replace('-', '')}",
        }

    def render_page(self, page: Page) -> Json:
        ds = self.data_sources[page.data_source_id]
        return {
            "object": "page",
            "id": page.id,
            "created_time": iso_minute(page.created_time),
            "last_edited_time": iso_minute(page.last_edited_time),
            "created_by": {"object": "user", "id": page.created_by},
            "last_edited_by": {"object": "user", "id": page.last_edited_by},
            "cover": None,
            "icon": None,
            "parent": {
                "type": "data_source_id",
                "data_source_id": ds.id,
                "database_id": ds.database_id,
            },
            "archived": page.in_trash,
            "in_trash": page.in_trash,
            "is_locked": False,
            "properties": copy.deepcopy(page.properties),
            "url": f"https://www.notion.so/{page.id.replace('-', '')}",
            "public_url": None,
        }

    # --------------------------------------------------------------------------- API: reads

    def retrieve_database(self, raw_id: str) -> Json:
        with self.lock:
            return self.render_database(self._database(raw_id))

    def retrieve_data_source(self, raw_id: str) -> Json:
        with self.lock:
            return self.render_data_source(self._data_source(raw_id))

    def retrieve_page(self, raw_id: str) -> Json:
        with self.lock:
            return self.render_page(self._page(raw_id))

    # --------------------------------------------------------------------- API: schema update

    def update_data_source(self, raw_id: str, body: Json, *, admin: bool = False) -> Json:
        """PATCH /v1/data_sources/{id}: add, rename or remove properties; add select options.

        `admin=True` is the user editing in the Notion app, who may also create status options.
        """
        with self.lock:
            ds = self._data_source(raw_id)
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

    def create_page(self, body: Json, token: Token) -> Json:
        with self.lock:
            parent = body.get("parent")
            if not isinstance(parent, dict):
                raise validation_error("body.parent should be defined, instead was `undefined`.")
            ds_id = parent.get("data_source_id")
            if parent.get("type") not in (None, "data_source_id") or not isinstance(ds_id, str):
                raise validation_error(
                    "body.parent.data_source_id should be defined (API version 2025-09-03 creates "
                    "database pages under a data source)."
                )
            ds = self._data_source(ds_id)
            values = self._validated_values(ds, body.get("properties") or {})
            now = self.clock.now()
            self._seq += 1
            page = Page(
                id=str(uuid.uuid4()),
                data_source_id=ds.id,
                properties={},
                created_time=now,
                last_edited_time=now,
                created_by=token.bot_id,
                last_edited_by=token.bot_id,
                seq=self._seq,
            )
            for name, prop in ds.properties.items():
                page.properties[name] = {
                    "id": prop["id"],
                    "type": prop["type"],
                    prop["type"]: empty_value(prop),
                }
            self._apply(page, values)
            self.pages[page.id] = page
            return self.render_page(page)

    def update_page(self, raw_id: str, body: Json, editor_id: str) -> Json:
        with self.lock:
            page = self._page(raw_id)
            ds = self.data_sources[page.data_source_id]
            values = self._validated_values(ds, body.get("properties") or {})
            trash = body.get("in_trash", body.get("archived"))
            if trash is not None and not isinstance(trash, bool):
                raise validation_error("body.in_trash should be a boolean")
            if page.in_trash and trash is not False and values:
                raise validation_error(
                    "Can't edit block that is archived. You must unarchive the block before "
                    "editing."
                )
            self._apply(page, values)
            if trash is not None:
                page.in_trash = trash
            page.last_edited_time = self.clock.now()
            page.last_edited_by = editor_id
            return self.render_page(page)

    def _apply(self, page: Page, values: dict[str, Json]) -> None:
        for name, value in values.items():
            page.properties[name] = value

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

    # --------------------------------------------------------------------------- API: query

    def query(self, raw_ds_id: str, body: Json) -> Json:
        with self.lock:
            ds = self._data_source(raw_ds_id)
            page_size = body.get("page_size", MAX_PAGE_SIZE)
            if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
                raise validation_error("body.page_size should be a positive integer")
            if page_size > MAX_PAGE_SIZE:
                raise validation_error(
                    f"body.page_size should be ≤ `{MAX_PAGE_SIZE}`, instead was `{page_size}`."
                )
            include_trashed = body.get("in_trash") is True
            predicate = compile_filter(ds, body.get("filter"))
            candidates = [
                p
                for p in self.pages.values()
                if p.data_source_id == ds.id and (include_trashed or not p.in_trash)
            ]
            matched = [p for p in candidates if predicate(p)]
            matched = sort_pages(ds, matched, body.get("sorts"))
            start = 0
            cursor = body.get("start_cursor")
            if cursor is not None:
                ids = [p.id for p in matched]
                if not isinstance(cursor, str) or normalize_id(cursor) not in ids:
                    raise validation_error("body.start_cursor should be a valid cursor")
                start = ids.index(normalize_id(cursor))
            chunk = matched[start : start + page_size]
            has_more = start + page_size < len(matched)
            return {
                "object": "list",
                "results": [self.render_page(p) for p in chunk],
                "next_cursor": matched[start + page_size].id if has_more else None,
                "has_more": has_more,
                "type": "page_or_data_source",
                "page_or_data_source": {},
            }

    # --------------------------------------------------------------------------- dump

    def dump(self) -> Json:
        with self.lock:
            return {
                "now": iso_exact(self.clock.now()),
                "tokens": [
                    {"bot_id": t.bot_id, "revoked": t.revoked, "token_suffix": t.token[-4:]}
                    for t in self.tokens.values()
                ],
                "databases": [
                    {**self.render_database(db), "shared": db.shared}
                    for db in self.databases.values()
                ],
                "data_sources": [
                    {**self.render_data_source(ds), "shared": ds.shared}
                    for ds in self.data_sources.values()
                ],
                "pages": [
                    {**self.render_page(p), "exact_last_edited_time": iso_exact(p.last_edited_time)}
                    for p in sorted(self.pages.values(), key=lambda p: p.seq)
                ],
            }


# ------------------------------------------------------------------------- value conversion


def _property_name(props: dict[str, Json], key: str) -> str | None:
    if key in props:
        return key
    for name, prop in props.items():
        if prop["id"] == key:
            return name
    return None


def empty_value(schema: Json) -> Any:
    kind = schema["type"]
    if kind in {"title", "rich_text", "multi_select"}:
        return []
    if kind == "status":
        options = schema["status"]["options"]
        if options:
            first = options[0]
            return {"id": first["id"], "name": first["name"], "color": first["color"]}
        return None
    return None


def check_array(items: list[Any], *, path: str) -> None:
    if len(items) > MAX_ARRAY_ITEMS:
        raise validation_error(
            f"{path}.length should be ≤ `{MAX_ARRAY_ITEMS}`, instead was `{len(items)}`."
        )


def rich_text_response(contents: Iterable[str]) -> list[Json]:
    return [
        {
            "type": "text",
            "text": {"content": c, "link": None},
            "annotations": dict(_DEFAULT_ANNOTATIONS),
            "plain_text": c,
            "href": None,
        }
        for c in contents
    ]


def convert_rich_text(raw: Any, *, path: str) -> list[Json]:
    if not isinstance(raw, list):
        raise validation_error(f"{path} should be an array")
    check_array(raw, path=path)
    contents: list[str] = []
    for i, item in enumerate(raw):
        text = item.get("text") if isinstance(item, dict) else None
        content = text.get("content") if isinstance(text, dict) else None
        if not isinstance(content, str):
            raise validation_error(f"{path}[{i}].text.content should be a string")
        if len(content) > MAX_TEXT_CHARS:
            raise validation_error(
                f"{path}[{i}].text.content.length should be ≤ `{MAX_TEXT_CHARS}`, "
                f"instead was `{len(content)}`."
            )
        contents.append(content)
    return rich_text_response(contents)


def convert_date(raw: Any, *, path: str) -> Json | None:
    """Store a date the way Notion returns it: offsets in the string, `time_zone` null."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("start"), str):
        raise validation_error(f"{path}.start should be a string")
    zone_name = raw.get("time_zone")
    zone: ZoneInfo | None = None
    if zone_name is not None:
        try:
            zone = ZoneInfo(str(zone_name))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise validation_error(f"{path}.time_zone is not a valid IANA time zone") from exc

    def render(value: str, part: str) -> str:
        if len(value) == 10:
            parse_instant(value, field_name=f"{path}.{part}")
            return value
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise validation_error(f"{path}.{part} should be a valid ISO 8601 date") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone or UTC)
        return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")

    start = render(raw["start"], "start")
    end_raw = raw.get("end")
    end = render(end_raw, "end") if isinstance(end_raw, str) else None
    if end is not None and parse_instant(end, field_name="end") < parse_instant(
        start, field_name="start"
    ):
        raise validation_error(f"{path}: the end date is before the start date")
    return {"start": start, "end": end, "time_zone": None}


# ----------------------------------------------------------------------------- filters/sorts

Predicate = Callable[[Page], bool]

_TEXT_KINDS = frozenset({"title", "rich_text"})


def compile_filter(ds: DataSource, raw: Any) -> Predicate:
    if raw is None:
        return lambda _page: True
    if not isinstance(raw, dict):
        raise validation_error("body.filter should be an object")
    if "and" in raw or "or" in raw:
        op = "and" if "and" in raw else "or"
        parts = raw[op]
        if not isinstance(parts, list):
            raise validation_error(f"body.filter.{op} should be an array")
        check_array(parts, path=f"body.filter.{op}")
        predicates = [compile_filter(ds, part) for part in parts]
        if op == "and":
            return lambda page: all(p(page) for p in predicates)
        return lambda page: any(p(page) for p in predicates)
    if "timestamp" in raw:
        return _timestamp_filter(raw)
    if "property" in raw:
        return _property_filter(ds, raw)
    raise validation_error("body.filter should be a property, timestamp or compound filter")


def _timestamp_filter(raw: Json) -> Predicate:
    which = raw["timestamp"]
    if which not in ("last_edited_time", "created_time"):
        raise validation_error(
            "body.filter.timestamp should be `created_time` or `last_edited_time`"
        )
    condition = raw.get(which)
    if not isinstance(condition, dict) or len(condition) != 1:
        raise validation_error(f"body.filter.{which} should hold one condition")
    op, value = next(iter(condition.items()))
    if not isinstance(value, str):
        raise validation_error(f"body.filter.{which}.{op} should be a date string")
    bound = parse_instant(value, field_name=f"body.filter.{which}.{op}")

    def stamp(page: Page) -> datetime:
        # Filters see the same rounded value the responses show.
        exact = page.last_edited_time if which == "last_edited_time" else page.created_time
        return exact.astimezone(UTC).replace(second=0, microsecond=0)

    compare: dict[str, Callable[[datetime], bool]] = {
        "on_or_after": lambda t: t >= bound,
        "after": lambda t: t > bound,
        "on_or_before": lambda t: t <= bound,
        "before": lambda t: t < bound,
        "equals": lambda t: t == bound,
    }
    if op not in compare:
        raise validation_error(f"body.filter.{which}.{op} is not a supported condition")
    check = compare[op]
    return lambda page: check(stamp(page))


def _property_filter(ds: DataSource, raw: Json) -> Predicate:
    name = _property_name(ds.properties, str(raw["property"]))
    if name is None:
        raise validation_error(f"Could not find property with name or id: {raw['property']}")
    kind = ds.properties[name]["type"]
    filter_kinds = [k for k in raw if k != "property"]
    if filter_kinds != [kind] and not (kind in _TEXT_KINDS and filter_kinds[0] in _TEXT_KINDS):
        raise validation_error(f"body.filter: property {name} is of type {kind}")
    condition = raw[filter_kinds[0]]
    if not isinstance(condition, dict) or len(condition) != 1:
        raise validation_error(f"body.filter.{filter_kinds[0]} should hold one condition")
    op, value = next(iter(condition.items()))

    def current(page: Page) -> Any:
        return page.properties.get(name, {}).get(kind)

    if kind in _TEXT_KINDS:

        def text(page: Page) -> str:
            return "".join(part["plain_text"] for part in current(page) or [])

        text_ops: dict[str, Predicate] = {
            "equals": lambda p: text(p) == value,
            "does_not_equal": lambda p: text(p) != value,
            "contains": lambda p: str(value) in text(p),
            "is_empty": lambda p: text(p) == "",
            "is_not_empty": lambda p: text(p) != "",
        }
        if op in text_ops:
            return text_ops[op]
    elif kind in {"select", "status"}:

        def option(page: Page) -> str | None:
            value_now = current(page)
            return value_now["name"] if value_now else None

        select_ops: dict[str, Predicate] = {
            "equals": lambda p: option(p) == value,
            "does_not_equal": lambda p: option(p) != value,
            "is_empty": lambda p: option(p) is None,
            "is_not_empty": lambda p: option(p) is not None,
        }
        if op in select_ops:
            return select_ops[op]
    elif kind == "number" and op == "equals":
        return lambda p: current(p) == value
    raise validation_error(f"body.filter: condition {op} is not supported for {kind}")


def sort_pages(ds: DataSource, pages: list[Page], sorts: Any) -> list[Page]:
    # Default order is stable creation order, so cursors stay valid between calls.
    ordered = sorted(pages, key=lambda p: p.seq)
    if sorts is None:
        return ordered
    if not isinstance(sorts, list):
        raise validation_error("body.sorts should be an array")
    for sort in reversed(sorts):
        if not isinstance(sort, dict):
            raise validation_error("body.sorts[] should be objects")
        reverse = sort.get("direction", "ascending") == "descending"
        if "timestamp" in sort:
            field_name = sort["timestamp"]
            if field_name not in ("last_edited_time", "created_time"):
                raise validation_error("body.sorts[].timestamp is not valid")

            def stamp_key(p: Page, f: str = field_name) -> datetime:
                exact = p.last_edited_time if f == "last_edited_time" else p.created_time
                return exact.replace(second=0, microsecond=0)

            ordered.sort(key=stamp_key, reverse=reverse)
        elif "property" in sort:
            name = _property_name(ds.properties, str(sort["property"]))
            if name is None:
                raise validation_error(
                    f"Could not find sort property with name or id: {sort['property']}"
                )

            def prop_key(p: Page, n: str = name) -> tuple[int, str]:
                return _sort_key(p.properties.get(n))

            ordered.sort(key=prop_key, reverse=reverse)
        else:
            raise validation_error("body.sorts[] needs a property or a timestamp")
    return ordered


def _sort_key(value: Json | None) -> tuple[int, str]:
    if not value:
        return (1, "")
    inner = value.get(value["type"])
    if inner is None or inner == []:
        return (1, "")
    if isinstance(inner, list):
        return (0, "".join(str(x.get("plain_text", x.get("name", ""))) for x in inner))
    if isinstance(inner, dict):
        return (0, str(inner.get("name", inner.get("start", ""))))
    return (0, f"{inner:020.6f}" if isinstance(inner, int | float) else str(inner))
