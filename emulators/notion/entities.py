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
