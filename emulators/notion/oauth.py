"""Notion's public-integration OAuth flow, played by the emulator (API-FACTS, "OAuth").

GET `/v1/oauth/authorize?client_id&response_type=code&owner=user&redirect_uri&state` shows a
consent page where the user picks the databases to share (and, when the developer configured a
template, may have it duplicated into the workspace); the answer redirects with `code` and
`state`, or `error=access_denied`. Query flags for tests answer at once:
`emulator_consent=allow|deny`, `emulator_share=all|none|<id>,<id>`, `emulator_template=1`,
`emulator_user=<email>`.

POST `/v1/oauth/token` (HTTP Basic client auth, JSON body) exchanges a single-use code (its
`redirect_uri` must repeat the authorize one) or rotates a refresh token; the answer holds
`access_token`, `refresh_token`, `bot_id`, `workspace_id`, `workspace_name`, `owner`,
`duplicated_template_id`. The token sees only what was shared. POST `/v1/oauth/revoke` and
`/v1/oauth/introspect` take `{"token"}`. Errors of these endpoints are OAuth-shaped
(`{"error", "error_description"}`): Notion documents no other shape for them.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from emulators.notion.common import Json
from emulators.notion.entities import Token
from emulators.notion.runtime import EmulatorRuntime, EmulatorSettings
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
    redirect,
    redirect_uri_allowed,
    same_secret,
    with_query,
)

OAUTH_PREFIX = "/v1/oauth/"
AUTHORIZE_PATH = "/v1/oauth/authorize"
CONSENT_PATH = "/v1/oauth/consent"
JSON_UTF8 = "application/json; charset=utf-8"
CODE_TTL = timedelta(minutes=10)
MAX_PENDING = 10_000
SCOPE = "read_content update_content insert_content"
_V = TypeVar("_V")


@dataclass
class ConsentRequest:
    id: str
    redirect_uri: str
    redirect_uri_given: bool  # the token request must then repeat it
    state: str | None


@dataclass
class AuthCode:
    request: ConsentRequest
    email: str
    name: str
    shared: frozenset[str]
    use_template: bool
    expires_at: datetime
    used: bool = False


@dataclass
class Authorization:
    """One completed consent: the token, its refresh token, who granted it."""

    token: Token
    refresh_token: str
    user_id: str
    email: str
    name: str
    duplicated_template_id: str | None
    issued_at: datetime


class NotionOAuth:
    def __init__(self, runtime: EmulatorRuntime) -> None:
        self.runtime = runtime
        self.pending: OrderedDict[str, ConsentRequest] = OrderedDict()
        self.codes: OrderedDict[str, AuthCode] = OrderedDict()
        self.by_access: dict[str, Authorization] = {}
        self.by_refresh: dict[str, Authorization] = {}
        self.template: Json | None = None  # {"title", "properties"} of the template database

    @property
    def settings(self) -> EmulatorSettings:
        return self.runtime.settings

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        with self.runtime.workspace.lock:
            if path == AUTHORIZE_PATH and method == "GET":
                return self.authorize(query)
            if path == CONSENT_PATH and method == "POST":
                return self.consent(body.decode("utf-8", "replace"))
            if method != "POST" or path not in (
                "/v1/oauth/token",
                "/v1/oauth/revoke",
                "/v1/oauth/introspect",
            ):
                return _error(404, "invalid_request", f"No OAuth endpoint {method} {path}.")
            if not headers.get("notion-version"):
                return _error(400, "invalid_request", "The Notion-Version header is missing.")
            client = basic_auth(headers.get("authorization"))
            if (
                client is None
                or client[0] != self.settings.oauth_client_id
                or not same_secret(client[1], self.settings.oauth_client_secret)
            ):
                return _error(401, "invalid_client", "Client authentication failed.")
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                return _error(400, "invalid_request", "The body must be JSON.")
            if not isinstance(payload, dict):
                return _error(400, "invalid_request", "The body must be a JSON object.")
            if path.endswith("/token"):
                return self.token(payload)
            if path.endswith("/revoke"):
                return self.revoke(payload)
            return self.introspect(payload)

    # ---- consent ---------------------------------------------------------------------------------

    def authorize(self, query: str) -> Reply:
        p = first_values(query)
        if p.get("client_id") != self.settings.oauth_client_id:
            return error_page(400, "Invalid client", "Missing or invalid client_id.")
        registered = list(self.settings.oauth_redirect_uris)
        given = p.get("redirect_uri")
        if given is None and len(registered) == 1:
            redirect_uri = registered[0]
        elif given is not None and redirect_uri_allowed(given, registered):
            redirect_uri = given
        else:
            return error_page(400, "Invalid redirect_uri", "The redirect_uri is not registered.")
        if p.get("response_type") != "code" or p.get("owner") != "user":
            return error_page(
                400, "Invalid request", "The request needs response_type=code and owner=user."
            )
        request = ConsentRequest(
            id=secrets.token_urlsafe(18),
            redirect_uri=redirect_uri,
            redirect_uri_given=given is not None,
            state=p.get("state"),
        )
        decision = p.get("emulator_consent") or self.settings.auto_consent
        if decision == "deny":
            return self._deny(request)
        if decision == "allow":
            return self._allow(
                request,
                email=p.get("emulator_user") or self.settings.oauth_user_email,
                name=self.settings.oauth_user_name,
                shared=self._shared_by_flag(p.get("emulator_share", "all")),
                use_template=p.get("emulator_template") == "1",
            )
        _remember(self.pending, request.id, request)
        return self._page(request)

    def consent(self, form: str) -> Reply:
        answer = first_values(form)
        request = self.pending.pop(answer.get("request", ""), None)
        if request is None:
            return error_page(400, "Invalid request", "This request was already answered.")
        if answer.get("decision") != "allow":
            return self._deny(request)
        email = answer.get("email", "").strip()
        if "@" not in email or len(email) > 254:
            return error_page(400, "Invalid request", "Enter an email address.")
        known = self.runtime.workspace.databases
        shared = frozenset(d for d in all_values(form, "database") if d in known)
        return self._allow(
            request,
            email=email,
            name=answer.get("name", "").strip() or email.split("@")[0],
            shared=shared,
            use_template=answer.get("template") == "1" and self.template is not None,
        )

    def _shared_by_flag(self, flag: str) -> frozenset[str]:
        databases = self.runtime.workspace.databases
        if flag == "all":
            return frozenset(databases)
        if flag == "none":
            return frozenset()
        return frozenset(d.strip() for d in flag.split(",") if d.strip() in databases)

    def _deny(self, request: ConsentRequest) -> Reply:
        return redirect(
            with_query(request.redirect_uri, {"error": "access_denied", "state": request.state})
        )

    def _allow(
        self,
        request: ConsentRequest,
        *,
        email: str,
        name: str,
        shared: frozenset[str],
        use_template: bool,
    ) -> Reply:
        code = str(uuid.uuid4())
        expires_at = self.runtime.workspace.clock.now() + CODE_TTL
        _remember(
            self.codes,
            code,
            AuthCode(
                request, email, name, shared, use_template and bool(self.template), expires_at
            ),
        )
        return redirect(with_query(request.redirect_uri, {"code": code, "state": request.state}))

    def _page(self, request: ConsentRequest) -> Reply:
        s = self.settings
        boxes = "".join(
            checkbox("database", db.id, db.title, checked=False)
            for db in self.runtime.workspace.databases.values()
        )
        template = (
            checkbox("template", "1", "Duplicate the developer's template into my workspace")
            if self.template is not None
            else ""
        )
        body = (
            f"<p><strong>studyplanner</strong> wants to connect to the workspace "
            f"<strong>{esc(s.workspace_name)}</strong>.</p>"
            f'<form method="post" action="{CONSENT_PATH}">{hidden("request", request.id)}'
            '<label for="email">Your email</label>'
            f'<input id="email" type="email" name="email" value="{esc(s.oauth_user_email)}" '
            'required><label for="name">Your name</label>'
            f'<input id="name" type="text" name="name" value="{esc(s.oauth_user_name)}">'
            "<fieldset><legend>Select the pages studyplanner can access</legend>"
            f"{boxes or '<p>This workspace has no databases yet.</p>'}{template}</fieldset>"
            + decision_buttons("Allow access", "Cancel")
            + '<p class="note">Notion emulator: nothing leaves this machine.</p></form>'
        )
        return html_page("Connect studyplanner to Notion", body)

    # ---- tokens ----------------------------------------------------------------------------------

    def token(self, body: Json) -> Reply:
        grant_type = body.get("grant_type")
        if grant_type == "refresh_token":
            return self._refresh(body)
        if grant_type != "authorization_code":
            return _error(400, "unsupported_grant_type", f"Unsupported grant_type {grant_type!r}.")
        code = self.codes.get(str(body.get("code") or ""))
        ws = self.runtime.workspace
        if code is None or code.used or code.expires_at <= ws.clock.now():
            return _error(400, "invalid_grant", "Invalid code.")
        code.used = True
        given = body.get("redirect_uri")
        if (code.request.redirect_uri_given or given is not None) and (
            given != code.request.redirect_uri
        ):
            return _error(400, "invalid_grant", "redirect_uri does not match the authorization.")
        shared = set(code.shared)
        template_id: str | None = None
        if code.use_template and self.template is not None:
            db = ws.create_database(
                title=str(self.template.get("title") or "Study plan"),
                properties=self.template.get("properties"),
            )
            shared.add(db.id)
            template_id = db.id
        for db_id in shared:
            ws.databases[db_id].shared = True
        token = ws.add_token(f"ntn_{secrets.token_hex(20)}", scope=frozenset(shared))
        grant = Authorization(
            token=token,
            refresh_token=f"nrt_{secrets.token_hex(20)}",
            user_id=str(uuid.uuid5(uuid.NAMESPACE_URL, "mailto:" + code.email)),
            email=code.email,
            name=code.name,
            duplicated_template_id=template_id,
            issued_at=ws.clock.now(),
        )
        self._store(grant)
        return self._answer(grant)

    def _refresh(self, body: Json) -> Reply:
        old = self.by_refresh.pop(str(body.get("refresh_token") or ""), None)
        if old is None or old.token.revoked:
            return _error(400, "invalid_grant", "Invalid refresh token.")
        ws = self.runtime.workspace
        # Both tokens rotate: the old access token stops working (the stricter reading of
        # "generates a new access token and new refresh token").
        old.token.revoked = True
        self.by_access.pop(old.token.token, None)
        token = ws.add_token(f"ntn_{secrets.token_hex(20)}", scope=old.token.scope)
        token.bot_id = old.token.bot_id
        grant = Authorization(
            token=token,
            refresh_token=f"nrt_{secrets.token_hex(20)}",
            user_id=old.user_id,
            email=old.email,
            name=old.name,
            duplicated_template_id=old.duplicated_template_id,
            issued_at=ws.clock.now(),
        )
        self._store(grant)
        return self._answer(grant)

    def revoke(self, body: Json) -> Reply:
        grant = self.by_access.get(str(body.get("token") or ""))
        if grant is not None:
            grant.token.revoked = True
            self.by_refresh.pop(grant.refresh_token, None)
        return _json(200, {"request_id": str(uuid.uuid4())})

    def introspect(self, body: Json) -> Reply:
        grant = self.by_access.get(str(body.get("token") or ""))
        active = grant is not None and not grant.token.revoked
        answer: Json = {"active": active, "request_id": str(uuid.uuid4())}
        if grant is not None and active:
            answer.update(scope=SCOPE, iat=int(grant.issued_at.timestamp()))
        return _json(200, answer)

    def _store(self, grant: Authorization) -> None:
        self.by_access[grant.token.token] = grant
        self.by_refresh[grant.refresh_token] = grant

    def _answer(self, grant: Authorization) -> Reply:
        s = self.settings
        return _json(
            200,
            {
                "access_token": grant.token.token,
                "token_type": "bearer",
                "refresh_token": grant.refresh_token,
                "bot_id": grant.token.bot_id,
                "workspace_id": s.workspace_id,
                "workspace_name": s.workspace_name,
                "workspace_icon": None,
                "owner": {
                    "type": "user",
                    "user": {
                        "object": "user",
                        "id": grant.user_id,
                        "name": grant.name,
                        "avatar_url": None,
                        "type": "person",
                        "person": {"email": grant.email},
                    },
                },
                "duplicated_template_id": grant.duplicated_template_id,
                "request_id": str(uuid.uuid4()),
            },
        )

    # ---- admin -----------------------------------------------------------------------------------

    def admin(self, method: str, parts: list[str], body: Json) -> Any:
        with self.runtime.workspace.lock:
            if (method, *parts) == ("POST", "template"):
                self.template = None if body.get("clear") else dict(body)
                return {"template": self.template}
            if (method, *parts) == ("GET", "grants"):
                return [
                    {
                        "bot_id": g.token.bot_id,
                        "email": g.email,
                        "shared": sorted(g.token.scope or ()),
                        "revoked": g.token.revoked,
                        "duplicated_template_id": g.duplicated_template_id,
                    }
                    for g in self.by_access.values()
                ]
        raise KeyError(f"no admin route {method} oauth/{'/'.join(parts)}")


def _remember(store: OrderedDict[str, _V], key: str, value: _V) -> None:
    store[key] = value
    while len(store) > MAX_PENDING:
        store.popitem(last=False)


def _json(status: int, payload: Json) -> Reply:
    return Reply(status, json.dumps(payload).encode(), {"Cache-Control": "no-store"}, JSON_UTF8)


def _error(status: int, error: str, description: str) -> Reply:
    return _json(
        status,
        {"error": error, "error_description": description, "request_id": str(uuid.uuid4())},
    )
