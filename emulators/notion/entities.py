"""What a Notion workspace holds: tokens, databases, data sources, pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from emulators.notion.common import Json


@dataclass
class Token:
    token: str
    bot_id: str
    revoked: bool = False
    # None: an internal integration's secret (every database shared with the integration);
    # a set: an OAuth token, which sees only the databases the user picked at consent.
    scope: frozenset[str] | None = None


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


@dataclass(frozen=True)
class Change:
    """Something a webhook subscription hears about (webhooks.py): what changed, where, by whom.
    Like Notion's events it carries ids, not the new values."""

    type: str  # page.created, page.properties_updated, page.deleted, page.undeleted, ...
    entity_id: str
    entity_type: str  # "page" or "data_source"
    database_id: str
    data_source_id: str
    author_id: str
    author_type: str  # "person" (the user in the app) or "bot" (an integration's token)
    updated_properties: tuple[str, ...] = ()
