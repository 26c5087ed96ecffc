"""The Google emulator's OAuth web-server flow over real HTTP: httpx for the browser's part and
the real google-auth-oauthlib `Flow` (PKCE S256) for the app's part, then the real adapter with
the tokens it got."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from google_auth_oauthlib.flow import Flow

from emulators.google import GoogleEmulator
from integrations.errors import PermanentError
from integrations.google_calendar import GoogleCalendarClient
from tests.integration.google.helpers import inserts

CALENDAR = "https://www.googleapis.com/auth/calendar"
READONLY = "https://www.googleapis.com/auth/calendar.readonly"
EVENTS = "https://www.googleapis.com/auth/calendar.events"
REDIRECT = "http://127.0.0.1:8400/v1/connect/google/callback"
VERIFIER = "v" * 43 + "-verifier_0123456789"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0, follow_redirects=False) as client:
        yield client


@pytest.fixture(autouse=True)
def _local_http_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib refuses http:// token and callback URLs; the emulator is plain http on loopback.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _flow(emulator: GoogleEmulator, scopes: list[str]) -> Flow:
    config = {
        "web": {
            "client_id": emulator.settings.client_id,
            "client_secret": emulator.settings.client_secret,
            "auth_uri": emulator.auth_uri,
            "token_uri": emulator.token_uri,
            "redirect_uris": [REDIRECT],
        }
    }
    return Flow.from_client_config(config, scopes=scopes, redirect_uri=REDIRECT)


def _authorize_params(emulator: GoogleEmulator, **extra: str) -> dict[str, str]:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest())
    params = {
        "client_id": emulator.settings.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": CALENDAR,
        "state": "s-123",
        "access_type": "offline",
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return params


def _redirected(http: httpx.Client, url: str) -> dict[str, str]:
    answer = http.get(url)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _code(http: httpx.Client, emulator: GoogleEmulator, **extra: str) -> dict[str, str]:
    params = _authorize_params(emulator, emulator_consent="allow", **extra)
    return _redirected(http, emulator.auth_uri + "?" + urlencode(params))


def _exchange(
    http: httpx.Client, emulator: GoogleEmulator, code: str, **overrides: str
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": emulator.settings.client_id,
        "client_secret": emulator.settings.client_secret,
        "code_verifier": VERIFIER,
    }
    form.update(overrides)
    return http.post(emulator.token_uri, data={k: v for k, v in form.items() if v})


def _client(emulator: GoogleEmulator, token: dict[str, Any]) -> GoogleCalendarClient:
    return GoogleCalendarClient(
        base_url=emulator.base_url,
        token_uri=emulator.token_uri,
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token") or "",
        client_id=emulator.settings.client_id,
        client_secret=emulator.settings.client_secret,
        token_expiry=None,
        timeout=5.0,
    )


# ---- the whole flow with the real libraries ---------------------------------------------------


def test_flow_with_pkce_connects_a_new_student_who_then_sees_their_calendars(
    emulator: GoogleEmulator, http: httpx.Client
) -> None:
    flow = _flow(emulator, [CALENDAR])
    url, state = flow.authorization_url(
        access_type="offline", prompt="consent", include_granted_scopes="true"
    )
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]

    answer = _redirected(http, url + "&emulator_consent=allow&emulator_user=ada%40uni.example")
    assert answer["state"] == state
    flow.fetch_token(code=answer["code"])

    credentials = flow.credentials
    assert credentials.refresh_token
    assert set(credentials.granted_scopes or []) == {CALENDAR}
    client = _client(
        emulator, {"access_token": credentials.token, "refresh_token": credentials.refresh_token}
    )
    try:
        calendars = {c.id: c for c in client.list_calendars()}
    finally:
        client.close()
    assert calendars["ada@uni.example"].primary
    assert calendars["ada@uni.example"].access_role == "owner"
    holidays = calendars["en.usa#holiday@group.v.calendar.google.com"]
    assert (holidays.access_role, holidays.primary) == ("reader", False)


def test_consent_page_is_a_form_a_browser_can_submit(
    emulator: GoogleEmulator, http: httpx.Client
) -> None:
    params = _authorize_params(emulator, scope=f"{CALENDAR} openid", login_hint="bo@uni.example")
    page = http.get(emulator.auth_uri + "?" + urlencode(params))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="en">' in html
    assert 'value="bo@uni.example"' in html
    assert '<button type="submit" name="decision" value="allow">Allow</button>' in html
    assert 'name="decision" value="deny"' in html
    request_id = re.search(r'name="request" value="([^"]+)"', html)
    assert request_id is not None

    submitted = http.post(
        emulator.base_url + "/o/oauth2/consent",
        data={
            "request": request_id.group(1),
            "email": "bo@uni.example",
            "scope": CALENDAR,
            "decision": "allow",
        },
    )
    assert submitted.status_code == 302
    answer = {k: v[0] for k, v in parse_qs(urlsplit(submitted.headers["location"]).query).items()}
    assert answer["state"] == "s-123"
    assert set(answer["scope"].split()) == {CALENDAR, "openid"}
    token = _exchange(http, emulator, answer["code"]).json()
    assert set(token["scope"].split()) == {CALENDAR, "openid"}
    # The request was answered: submitting it again is refused, without a redirect.
    again = http.post(
        emulator.base_url + "/o/oauth2/consent",
        data={"request": request_id.group(1), "email": "bo@uni.example", "decision": "allow"},
    )
    assert again.status_code == 400
    assert "location" not in again.headers


def test_the_student_denies_consent(emulator: GoogleEmulator, http: httpx.Client) -> None:
    params = _authorize_params(emulator)
    html = http.get(emulator.auth_uri + "?" + urlencode(params)).text
    request_id = re.search(r'name="request" value="([^"]+)"', html)
    assert request_id is not None
    denied = http.post(
        emulator.base_url + "/o/oauth2/consent",
        data={"request": request_id.group(1), "email": "x@uni.example", "decision": "deny"},
    )
    assert denied.status_code == 302
    answer = parse_qs(urlsplit(denied.headers["location"]).query)
    assert answer == {"error": ["access_denied"], "state": ["s-123"]}

    flagged = _redirected(
        http,
        emulator.auth_uri + "?" + urlencode(_authorize_params(emulator, emulator_consent="deny")),
    )
    assert flagged == {"error": "access_denied", "state": "s-123"}


# ---- refresh tokens: offline, first consent, prompt=consent -----------------------------------


def test_refresh_token_only_offline_and_on_first_consent_or_prompt_consent(
    emulator: GoogleEmulator, http: httpx.Client
) -> None:
    user = {"emulator_user": "cy@uni.example"}
    online = _exchange(http, emulator, _code(http, emulator, access_type="online", **user)["code"])
    assert "refresh_token" not in online.json()

    first = _exchange(http, emulator, _code(http, emulator, **user)["code"]).json()
    assert first["refresh_token"].startswith("1//")
    again = _exchange(http, emulator, _code(http, emulator, **user)["code"]).json()
    assert "refresh_token" not in again  # the app is expected to have kept the first one
    forced = _exchange(http, emulator, _code(http, emulator, prompt="consent", **user)["code"])
    assert forced.json()["refresh_token"] not in (None, first["refresh_token"])

    # Both refresh tokens work; after the user revokes, the next consent is a first one again.
    for refresh in (first["refresh_token"], forced.json()["refresh_token"]):
        refreshed = http.post(
            emulator.token_uri,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": emulator.settings.client_id,
                "client_secret": emulator.settings.client_secret,
            },
        )
        assert refreshed.status_code == 200
        assert refreshed.json()["scope"] == CALENDAR
    assert http.post(emulator.revoke_uri, data={"token": first["refresh_token"]}).status_code == 200
    dead = http.post(
        emulator.token_uri,
        data={
            "grant_type": "refresh_token",
            "refresh_token": forced.json()["refresh_token"],
            "client_id": emulator.settings.client_id,
            "client_secret": emulator.settings.client_secret,
        },
    )
    assert (dead.status_code, dead.json()["error"]) == (400, "invalid_grant")
    api = http.get(
        emulator.api_endpoint + "users/me/calendarList",
        headers={"Authorization": f"Bearer {again['access_token']}"},
    )
    assert api.status_code == 401
    renewed = _exchange(http, emulator, _code(http, emulator, **user)["code"]).json()
    assert "refresh_token" in renewed
    unknown = http.post(emulator.revoke_uri, data={"token": "1//not-a-token"})
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_token")


# ---- narrower scopes --------------------------------------------------------------------------


def test_narrower_scopes_show_in_the_answer_and_the_api_enforces_them(
    emulator: GoogleEmulator, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = _flow(emulator, [CALENDAR, READONLY])
    url, _state = flow.authorization_url(access_type="offline")
    answer = _redirected(
        http, url + "&" + urlencode({"emulator_consent": "allow", "emulator_scopes": READONLY})
    )
    assert answer["scope"] == READONLY
    # oauthlib notices the narrower grant and raises unless told to accept it.
    with pytest.raises(Warning, match="Scope has changed"):
        flow.fetch_token(code=answer["code"])

    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    flow = _flow(emulator, [CALENDAR, READONLY])
    url, _state = flow.authorization_url(access_type="offline")
    answer = _redirected(
        http, url + "&" + urlencode({"emulator_consent": "allow", "emulator_scopes": READONLY})
    )
    token = flow.fetch_token(code=answer["code"])
    assert token["scope"] == [READONLY]
    client = _client(emulator, token)
    try:
        assert client.list_calendars()  # reading is allowed
        with pytest.raises(PermanentError) as refused:
            client.ensure_study_calendar(None)
        assert refused.value.status == 403
        assert refused.value.code == "insufficientPermissions"
        results = client.push(emulator.settings.default_user, inserts(1))
        assert results[0].outcome == "error"
        assert results[0].error is not None and results[0].error.status == 403
    finally:
        client.close()


def test_include_granted_scopes_adds_earlier_grants(
    emulator: GoogleEmulator, http: httpx.Client
) -> None:
    user = {"emulator_user": "di@uni.example"}
    first = _exchange(http, emulator, _code(http, emulator, scope=READONLY, **user)["code"])
    assert first.json()["scope"] == READONLY
    more = _code(http, emulator, scope=EVENTS, include_granted_scopes="true", **user)
    assert set(more["scope"].split()) == {READONLY, EVENTS}
    assert set(_exchange(http, emulator, more["code"]).json()["scope"].split()) == {
        READONLY,
        EVENTS,
    }
    alone = _code(http, emulator, scope=EVENTS, **user)
    assert alone["scope"] == EVENTS


# ---- the code and the client are checked ------------------------------------------------------


def test_codes_are_single_use_and_bound_to_redirect_uri_verifier_and_client(
    emulator: GoogleEmulator, http: httpx.Client
) -> None:
    code = _code(http, emulator)["code"]
    assert _exchange(http, emulator, code).status_code == 200
    reused = _exchange(http, emulator, code)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")

    wrong_redirect = _exchange(
        http, emulator, _code(http, emulator)["code"], redirect_uri=REDIRECT + "x"
    )
    assert (wrong_redirect.status_code, wrong_redirect.json()["error"]) == (
        400,
        "redirect_uri_mismatch",
    )
    wrong_verifier = _exchange(
        http, emulator, _code(http, emulator)["code"], code_verifier="w" * 50
    )
    assert wrong_verifier.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid code verifier.",
    }
    no_verifier = _exchange(http, emulator, _code(http, emulator)["code"], code_verifier="")
    assert no_verifier.json()["error_description"] == "Missing code verifier."
    wrong_secret = _exchange(http, emulator, _code(http, emulator)["code"], client_secret="nope")
    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (401, "invalid_client")
    unknown = _exchange(http, emulator, "4/0Anot-a-code")
    assert unknown.json()["error"] == "invalid_grant"

    # HTTP Basic client authentication works as well as the form fields.
    basic = http.post(
        emulator.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": _code(http, emulator)["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
        },
        auth=(emulator.settings.client_id, emulator.settings.client_secret),
    )
    assert basic.status_code == 200
    assert basic.json()["token_type"] == "Bearer"


def test_authorize_refuses_a_bad_client_or_redirect_without_redirecting(
    emulator: GoogleEmulator, http: httpx.Client
) -> None:
    bad_client = http.get(
        emulator.auth_uri + "?" + urlencode(_authorize_params(emulator, client_id="someone-else"))
    )
    assert bad_client.status_code == 401
    assert "location" not in bad_client.headers
    outside = http.get(
        emulator.auth_uri
        + "?"
        + urlencode(_authorize_params(emulator, redirect_uri="http://evil.example/cb"))
    )
    assert outside.status_code == 400
    assert "redirect_uri_mismatch" in outside.text

    emulator.admin.configure(redirect_uris=["https://planner.example/callback"])
    loopback = http.get(emulator.auth_uri + "?" + urlencode(_authorize_params(emulator)))
    assert loopback.status_code == 400  # registered URIs are matched exactly

    emulator.admin.configure(redirect_uris=[])
    bad_scope = _redirected(
        http, emulator.auth_uri + "?" + urlencode(_authorize_params(emulator, scope="calendar"))
    )
    assert bad_scope["error"] == "invalid_scope"
    assert bad_scope["state"] == "s-123"
    bad_challenge = _redirected(
        http,
        emulator.auth_uri + "?" + urlencode(_authorize_params(emulator, code_challenge="short")),
    )
    assert bad_challenge["error"] == "invalid_request"


# ---- the consenting user's calendars ----------------------------------------------------------


def test_calendar_list_shows_roles_selection_and_access_is_enforced(
    emulator: GoogleEmulator, http: httpx.Client
) -> None:
    admin = emulator.admin
    admin.add_user("teacher@uni.example")
    lectures = admin.add_calendar("Lectures", user="teacher@uni.example")
    office = admin.add_calendar("Office hours", user="teacher@uni.example")
    student = emulator.settings.default_user
    admin.share_calendar(lectures, student, access_role="reader", selected=True)
    admin.share_calendar(office, student, access_role="freeBusyReader", selected=False)
    admin.set_calendar_selected(student, selected=False, user=student)
    grant = admin.grant()
    headers = {"Authorization": f"Bearer {grant['access_token']}"}

    items = http.get(emulator.api_endpoint + "users/me/calendarList", headers=headers).json()
    entries = {item["id"]: item for item in items["items"]}
    assert entries[student]["accessRole"] == "owner"
    assert entries[student]["primary"] is True
    assert "selected" not in entries[student]  # unticked: Google leaves false booleans out
    assert (entries[lectures]["accessRole"], entries[lectures]["selected"]) == ("reader", True)
    assert "primary" not in entries[lectures]
    assert entries[office]["accessRole"] == "freeBusyReader"

    listing = http.get(emulator.api_endpoint + f"calendars/{lectures}/events", headers=headers)
    assert listing.status_code == 200
    assert listing.json()["accessRole"] == "reader"
    write = http.post(
        emulator.api_endpoint + f"calendars/{lectures}/events",
        headers=headers,
        json={"start": {"date": "2026-03-02"}, "end": {"date": "2026-03-03"}},
    )
    assert write.status_code == 403
    assert write.json()["error"]["errors"][0]["reason"] == "requiredAccessLevel"
    busy_only = http.get(emulator.api_endpoint + f"calendars/{office}/events", headers=headers)
    assert busy_only.status_code == 403
    freebusy = http.post(
        emulator.api_endpoint + "freeBusy",
        headers=headers,
        json={
            "timeMin": "2026-03-02T00:00:00Z",
            "timeMax": "2026-03-03T00:00:00Z",
            "items": [{"id": office}],
        },
    ).json()
    assert "errors" not in freebusy["calendars"][office]


def test_writes_from_a_full_grant_still_work(emulator: GoogleEmulator, http: httpx.Client) -> None:
    token = _exchange(http, emulator, _code(http, emulator, emulator_user="ed@uni.example")["code"])
    client = _client(emulator, token.json())
    try:
        study = client.ensure_study_calendar(None)
        results = client.push(study, inserts(2))
    finally:
        client.close()
    assert [r.outcome for r in results] == ["ok", "ok"]
