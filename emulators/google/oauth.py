"""Google's OAuth 2.0 web-server flow, played by the emulator (API-FACTS, "OAuth").

GET `/o/oauth2/auth` (or `/o/oauth2/v2/auth`) checks the client and the redirect URI — a bad one
gets an error page, never a redirect — and then shows a consent page (Allow / Deny, the email
to sign in as, a checkbox per scope: granular consent lets the user grant less than asked). The
answer redirects to `redirect_uri` with `code`, `state` and `scope`, or `error=access_denied`.
Query flags for tests answer the page at once: `emulator_consent=allow|deny`,
`emulator_user=<email>` and `emulator_scopes=<the subset to grant>`.

POST `/token` takes `authorization_code` (single use, expires, `redirect_uri` must repeat the
authorize one, the PKCE `code_verifier` must match the S256 or plain challenge) and
`refresh_token`; the client authenticates in the form or with HTTP Basic. A refresh token
comes only with `access_type=offline`, and only on the first such consent (or again with
`prompt=consent`); `include_granted_scopes=true` adds earlier grants to the new one. POST
`/revoke` (`token=` a refresh or access token) ends the whole grant of that user to the client.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from emulators.google import scopes as scope_names
from emulators.google.accounts import sign_up
from emulators.google.entities import Authorization
from emulators.google.replies import json_reply, oauth_error
from emulators.google.settings import EmulatorSettings
from emulators.google.state import CalendarState
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
    pkce_matches,
    redirect,
    redirect_uri_allowed,
    same_secret,
    with_query,
)

AUTHORIZE_PATHS = ("/o/oauth2/auth", "/o/oauth2/v2/auth")
CONSENT_PATH = "/o/oauth2/consent"
TOKEN_PATH = "/token"
REVOKE_PATHS = ("/revoke", "/o/oauth2/revoke")
# path -> the counter it counts under (admin.counters())
OAUTH_PATHS = {
    **dict.fromkeys(AUTHORIZE_PATHS, "authorize"),
    CONSENT_PATH: "consent",
    TOKEN_PATH: "token",
    **dict.fromkeys(REVOKE_PATHS, "revoke"),
}
MAX_PENDING = 10_000
_V = TypeVar("_V")
_PROMPTS = frozenset({"none", "consent", "select_account"})
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


@dataclass
class ConsentRequest:
    id: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    offline: bool
    prompt_consent: bool
    include_granted: bool
    code_challenge: str | None
    challenge_method: str
    login_hint: str | None


@dataclass
class AuthCode:
    request: ConsentRequest
    user: str
    scopes: frozenset[str]
    expires_at: datetime
    used: bool = False


class GoogleOAuth:
    """Runs under the dispatcher's lock, like the rest of the state."""

    def __init__(self, state: CalendarState, settings: EmulatorSettings) -> None:
        self.state = state
        self.settings = settings
        self.pending: OrderedDict[str, ConsentRequest] = OrderedDict()
        self.codes: OrderedDict[str, AuthCode] = OrderedDict()

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        form = body.decode("utf-8", "replace")
        if path in AUTHORIZE_PATHS:
            if method != "GET":
                return error_page(405, "Error 405", "The authorization page is a GET.")
            return self.authorize(query)
        if path == CONSENT_PATH:
            if method != "POST":
                return error_page(405, "Error 405", "Consent is given with a POST.")
            return self.consent(form)
        if method != "POST":
            return oauth_error(405, "invalid_request", "POST only")
        if path == TOKEN_PATH:
            return self.token(headers, form)
        return self.revoke(form or query)

    # ---- the authorize page ----------------------------------------------------------------------

    def authorize(self, query: str) -> Reply:
        p = first_values(query)
        if p.get("client_id") != self.settings.client_id:
            return error_page(401, "Error 401: invalid_client", "The OAuth client was not found.")
        redirect_uri = p.get("redirect_uri")
        if redirect_uri is None or not redirect_uri_allowed(
            redirect_uri, self.settings.redirect_uris
        ):
            return error_page(
                400,
                "Error 400: redirect_uri_mismatch",
                "The redirect URI in the request does not match the ones registered for the "
                "OAuth client.",
            )
        state = p.get("state")
        problem = _request_problem(p)
        if problem is not None:
            error, description = problem
            return redirect(
                with_query(
                    redirect_uri, {"error": error, "error_description": description, "state": state}
                )
            )
        prompts = set(p.get("prompt", "").split())
        request = ConsentRequest(
            id=secrets.token_urlsafe(18),
            client_id=p["client_id"],
            redirect_uri=redirect_uri,
            scopes=scope_names.parse(p.get("scope")),
            state=state,
            offline=p.get("access_type") == "offline",
            prompt_consent="consent" in prompts,
            include_granted=p.get("include_granted_scopes") == "true",
            code_challenge=p.get("code_challenge"),
            challenge_method=p.get("code_challenge_method") or "plain",
            login_hint=p.get("login_hint"),
        )
        user = p.get("emulator_user") or request.login_hint or self.settings.default_user
        if "none" in prompts:
            known = self.state.authorizations.get((user, request.client_id))
            if known is None or not set(request.scopes) <= known.scopes:
                return self._deny(request, "consent_required")
            return self._allow(request, user, request.scopes)
        decision = p.get("emulator_consent") or self.settings.auto_consent
        if decision == "deny":
            return self._deny(request, "access_denied")
        if decision == "allow":
            wanted = p.get("emulator_scopes")
            granted = request.scopes if wanted is None else scope_names.parse(wanted)
            return self._allow(request, user, granted)
        _remember(self.pending, request.id, request)
        return _consent_page(request, user)

    def consent(self, form: str) -> Reply:
        answer = first_values(form)
        request = self.pending.pop(answer.get("request", ""), None)
        if request is None:
            return error_page(
                400,
                "Error 400: invalid_request",
                "This consent request is unknown or was already answered.",
            )
        if answer.get("decision") != "allow":
            return self._deny(request, "access_denied")
        user = answer.get("email", "").strip()
        if "@" not in user or len(user) > 254:
            return error_page(400, "Error 400: invalid_request", "Enter an email address.")
        ticked = set(all_values(form, "scope"))
        granted = [s for s in request.scopes if s in ticked or s in scope_names.BASIC]
        return self._allow(request, user, granted)

    def _deny(self, request: ConsentRequest, error: str) -> Reply:
        return redirect(with_query(request.redirect_uri, {"error": error, "state": request.state}))

    def _allow(self, request: ConsentRequest, user: str, granted: list[str]) -> Reply:
        if user not in self.state.users:
            # A Google account exists before our app sees it: signing in creates it here.
            sign_up(
                self.state,
                user,
                time_zone=self.settings.default_time_zone,
                calendars=self.settings.signup_calendars,
            )
        scopes = {s for s in granted if s in request.scopes}
        known = self.state.authorizations.get((user, request.client_id))
        if request.include_granted and known is not None:
            scopes |= known.scopes
        code = "4/0A" + secrets.token_urlsafe(32)
        expires_at = self.state.now() + timedelta(seconds=self.settings.auth_code_ttl)
        _remember(
            self.codes, code, AuthCode(request, user, frozenset(scopes), expires_at=expires_at)
        )
        return redirect(
            with_query(
                request.redirect_uri,
                {
                    "state": request.state,
                    "code": code,
                    "scope": " ".join(sorted(scopes)),
                    "authuser": "0",
                },
            )
        )

    # ---- the token endpoint ----------------------------------------------------------------------

    def token(self, headers: Mapping[str, str], form_text: str) -> Reply:
        form = first_values(form_text)
        grant_type = form.get("grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            return oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        basic = basic_auth(headers.get("authorization"))
        client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
        if not client_id:
            return oauth_error(
                400, "invalid_request", "Could not determine client ID from request."
            )
        if client_id != self.settings.client_id or not same_secret(
            secret, self.settings.client_secret
        ):
            return oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if grant_type == "refresh_token":
            return self._refresh(client_id, form)
        return self._exchange(client_id, form)

    def _refresh(self, client_id: str, form: dict[str, str]) -> Reply:
        grant = self.state.grants.get(form.get("refresh_token", ""))
        if grant is None or grant.revoked or grant.client_id != client_id:
            return oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        access = self.state.issue_access_token(grant, self.settings.access_token_ttl)
        return self._token_answer(access.token, grant.scopes, None)

    def _exchange(self, client_id: str, form: dict[str, str]) -> Reply:
        code = self.codes.get(form.get("code", ""))
        if code is None:
            return oauth_error(400, "invalid_grant", "Malformed auth code.")
        if code.used or code.expires_at <= self.state.now() or code.request.client_id != client_id:
            return oauth_error(400, "invalid_grant", "Bad Request")
        # Single use even when the exchange fails below: a code is never tried twice.
        code.used = True
        request = code.request
        if form.get("redirect_uri") != request.redirect_uri:
            return oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        if request.code_challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                return oauth_error(400, "invalid_grant", "Missing code verifier.")
            if not pkce_matches(request.code_challenge, request.challenge_method, verifier):
                return oauth_error(400, "invalid_grant", "Invalid code verifier.")
        consent = self.state.authorizations.setdefault(
            (code.user, client_id), Authorization(code.user, client_id, set())
        )
        consent.scopes = set(code.scopes)
        refresh_token: str | None = None
        if request.offline and (not consent.refresh_issued or request.prompt_consent):
            refresh_token = self.state.add_grant(
                code.user, client_id, scopes=code.scopes
            ).refresh_token
        if request.include_granted:
            for live in self.state.grants.values():
                if live.user == code.user and live.client_id == client_id and not live.revoked:
                    live.scopes = code.scopes
        access = self.state.issue_bare_access_token(
            code.user, client_id, code.scopes, self.settings.access_token_ttl, refresh_token
        )
        return self._token_answer(access.token, code.scopes, refresh_token)

    def _token_answer(
        self, access_token: str, scopes: frozenset[str], refresh_token: str | None
    ) -> Reply:
        answer: dict[str, object] = {
            "access_token": access_token,
            "expires_in": self.settings.access_token_ttl,
            "scope": " ".join(sorted(scopes)),
            "token_type": "Bearer",
        }
        if refresh_token is not None:
            answer["refresh_token"] = refresh_token
        return json_reply(200, answer, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    # ---- revocation ------------------------------------------------------------------------------

    def revoke(self, form_text: str) -> Reply:
        token = first_values(form_text).get("token", "")
        grant = self.state.grants.get(token)
        access = self.state.access_tokens.get(token)
        if grant is not None and not grant.revoked:
            owner = (grant.user, grant.client_id)
        elif access is not None:
            owner = (access.user, access.client_id or self.settings.client_id)
        else:
            return oauth_error(400, "invalid_token", "Token expired or revoked")
        self.state.revoke_consent(*owner)
        return json_reply(200, {})


def _remember(store: OrderedDict[str, _V], key: str, value: _V) -> None:
    store[key] = value
    while len(store) > MAX_PENDING:
        store.popitem(last=False)


def _request_problem(p: dict[str, str]) -> tuple[str, str] | None:
    """What is wrong with an authorize request whose client and redirect URI are fine."""
    if p.get("response_type") != "code":
        return "unsupported_response_type", "Only response_type=code is supported."
    requested = scope_names.parse(p.get("scope"))
    if not requested:
        return "invalid_request", "Missing required parameter: scope"
    unknown = [s for s in requested if s not in scope_names.KNOWN]
    if unknown:
        return "invalid_scope", f"Some requested scopes were invalid: {unknown}"
    if p.get("access_type", "online") not in ("online", "offline"):
        return "invalid_request", "Invalid access_type: must be online or offline."
    prompts = set(p.get("prompt", "").split())
    if not prompts <= _PROMPTS or ("none" in prompts and len(prompts) > 1):
        return "invalid_request", "Invalid prompt."
    challenge = p.get("code_challenge")
    method = p.get("code_challenge_method")
    if method is not None and challenge is None:
        return "invalid_request", "code_challenge_method without code_challenge."
    if challenge is not None:
        if (method or "plain") not in ("S256", "plain"):
            return "invalid_request", "Invalid code_challenge_method."
        if not 43 <= len(challenge) <= 128 or not set(challenge) <= _UNRESERVED:
            return "invalid_request", "Invalid code_challenge."
    return None


def _consent_page(request: ConsentRequest, user: str) -> Reply:
    optional = [s for s in request.scopes if s not in scope_names.BASIC]
    basic = [s for s in request.scopes if s in scope_names.BASIC]
    boxes = "".join(checkbox("scope", s, scope_names.KNOWN[s]) for s in optional)
    always = "".join(f"<li>{esc(scope_names.KNOWN[s])}</li>" for s in basic)
    body = (
        "<p>The app <strong>studyplanner</strong> wants to access your Google Account.</p>"
        f'<form method="post" action="{CONSENT_PATH}">'
        f"{hidden('request', request.id)}"
        '<label for="email">Sign in as (email)</label>'
        f'<input id="email" type="email" name="email" value="{esc(user)}" required>'
        + (f"<p>Always shared:</p><ul>{always}</ul>" if always else "")
        + (
            f"<fieldset><legend>Select what studyplanner can access</legend>{boxes}</fieldset>"
            if boxes
            else ""
        )
        + decision_buttons("Allow", "Deny")
        + '<p class="note">Google Calendar emulator: nothing leaves this machine.</p></form>'
    )
    return html_page("Sign in with Google", body)
