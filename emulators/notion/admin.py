"""Start/stop the Notion emulator and drive it as an admin or as the user, over HTTP.

`NotionAdmin` only speaks HTTP to `/_admin/`, so it works the same against an emulator started
in-process (`start_notion_emulator`) and one running standalone (`serve`, used by
`studyplanner emulate notion --port …`).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulators.notion.routes import QUERY_KIND, WRITE_KINDS

logger = logging.getLogger(__name__)

Json = dict[str, Any]

# A schema with every property the adapter uses, as a user who followed the README would have.
FULL_SCHEMA: Json = {
    "Name": {"title": {}},
    "Status": {
        "status": {
            "options": [
                {"name": "To do", "color": "gray"},
                {"name": "In progress", "color": "blue"},
                {"name": "Done", "color": "green"},
                {"name": "Skipped", "color": "red"},
            ]
        }
    },
    "Scheduled": {"date": {}},
    "Due": {"date": {}},
    "Course": {"select": {"options": []}},
    "Type": {"select": {"options": []}},
    "Minutes": {"number": {}},
    "Priority": {"number": {}},
    "Topics": {"multi_select": {"options": []}},
    "Task ID": {"rich_text": {}},
    "Notes": {"rich_text": {}},
}


class AdminError(RuntimeError):
    """An admin call the emulator refused (bad arguments, unknown object)."""


@dataclass(frozen=True)
class EmulatedWorkspace:
    """A database with its data sources and a token that can see them."""

    token: str
    database_id: str
    data_source_ids: tuple[str, ...]

    @property
    def data_source_id(self) -> str:
        return self.data_source_ids[0]


class NotionAdmin:
    def __init__(self, base_url: str, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    # --------------------------------------------------------------------------- transport

    def _call(self, method: str, path: str, body: Json | None = None) -> Any:
        data = json.dumps(body or {}).encode() if method != "GET" else None
        request = urllib.request.Request(
            f"{self.base_url}/_admin/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise AdminError(f"admin {method} {path} → {err.code}: {detail}") from None

    # ----------------------------------------------------------------------------- set-up

    def create_token(self, token: str | None = None) -> str:
        return str(self._call("POST", "tokens", {"token": token} if token else {})["token"])

    def revoke_token(self, token: str) -> None:
        self._call("POST", "tokens/revoke", {"token": token})

    def create_database(
        self,
        *,
        title: str = "Study plan",
        data_sources: tuple[str, ...] = ("Tasks",),
        properties: Json | None = None,
    ) -> tuple[str, tuple[str, ...]]:
        body: Json = {"title": title, "data_sources": list(data_sources)}
        if properties is not None:
            body["properties"] = properties
        result = self._call("POST", "databases", body)
        return str(result["database_id"]), tuple(result["data_source_ids"])

    def create_workspace(
        self,
        *,
        properties: Json | None = None,
        title: str = "Study plan",
        data_sources: tuple[str, ...] = ("Tasks",),
        token: str | None = None,
    ) -> EmulatedWorkspace:
        """A token plus a database (default: the full study-plan schema) it can see."""
        new_token = self.create_token(token)
        database_id, ds_ids = self.create_database(
            title=title,
            data_sources=data_sources,
            properties=FULL_SCHEMA if properties is None else properties,
        )
        return EmulatedWorkspace(token=new_token, database_id=database_id, data_source_ids=ds_ids)

    def unshare(self, object_id: str) -> None:
        """Remove the integration's access to a data source (or a whole database)."""
        self._call("POST", f"data_sources/{object_id}/unshare")

    def share(self, object_id: str) -> None:
        self._call("POST", f"data_sources/{object_id}/share")

    def edit_schema_as_user(self, data_source_id: str, properties: Json) -> Json:
        """What the user can do in the app and the API cannot: e.g. add a status option."""
        result: Json = self._call(
            "POST", f"data_sources/{data_source_id}/schema", {"properties": properties}
        )
        return result

    # ------------------------------------------------------------------------ the user

    def edit_page(
        self, page_id: str, *, properties: Json | None = None, in_trash: bool | None = None
    ) -> Json:
        body: Json = {"properties": properties or {}}
        if in_trash is not None:
            body["in_trash"] = in_trash
        result: Json = self._call("POST", f"pages/{page_id}/edit", body)
        return result

    def set_status(
        self, page_id: str, status: str, *, prop: str = "Status", kind: str = "status"
    ) -> Json:
        return self.edit_page(page_id, properties={prop: {kind: {"name": status}}})

    def move_date(
        self,
        page_id: str,
        start: datetime | str,
        end: datetime | str | None = None,
        *,
        prop: str = "Scheduled",
    ) -> Json:
        value = {
            "start": start.isoformat() if isinstance(start, datetime) else start,
            "end": end.isoformat() if isinstance(end, datetime) else end,
        }
        return self.edit_page(page_id, properties={prop: {"date": value}})

    def rename(self, page_id: str, title: str, *, prop: str = "Name") -> Json:
        return self.edit_page(page_id, properties={prop: {"title": [{"text": {"content": title}}]}})

    def trash(self, page_id: str) -> Json:
        return self.edit_page(page_id, in_trash=True)

    def restore(self, page_id: str) -> Json:
        return self.edit_page(page_id, in_trash=False)

    # ------------------------------------------------------------------------ the clock

    def set_clock(self, instant: datetime) -> None:
        self._call("POST", "clock", {"now": instant.isoformat()})

    def advance_clock(self, seconds: float) -> None:
        self._call("POST", "clock", {"advance_s": seconds})

    def release_clock(self) -> None:
        self._call("POST", "clock", {"release": True})

    # ------------------------------------------------------------------------ faults

    def update_settings(self, **settings: Any) -> Json:
        result: Json = self._call("POST", "settings", settings)
        return result

    def inject(
        self,
        status: int,
        *,
        count: int = 1,
        method: str | None = None,
        path: str | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        """The next `count` API requests (matching method and path regex, if given) fail."""
        self._call(
            "POST",
            "faults",
            {
                "status": status,
                "count": count,
                "method": method,
                "path": path,
                "retry_after_s": retry_after_s,
            },
        )

    def lose_next_create(
        self, *, count: int = 1, mode: str = "timeout", hold_s: float | None = None
    ) -> None:
        self._call(
            "POST", "faults/lose_next_create", {"count": count, "mode": mode, "hold_s": hold_s}
        )

    def clear_faults(self) -> None:
        self._call("POST", "faults/clear")

    # ------------------------------------------------------------------------ OAuth

    def set_oauth_template(self, properties: Json, *, title: str = "Study plan") -> None:
        """The developer's template: consent may duplicate it into the workspace (a new
        database with `properties`, its id the token answer's `duplicated_template_id`)."""
        self._call("POST", "oauth/template", {"title": title, "properties": properties})

    def oauth_grants(self) -> list[Json]:
        """Every OAuth consent so far: bot_id, email, shared database ids, revoked."""
        result: list[Json] = self._call("GET", "oauth/grants")
        return result

    # ------------------------------------------------------------------------ webhooks

    def subscribe_webhook(
        self,
        url: str,
        *,
        delay_s: float | None = None,
        event_types: list[str] | None = None,
        aggregate: bool = True,
        duplicate: bool = False,
    ) -> Json:
        """A webhook subscription (Notion: made in the integration's settings). The emulator
        POSTs `{"verification_token"}` to `url` at once; nothing else is sent until
        `verify_webhook` gets that token back. `delay_s` None: the emulator's default."""
        result: Json = self._call(
            "POST",
            "webhooks",
            {
                "url": url,
                "delay_s": delay_s,
                "event_types": event_types,
                "aggregate": aggregate,
                "duplicate": duplicate,
            },
        )
        return result

    def verify_webhook(self, subscription_id: str, verification_token: str) -> Json:
        result: Json = self._call(
            "POST",
            f"webhooks/{subscription_id}/verify",
            {"verification_token": verification_token},
        )
        return result

    def update_webhook(self, subscription_id: str, **changes: Any) -> Json:
        """Change delay_s, aggregate or duplicate of a subscription."""
        result: Json = self._call("POST", f"webhooks/{subscription_id}", changes)
        return result

    def remove_webhook(self, subscription_id: str) -> None:
        self._call("POST", f"webhooks/{subscription_id}/remove")

    def webhooks(self) -> list[Json]:
        result: list[Json] = self._call("GET", "webhooks")
        return result

    def webhook_log(self) -> list[Json]:
        """Every delivery attempt: label, url, attempt, status, error, outcome."""
        result: list[Json] = self._call("GET", "webhooks/log")
        return result

    def flush_webhooks(self) -> int:
        """Send every waiting delivery now, as if its delay had passed."""
        return int(self._call("POST", "webhooks/flush")["flushed"])

    def wait_webhooks_idle(self, timeout_s: float = 10.0) -> bool:
        """True once no delivery is waiting, retrying or in flight."""
        return bool(self._call("POST", "webhooks/wait", {"timeout_s": timeout_s})["idle"])

    # ------------------------------------------------------------------------ observing

    def state(self) -> Json:
        result: Json = self._call("GET", "state")
        return result

    def pages(
        self, *, data_source_id: str | None = None, include_trashed: bool = True
    ) -> list[Json]:
        pages: list[Json] = self.state()["pages"]
        return [
            p
            for p in pages
            if (data_source_id is None or p["parent"]["data_source_id"] == data_source_id)
            and (include_trashed or not p["in_trash"])
        ]

    def page(self, page_id: str) -> Json:
        """One page as the API renders it (the user's view; not a counted request)."""
        result: Json = self._call("GET", f"pages/{page_id}")
        return result

    def counters(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = self._call("GET", "counters")
        return result

    def reset_counters(self) -> None:
        self._call("POST", "counters/reset")

    def count(self, kind: str) -> int:
        """Requests of one kind, e.g. "POST /v1/pages" or "PATCH /v1/pages/{id}"."""
        return int(self.counters()["requests"].get(kind, 0))

    def writes(self) -> int:
        requests = self.counters()["requests"]
        return sum(n for kind, n in requests.items() if kind in WRITE_KINDS)

    def queries(self) -> int:
        return int(self.counters()["requests"].get(QUERY_KIND, 0))

    def total_requests(self) -> int:
        return sum(self.counters()["requests"].values())

    def status_count(self, status: int) -> int:
        statuses = self.counters()["statuses"]
        return sum(n for key, n in statuses.items() if key.endswith(f" {status}"))
