"""The Notion adapter: study tasks out as pages, the user's edits back in.

Every HTTP request, including notion-client's own retries of a 429, passes through the rate
limiter: it is hooked into the httpx client as a request event hook. notion-client retries 429
(and 500/503 on GET) itself; it does not retry POST/PATCH 5xx, 409, 529 or timeouts — those
surface as `TransientError` for the worker to retry (see `retry.call_with_retries`).

A create that failed ambiguously (timeout, 5xx, dropped connection) may have created the page:
`create_page` looks the page up by our Task ID before creating again, so a task never gets two
pages. Notion has no ETag: writes are last-writer-wins, so callers pull and reconcile before
they push.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
from notion_client import Client, RetryOptions

from integrations.errors import IntegrationError
from integrations.notion.errors import as_json, is_ambiguous_write, translate
from integrations.notion.properties import (
    build_properties,
    parse_page,
    status_property,
)
from integrations.notion.ratelimit import RateLimiter, limiter_key
from integrations.notion.schema import (
    PreparedSchema,
    SchemaMapping,
    StatusKind,
    check_and_prepare_schema,
)
from integrations.notion.transients import Recovered, TransientLog
from integrations.notion.values import (
    DataSourceRef,
    NotionPageResult,
    NotionStatus,
    NotionTaskContent,
    RemotePage,
    SharedItem,
)

logger = logging.getLogger(__name__)
# notion-client sets the level of the logger it is given; give it its own.
_http_logger = logging.getLogger("integrations.notion.http")

# last_edited_time is rounded down to the minute and query results may lag a little behind
# writes: look back two minutes and let callers dedupe by content hash.
QUERY_OVERLAP = timedelta(minutes=2)
PAGE_SIZE = 100
_CREATE_ROUNDS = 2


def advance_watermark(previous: datetime | None, pages: list[RemotePage]) -> datetime | None:
    """The watermark to store after applying `pages`: the newest edit seen (Notion's own clock,
    never ours), or the previous one when nothing came back."""
    newest = max((p.last_edited_time for p in pages), default=None)
    if newest is None:
        return previous
    return newest if previous is None or newest > previous else previous


class NotionClient:
    """One integration token, one rate-limit budget. Close it (or use `with`) when done."""

    def __init__(
        self,
        base_url: str,
        token: str,
        limiter: RateLimiter,
        timeout_s: float = 30.0,
        *,
        mapping: SchemaMapping | None = None,
        schema: PreparedSchema | None = None,
        retry: RetryOptions | None = None,
    ) -> None:
        self._mapping = schema.mapping if schema is not None else (mapping or SchemaMapping())
        self._schemas: dict[str, PreparedSchema] = {}
        if schema is not None:
            self._schemas[schema.data_source_id] = schema
        self._secrets = (token,)
        key = limiter_key(token)
        self._transients = TransientLog()

        def before_request(_request: httpx.Request) -> None:
            limiter.acquire(key)

        http = httpx.Client(
            event_hooks={"request": [before_request], "response": [self._transients.on_response]}
        )
        self._api = Client(
            auth=token,
            base_url=base_url.rstrip("/"),
            logger=_http_logger,
            timeout_ms=int(timeout_s * 1000),
            retry=retry if retry is not None else RetryOptions(),
            client=http,
        )

    def __repr__(self) -> str:
        return f"NotionClient(data_sources={sorted(self._schemas)})"

    def close(self) -> None:
        self._api.close()

    def __enter__(self) -> NotionClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def mapping(self) -> SchemaMapping:
        return self._mapping

    @contextmanager
    def _translate(self, operation: str) -> Iterator[None]:
        with self._transients.call(operation), translate(operation, secrets=self._secrets):
            yield

    def take_recovered(self) -> list[Recovered]:
        """The transient failures got over since the last call of this (see `transients`)."""
        return self._transients.take()

    # ----------------------------------------------------------------------- data sources

    def resolve_data_source(self, database_id: str) -> list[DataSourceRef]:
        """The data sources of a database (one for most users; ask the user if several)."""
        with self._translate("retrieve_database"):
            database = as_json(self._api.databases.retrieve(database_id))
        return [
            DataSourceRef(
                id=str(ds["id"]), name=str(ds.get("name", "")), database_id=str(database["id"])
            )
            for ds in database.get("data_sources", [])
        ]

    def prepare_schema(
        self, data_source_id: str, mapping: SchemaMapping | None = None
    ) -> PreparedSchema:
        """Check the data source, add missing properties; NotionSchemaError says what the user
        must change otherwise."""
        if mapping is not None:
            self._mapping = mapping
        prepared = check_and_prepare_schema(
            self._api, data_source_id, self._mapping, secrets=self._secrets
        )
        self._schemas[data_source_id] = prepared
        return prepared

    def _status_kind(self, data_source_id: str | None) -> StatusKind:
        if data_source_id is not None:
            if data_source_id not in self._schemas:
                self.prepare_schema(data_source_id)
            return self._schemas[data_source_id].status_kind
        if len(self._schemas) == 1:
            return next(iter(self._schemas.values())).status_kind
        raise ValueError("pass data_source_id (or construct the client with a PreparedSchema)")

    # --------------------------------------------------------------------------- writes

    def create_page(
        self, data_source_id: str, task: NotionTaskContent, *, check_existing: bool = False
    ) -> NotionPageResult:
        """Create the task's page, never a second one.

        `check_existing=True` looks for a page with this Task ID first — use it whenever an
        earlier attempt for this task may have reached Notion (a worker killed mid-push).
        """
        properties = build_properties(task, self._mapping, self._status_kind(data_source_id))
        if check_existing:
            adopted = self._adopt(data_source_id, task)
            if adopted is not None:
                return adopted
        for round_ in range(_CREATE_ROUNDS):
            try:
                with self._translate("create_page"):
                    page = as_json(
                        self._api.pages.create(
                            parent={"type": "data_source_id", "data_source_id": data_source_id},
                            properties=properties,
                        )
                    )
                return self._result(page, properties)
            except IntegrationError as error:
                if not is_ambiguous_write(error) or round_ == _CREATE_ROUNDS - 1:
                    raise
                logger.warning(
                    "notion create for task %s failed ambiguously (%s); looking it up by Task ID",
                    task.task_id,
                    error.code or error.status,
                )
                try:
                    adopted = self._adopt(data_source_id, task)
                except IntegrationError:
                    self._transients.recovered(error, "the lookup by Task ID failed too")
                    raise
                found = "found by Task ID and adopted" if adopted else "not found, so sent again"
                self._transients.recovered(error, found)
                if adopted is not None:
                    return adopted
        raise AssertionError("unreachable")  # pragma: no cover

    def _adopt(self, data_source_id: str, task: NotionTaskContent) -> NotionPageResult | None:
        existing = self.find_page_by_task_id(data_source_id, task.task_id)
        if existing is None:
            return None
        logger.info("notion page for task %s already exists; adopting it", task.task_id)
        result = self.update_page(existing.page_id, task, data_source_id=data_source_id)
        return NotionPageResult(
            page_id=result.page_id,
            content_hash=result.content_hash,
            last_edited_time=result.last_edited_time,
            properties=result.properties,
            adopted=True,
        )

    def update_page(
        self, page_id: str, content: NotionTaskContent, *, data_source_id: str | None = None
    ) -> NotionPageResult:
        """Replace every mapped property with `content` (Notion replaces whole values)."""
        properties = build_properties(
            content, self._mapping, self._status_kind_for_page(page_id, data_source_id)
        )
        with self._translate("update_page"):
            page = as_json(self._api.pages.update(page_id, properties=properties))
        return self._result(page, properties)

    def update_changed(
        self,
        page_id: str,
        content: NotionTaskContent,
        previous: Mapping[str, Any],
        *,
        data_source_id: str | None = None,
    ) -> NotionPageResult | None:
        """Send only the properties whose value differs from `previous` (what we sent last
        time). Notion has no If-Match: a full update would overwrite whatever the student
        changed since our last pull (a Status they just ticked); a partial one leaves every
        property we did not change alone. None when there is nothing to send. The result's
        `properties` is the full desired set, the baseline for the next comparison."""
        desired = build_properties(
            content, self._mapping, self._status_kind_for_page(page_id, data_source_id)
        )
        changed = {name: value for name, value in desired.items() if previous.get(name) != value}
        if not changed:
            return None
        with self._translate("update_page"):
            page = as_json(self._api.pages.update(page_id, properties=changed))
        return self._result(page, desired)

    def set_status(
        self, page_id: str, status: NotionStatus, *, data_source_id: str | None = None
    ) -> NotionPageResult:
        properties = status_property(
            status, self._mapping, self._status_kind_for_page(page_id, data_source_id)
        )
        with self._translate("update_page"):
            page = as_json(self._api.pages.update(page_id, properties=properties))
        return self._result(page, properties)

    def trash_page(self, page_id: str) -> NotionPageResult:
        """Move the page to the trash (Notion's API does not delete)."""
        with self._translate("trash_page"):
            page = as_json(self._api.pages.update(page_id, in_trash=True))
        return self._result(page, {})

    def _status_kind_for_page(self, page_id: str, data_source_id: str | None) -> StatusKind:
        if data_source_id is not None or len(self._schemas) == 1:
            return self._status_kind(data_source_id)
        # Unknown data source: the page itself says which type its Status property has.
        with self._translate("retrieve_page"):
            page = as_json(self._api.pages.retrieve(page_id))
        prop = page.get("properties", {}).get(self._mapping.status, {})
        return "select" if prop.get("type") == "select" else "status"

    def _result(self, page: dict[str, Any], properties: dict[str, Any]) -> NotionPageResult:
        remote = parse_page(page, self._mapping)
        return NotionPageResult(
            page_id=remote.page_id,
            content_hash=remote.content_hash,
            last_edited_time=remote.last_edited_time,
            properties=properties,
        )

    # ---------------------------------------------------------------------------- reads

    def retrieve_page(self, page_id: str) -> RemotePage:
        with self._translate("retrieve_page"):
            page = as_json(self._api.pages.retrieve(page_id))
        return parse_page(page, self._mapping)

    def find_page_by_task_id(
        self, data_source_id: str, task_id: str, *, include_trashed: bool = False
    ) -> RemotePage | None:
        """The oldest page carrying our Task ID (several only if something went wrong)."""
        pages = self._query_all(
            data_source_id,
            {"property": self._mapping.task_id, "rich_text": {"equals": task_id}},
            include_trashed=include_trashed,
            operation="find_page",
        )
        if len(pages) > 1:
            logger.warning("task %s has %d Notion pages", task_id, len(pages))
        return pages[0] if pages else None

    def query_changed_since(
        self, data_source_id: str, watermark: datetime | None
    ) -> list[RemotePage]:
        """Every page (trashed ones too) edited on or after `watermark` − 2 minutes; all pages
        when `watermark` is None. Callers dedupe by `content_hash` and store
        `advance_watermark(...)` after applying."""
        page_filter: dict[str, Any] | None = None
        if watermark is not None:
            if watermark.tzinfo is None:
                raise ValueError("watermark must be timezone-aware")
            since = (watermark - QUERY_OVERLAP).isoformat()
            page_filter = {
                "timestamp": "last_edited_time",
                "last_edited_time": {"on_or_after": since},
            }
        return self._query_all(
            data_source_id, page_filter, include_trashed=True, operation="query_changes"
        )

    def _query_all(
        self,
        data_source_id: str,
        page_filter: dict[str, Any] | None,
        *,
        include_trashed: bool,
        operation: str,
    ) -> list[RemotePage]:
        body: dict[str, Any] = {
            "page_size": PAGE_SIZE,
            "sorts": [{"timestamp": "created_time", "direction": "ascending"}],
        }
        if page_filter is not None:
            body["filter"] = page_filter
        if include_trashed:
            body["in_trash"] = True
        seen: dict[str, RemotePage] = {}
        cursor: str | None = None
        while True:
            with self._translate(operation):
                response = as_json(
                    self._api.data_sources.query(data_source_id, start_cursor=cursor, **body)
                )
            for raw in response.get("results", []):
                if raw.get("object") != "page":
                    continue
                page = parse_page(raw, self._mapping)
                if not include_trashed and page.in_trash:
                    continue
                seen.setdefault(page.page_id, page)
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return list(seen.values())

    # ------------------------------------------------------- what the student shared (OAuth)

    def shared_data_sources(self) -> list[SharedItem]:
        """The data sources the student shared with the integration during consent."""
        return [
            SharedItem(
                id=str(raw["id"]),
                title=_plain_title(raw.get("title")) or "(untitled)",
                database_id=str((raw.get("parent") or {}).get("database_id") or ""),
            )
            for raw in self._search("data_source")
        ]

    def shared_pages(self) -> list[SharedItem]:
        """The pages shared with the integration: where a new task database can go."""
        items = []
        for raw in self._search("page"):
            props = raw.get("properties") or {}
            title = next((p.get("title") for p in props.values() if p.get("type") == "title"), None)
            items.append(SharedItem(id=str(raw["id"]), title=_plain_title(title) or "(untitled)"))
        return items

    def create_task_database(self, parent_page_id: str, title: str) -> str:
        """A new database under the page, with a title and a Status select (the API cannot
        create status properties); `prepare_schema` adds the other columns. Its id."""
        options = [{"name": self._mapping.option_for(s)} for s in NotionStatus]
        properties = {
            self._mapping.property_name("title"): {"title": {}},
            self._mapping.property_name("status"): {"select": {"options": options}},
        }
        with self._translate("create_database"):
            created = as_json(
                self._api.databases.create(
                    parent={"type": "page_id", "page_id": parent_page_id},
                    title=[{"type": "text", "text": {"content": title}}],
                    initial_data_source={"properties": properties},
                )
            )
        return str(created["id"])

    def _search(self, kind: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            body: dict[str, Any] = {
                "filter": {"property": "object", "value": kind},
                "page_size": PAGE_SIZE,
            }
            if cursor:
                body["start_cursor"] = cursor
            with self._translate("search"):
                response = as_json(self._api.search(**body))
            found.extend(r for r in response.get("results", []) if r.get("object") == kind)
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return found


def _plain_title(rich: Any) -> str:
    if not isinstance(rich, list):
        return ""
    return "".join(str(part.get("plain_text") or "") for part in rich if isinstance(part, dict))
