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

from emulators.notion.clock import EmulatorClock
from emulators.notion.common import (
    ApiError,
    Json,
    iso_exact,
    iso_minute,
    normalize_id,
    not_found,
    validation_error,
)
from emulators.notion.entities import Change, Database, DataSource, Page, Token
from emulators.notion.properties import empty_value, query_pages, rich_text_response
from emulators.notion.schema import PERSON_ID
from emulators.notion.values import PageValues


@dataclass
class Workspace(PageValues):
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
    # Hears every change (the webhook subscriptions); called under the lock.
    listener: Callable[[Change], None] | None = None

    # ----------------------------------------------------------------- setup (admin) helpers

    def add_token(self, token: str | None = None, *, scope: frozenset[str] | None = None) -> Token:
        """An internal integration's secret (`scope` None: it sees every shared database), or a
        public integration's OAuth token that sees only the databases in `scope`."""
        with self.lock:
            value = token or f"secret_{uuid.uuid4().hex}"
            self.tokens[value] = Token(token=value, bot_id=str(uuid.uuid4()), scope=scope)
            return self.tokens[value]

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

    # `viewer` None is the admin (acting as the user in the app); a token sees a database that
    # is shared with the integration and, for an OAuth token, was picked at consent.

    def visible(self, db: Database, viewer: Token | None) -> bool:
        return db.shared and (viewer is None or viewer.scope is None or db.id in viewer.scope)

    def _database(self, raw_id: str, viewer: Token | None = None) -> Database:
        db = self.databases.get(normalize_id(raw_id))
        if db is None or not self.visible(db, viewer):
            raise not_found(raw_id)
        return db

    def _data_source(self, raw_id: str, viewer: Token | None = None) -> DataSource:
        ds = self.data_sources.get(normalize_id(raw_id))
        if ds is None or not ds.shared or not self.visible(self.databases[ds.database_id], viewer):
            raise not_found(raw_id)
        return ds

    def _page(self, raw_id: str, viewer: Token | None = None) -> Page:
        page = self.pages.get(normalize_id(raw_id))
        if page is None:
            raise not_found(raw_id)
        ds = self.data_sources[page.data_source_id]
        if not ds.shared or not self.visible(self.databases[ds.database_id], viewer):
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

    def retrieve_database(self, raw_id: str, viewer: Token | None = None) -> Json:
        with self.lock:
            return self.render_database(self._database(raw_id, viewer))

    def retrieve_data_source(self, raw_id: str, viewer: Token | None = None) -> Json:
        with self.lock:
            return self.render_data_source(self._data_source(raw_id, viewer))

    def retrieve_page(self, raw_id: str, viewer: Token | None = None) -> Json:
        with self.lock:
            return self.render_page(self._page(raw_id, viewer))

    # --------------------------------------------------------------------- API: schema update

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
            ds = self._data_source(ds_id, token)
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
            self._emit(self._change("page.created", page, token))
            return self.render_page(page)

    def update_page(
        self, raw_id: str, body: Json, editor_id: str, viewer: Token | None = None
    ) -> Json:
        with self.lock:
            page = self._page(raw_id, viewer)
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
            changed = tuple(
                sorted(v["id"] for name, v in values.items() if page.properties.get(name) != v)
            )
            was_trashed = page.in_trash
            self._apply(page, values)
            if trash is not None:
                page.in_trash = trash
            page.last_edited_time = self.clock.now()
            page.last_edited_by = editor_id
            if changed:
                self._emit(
                    self._change("page.properties_updated", page, viewer, changed, editor_id)
                )
            if trash is not None and trash != was_trashed:
                kind = "page.deleted" if trash else "page.undeleted"
                self._emit(self._change(kind, page, viewer, (), editor_id))
            return self.render_page(page)

    def _change(
        self,
        kind: str,
        page: Page,
        viewer: Token | None,
        updated: tuple[str, ...] = (),
        editor_id: str | None = None,
    ) -> Change:
        ds = self.data_sources[page.data_source_id]
        author = viewer.bot_id if viewer is not None else (editor_id or PERSON_ID)
        author_type = "bot" if viewer is not None else "person"
        return Change(kind, page.id, "page", ds.database_id, ds.id, author, author_type, updated)

    def _emit(self, change: Change) -> None:
        if self.listener is not None:
            self.listener(change)

    def _apply(self, page: Page, values: dict[str, Json]) -> None:
        for name, value in values.items():
            page.properties[name] = value

    # --------------------------------------------------------------------------- API: query

    def query(self, raw_ds_id: str, body: Json, viewer: Token | None = None) -> Json:
        with self.lock:
            ds = self._data_source(raw_ds_id, viewer)
            return query_pages(ds, self.pages.values(), body, self.render_page)

    def search(self, body: Json, viewer: Token) -> Json:
        """POST /v1/search: the data sources the token can see whose name contains `query`.
        Pages are never listed: the emulator's pages all live in data sources, which is how the
        product finds them."""
        wanted = (body.get("filter") or {}).get("value")
        text = str(body.get("query") or "").casefold()
        with self.lock:
            results = [
                self.render_data_source(ds)
                for ds in self.data_sources.values()
                if wanted in (None, "data_source")
                and ds.shared
                and self.databases[ds.database_id].shared
                and (viewer.scope is None or ds.database_id in viewer.scope)
                and text in ds.name.casefold()
            ]
        return {"object": "list", "results": results, "next_cursor": None, "has_more": False}

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
