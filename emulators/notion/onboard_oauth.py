"""The minimum of Notion's public-integration OAuth and search the student's pages need, added
by the onboarding branch while the emulators branch's own flow was not merged yet.

GET `/v1/oauth/authorize` shows a consent page listing the workspace's databases (the student
ticks the ones to share; flags `emulator_consent=allow|deny` and `emulator_share=all|none`
answer at once); POST `/v1/oauth/token` (HTTP Basic client auth, JSON) exchanges a single-use
code whose `redirect_uri` must repeat the authorize one; POST `/v1/oauth/revoke` ends a token;
POST `/v1/search` lists the shared data sources (the emulator has no free-standing pages).
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from emulators.notion.state import Workspace
from emulators.serving import Reply
from emulators.web import (
    all_values,
    basic_auth,
    checkbox,
    decision_buttons,
    error_page,
    esc,
    first_values,
    hidden,
    html_page,
    is_loopback_http,
    redirect,
    same_secret,
    with_query,
)

CLIENT_ID = "0a0b0c0d-0000-4000-8000-0000000b0a4d"  # not the full flow's client (oauth.py)
CLIENT_SECRET = "secret_emulator-oauth-client"
WORKSPACE_ID = "7b0c5ed1-0000-4000-8000-0000000000ws"
WORKSPACE_NAME = "Student's Notion"
CONSENT_PATH = "/v1/oauth/consent"


@dataclass
class _Request:
    redirect_uri: str
    state: str | None


@dataclass
class _Code:
    request: _Request
    shared: frozenset[str]
    used: bool = False


@dataclass
class OnboardOAuth:
    workspace: Workspace
    pending: dict[str, _Request] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Reply | None:
        """The answer for one of these paths, or None for any other request."""
        if path == "/v1/oauth/authorize" and method == "GET":
            return self.authorize(query)
        if path == CONSENT_PATH and method == "POST":
            return self.consent(body.decode("utf-8", "replace"))
        if path in ("/v1/oauth/token", "/v1/oauth/revoke") and method == "POST":
            basic = basic_auth(headers.get("authorization"))
            if basic is None or basic[0] != CLIENT_ID or not same_secret(basic[1], CLIENT_SECRET):
                return _json(401, {"error": "invalid_client", "error_description": "bad client"})
            payload = _body(body)
            return self.token(payload) if path.endswith("token") else self.revoke(payload)
        if path == "/v1/search" and method == "POST":
            return self.search(headers.get("authorization", ""), _body(body))
        return None

    def authorize(self, query: str) -> Reply:
        p = first_values(query)
        if p.get("client_id") != CLIENT_ID:
            return error_page(400, "Invalid client", "The integration was not found.")
        uri = p.get("redirect_uri") or ""
        if not is_loopback_http(uri):
            return error_page(400, "Invalid redirect_uri", "The redirect URI is not allowed.")
        request = _Request(uri, p.get("state"))
        decision = p.get("emulator_consent")
        if decision == "deny":
            return redirect(with_query(uri, {"error": "access_denied", "state": request.state}))
        if decision == "allow":
            flag = p.get("emulator_share", "all")
            shared = frozenset(self.workspace.databases) if flag == "all" else frozenset()
            return self._allow(request, shared)
        key = secrets.token_urlsafe(12)
        self.pending[key] = request
        boxes = "".join(
            checkbox("database", db.id, db.title, checked=False)
            for db in self.workspace.databases.values()
        )
        body = (
            f"<p><strong>studyplanner</strong> wants to connect to <strong>{esc(WORKSPACE_NAME)}"
            f'</strong>.</p><form method="post" action="{CONSENT_PATH}">{hidden("request", key)}'
            "<fieldset><legend>Select the pages studyplanner can access</legend>"
            f"{boxes or '<p>This workspace has no databases yet.</p>'}</fieldset>"
            + decision_buttons("Allow access", "Cancel")
            + "</form>"
        )
        return html_page("Connect studyplanner to Notion", body)

    def consent(self, form: str) -> Reply:
        answer = first_values(form)
        request = self.pending.pop(answer.get("request", ""), None)
        if request is None:
            return error_page(400, "Invalid request", "This consent was already answered.")
        if answer.get("decision") != "allow":
            return redirect(
                with_query(request.redirect_uri, {"error": "access_denied", "state": request.state})
            )
        ticked = frozenset(all_values(form, "database")) & frozenset(self.workspace.databases)
        return self._allow(request, ticked)

    def _allow(self, request: _Request, shared: frozenset[str]) -> Reply:
        code = str(uuid.uuid4())
        self.codes[code] = _Code(request, shared)
        return redirect(with_query(request.redirect_uri, {"code": code, "state": request.state}))

    def token(self, payload: dict[str, Any]) -> Reply:
        if payload.get("grant_type") != "authorization_code":
            return _json(400, {"error": "unsupported_grant_type", "error_description": "no"})
        code = self.codes.get(str(payload.get("code") or ""))
        if code is None or code.used:
            return _json(400, {"error": "invalid_grant", "error_description": "Invalid code."})
        code.used = True
        if payload.get("redirect_uri") != code.request.redirect_uri:
            return _json(400, {"error": "invalid_grant", "error_description": "redirect_uri"})
        with self.workspace.lock:
            for db_id in code.shared:
                self.workspace.databases[db_id].shared = True
        issued = self.workspace.add_token(f"ntn_{secrets.token_hex(20)}", scope=code.shared)
        token, bot = issued.token, issued.bot_id
        return _json(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "bot_id": bot,
                "workspace_id": WORKSPACE_ID,
                "workspace_name": WORKSPACE_NAME,
                "workspace_icon": None,
                "owner": {"type": "user", "user": {"object": "user", "id": str(uuid.uuid4())}},
                "duplicated_template_id": None,
                "request_id": str(uuid.uuid4()),
            },
        )

    def revoke(self, payload: dict[str, Any]) -> Reply:
        token = str(payload.get("token") or "")
        if token not in self.workspace.tokens:
            return _json(400, {"error": "invalid_request", "error_description": "unknown token"})
        self.workspace.revoke_token(token)
        return _json(200, {"request_id": str(uuid.uuid4())})

    def search(self, authorization: str, payload: dict[str, Any]) -> Reply:
        token = authorization[7:] if authorization.startswith("Bearer ") else None
        found = self.workspace.tokens.get(token or "")
        if found is None or found.revoked:
            return _json(401, {"object": "error", "status": 401, "code": "unauthorized",
                               "message": "API token is invalid."})  # fmt: skip
        kind = (payload.get("filter") or {}).get("value")
        results: list[dict[str, Any]] = []
        if kind in (None, "data_source"):
            with self.workspace.lock:
                results = [
                    self.workspace.render_data_source(ds)
                    for ds in self.workspace.data_sources.values()
                    if ds.shared
                    and self.workspace.databases[ds.database_id].shared
                    and (found.scope is None or ds.database_id in found.scope)
                ]
        return _json(
            200,
            {"object": "list", "results": results, "next_cursor": None, "has_more": False},
        )


def _body(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _json(status: int, payload: dict[str, Any]) -> Reply:
    return Reply(status, json.dumps(payload).encode())
