"""The Notion emulator's public-integration OAuth flow over real HTTP: httpx plays the browser,
the real notion-client exchanges, refreshes and revokes tokens, and then reads with them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from notion_client import APIResponseError, Client
from notion_client.errors import HTTPResponseError

from emulators.notion import FULL_SCHEMA, EmulatedWorkspace, NotionEmulator
from tests.integration.notion.conftest import TEST_RETRY
from tests.integration.notion.helpers import as_dict

REDIRECT = "http://127.0.0.1:8400/v1/connect/notion/callback"
log = logging.getLogger(__name__)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0, follow_redirects=False) as client:
        yield client


@pytest.fixture
def other_database(emulator: NotionEmulator) -> tuple[str, str]:
    db_id, ds_ids = emulator.admin.create_database(title="Journal", properties=FULL_SCHEMA)
    return db_id, ds_ids[0]


def _client(emulator: NotionEmulator, auth: str | None = None) -> Client:
    return Client(auth=auth, base_url=emulator.base_url, logger=log, retry=TEST_RETRY)


def _authorize_url(emulator: NotionEmulator, **extra: str) -> str:
    params = {
        "client_id": emulator.settings.oauth_client_id,
        "response_type": "code",
        "owner": "user",
        "redirect_uri": REDIRECT,
        "state": "n-42",
    }
    params.update(extra)
    return emulator.authorize_url + "?" + urlencode(params)


def _redirected(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _exchange(emulator: NotionEmulator, code: str, **body: Any) -> dict[str, Any]:
    with _client(emulator) as client:
        return as_dict(
            client.oauth.token(
                client_id=emulator.settings.oauth_client_id,
                client_secret=emulator.settings.oauth_client_secret,
                grant_type="authorization_code",
                code=code,
                redirect_uri=body.pop("redirect_uri", REDIRECT),
                **body,
            )
        )


def test_token_sees_only_the_databases_shared_at_consent(
    emulator: NotionEmulator,
    workspace: EmulatedWorkspace,
    other_database: tuple[str, str],
    http: httpx.Client,
) -> None:
    url = _authorize_url(
        emulator,
        emulator_consent="allow",
        emulator_share=workspace.database_id,
        emulator_user="ada@uni.example",
    )
    answer = _redirected(http.get(url))
    assert answer["state"] == "n-42"
    token = _exchange(emulator, answer["code"])

    assert token["access_token"].startswith("ntn_")
    assert token["token_type"] == "bearer"
    assert token["refresh_token"]
    assert token["workspace_id"] == emulator.settings.workspace_id
    assert token["workspace_name"] == emulator.settings.workspace_name
    assert token["duplicated_template_id"] is None
    assert token["owner"]["type"] == "user"
    assert token["owner"]["user"]["person"]["email"] == "ada@uni.example"
    assert token["bot_id"]

    with _client(emulator, token["access_token"]) as client:
        shared = as_dict(client.databases.retrieve(workspace.database_id))
        assert shared["id"] == workspace.database_id
        rows = as_dict(client.data_sources.query(workspace.data_source_id))
        assert rows["results"] == []
        for object_id, call in (
            (other_database[0], client.databases.retrieve),
            (other_database[1], client.data_sources.retrieve),
        ):
            with pytest.raises(APIResponseError) as hidden:
                call(object_id)
            assert hidden.value.code == "object_not_found"
    # The internal token made by the fixture still sees everything shared with the integration.
    with _client(emulator, workspace.token) as internal:
        assert as_dict(internal.databases.retrieve(other_database[0]))["id"] == other_database[0]


def test_consent_page_lets_the_user_pick_databases(
    emulator: NotionEmulator,
    workspace: EmulatedWorkspace,
    other_database: tuple[str, str],
    http: httpx.Client,
) -> None:
    page = http.get(_authorize_url(emulator))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f'value="{other_database[0]}"' in page.text
    assert "Journal" in page.text
    assert 'name="decision" value="allow">Allow access</button>' in page.text
    request_id = re.search(r'name="request" value="([^"]+)"', page.text)
    assert request_id is not None

    chosen = http.post(
        emulator.base_url + "/v1/oauth/consent",
        data={
            "request": request_id.group(1),
            "email": "bo@uni.example",
            "name": "Bo",
            "database": other_database[0],
            "decision": "allow",
        },
    )
    token = _exchange(emulator, _redirected(chosen)["code"])
    assert token["owner"]["user"]["name"] == "Bo"
    with _client(emulator, token["access_token"]) as client:
        assert as_dict(client.databases.retrieve(other_database[0]))["id"] == other_database[0]
        with pytest.raises(APIResponseError):
            client.databases.retrieve(workspace.database_id)
    grants = emulator.admin.oauth_grants()
    assert [g["shared"] for g in grants] == [[other_database[0]]]


def test_the_user_cancels(emulator: NotionEmulator, http: httpx.Client) -> None:
    page = http.get(_authorize_url(emulator))
    request_id = re.search(r'name="request" value="([^"]+)"', page.text)
    assert request_id is not None
    cancelled = http.post(
        emulator.base_url + "/v1/oauth/consent",
        data={"request": request_id.group(1), "email": "x@uni.example", "decision": "deny"},
    )
    assert _redirected(cancelled) == {"error": "access_denied", "state": "n-42"}
    flagged = http.get(_authorize_url(emulator, emulator_consent="deny"))
    assert _redirected(flagged) == {"error": "access_denied", "state": "n-42"}


def test_token_endpoint_checks_client_code_and_redirect_uri(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, http: httpx.Client
) -> None:
    def code() -> str:
        return _redirected(http.get(_authorize_url(emulator, emulator_consent="allow")))["code"]

    first = code()
    _exchange(emulator, first)
    with pytest.raises(HTTPResponseError) as reused:
        _exchange(emulator, first)
    assert reused.value.status == 400
    assert '"invalid_grant"' in reused.value.body

    with pytest.raises(HTTPResponseError) as moved:
        _exchange(emulator, code(), redirect_uri=REDIRECT + "/elsewhere")
    assert moved.value.status == 400

    body = {"grant_type": "authorization_code", "code": code(), "redirect_uri": REDIRECT}
    headers = {"Notion-Version": "2025-09-03"}
    wrong = http.post(
        emulator.token_url,
        json=body,
        headers=headers,
        auth=(emulator.settings.oauth_client_id, "not-the-secret"),
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    unversioned = http.post(
        emulator.token_url,
        json=body,
        auth=(emulator.settings.oauth_client_id, emulator.settings.oauth_client_secret),
    )
    assert unversioned.status_code == 400
    # The failed attempts did not use the code up: client authentication comes first.
    ok = http.post(
        emulator.token_url,
        json=body,
        headers=headers,
        auth=(emulator.settings.oauth_client_id, emulator.settings.oauth_client_secret),
    )
    assert ok.status_code == 200


def test_refresh_rotates_both_tokens_and_revoke_ends_access(
    emulator: NotionEmulator, workspace: EmulatedWorkspace, http: httpx.Client
) -> None:
    code = _redirected(http.get(_authorize_url(emulator, emulator_consent="allow")))["code"]
    first = _exchange(emulator, code)
    secret = emulator.settings.oauth_client_secret
    client_id = emulator.settings.oauth_client_id
    with _client(emulator) as oauth:
        second = as_dict(
            oauth.oauth.token(
                client_id=client_id,
                client_secret=secret,
                grant_type="refresh_token",
                refresh_token=first["refresh_token"],
            )
        )
        assert second["access_token"] != first["access_token"]
        assert second["refresh_token"] != first["refresh_token"]
        assert second["bot_id"] == first["bot_id"]
        with pytest.raises(HTTPResponseError):
            oauth.oauth.token(
                client_id=client_id,
                client_secret=secret,
                grant_type="refresh_token",
                refresh_token=first["refresh_token"],
            )
        with _client(emulator, first["access_token"]) as old, pytest.raises(APIResponseError):
            old.databases.retrieve(workspace.database_id)
        with _client(emulator, second["access_token"]) as new:
            retrieved = as_dict(new.databases.retrieve(workspace.database_id))
            assert retrieved["id"] == workspace.database_id

        active = as_dict(
            oauth.oauth.introspect(
                client_id=client_id, client_secret=secret, token=second["access_token"]
            )
        )
        assert active["active"] is True
        revoked = as_dict(
            oauth.oauth.revoke(
                client_id=client_id, client_secret=secret, token=second["access_token"]
            )
        )
        assert set(revoked) == {"request_id"}
        gone = as_dict(
            oauth.oauth.introspect(
                client_id=client_id, client_secret=secret, token=second["access_token"]
            )
        )
        assert gone["active"] is False
    with _client(emulator, second["access_token"]) as dead, pytest.raises(APIResponseError) as e:
        dead.databases.retrieve(workspace.database_id)
    assert e.value.code == "unauthorized"


def test_duplicated_template_becomes_a_shared_database(
    emulator: NotionEmulator, http: httpx.Client
) -> None:
    emulator.admin.set_oauth_template(FULL_SCHEMA, title="Study plan (template)")
    url = _authorize_url(
        emulator, emulator_consent="allow", emulator_share="none", emulator_template="1"
    )
    token = _exchange(emulator, _redirected(http.get(url))["code"])
    template_id = token["duplicated_template_id"]
    assert template_id
    with _client(emulator, token["access_token"]) as client:
        database = as_dict(client.databases.retrieve(template_id))
        data_source = as_dict(client.data_sources.retrieve(database["data_sources"][0]["id"]))
    assert set(data_source["properties"]) == set(FULL_SCHEMA)


def test_authorize_refuses_bad_requests_without_redirecting(
    emulator: NotionEmulator, http: httpx.Client
) -> None:
    for params in (
        {"client_id": "someone-else"},
        {"redirect_uri": "https://evil.example/cb"},
        {"owner": "workspace"},
        {"response_type": "token"},
    ):
        refused = http.get(_authorize_url(emulator, **params))
        assert refused.status_code == 400, params
        assert "location" not in refused.headers
    emulator.admin.update_settings(oauth_redirect_uris=["https://planner.example/cb"])
    assert http.get(_authorize_url(emulator)).status_code == 400  # exact match once registered
    # With one registered URI the authorize request may leave redirect_uri out.
    without = {
        "client_id": emulator.settings.oauth_client_id,
        "response_type": "code",
        "owner": "user",
        "emulator_consent": "allow",
    }
    only = http.get(emulator.authorize_url + "?" + urlencode(without))
    assert only.status_code == 302
    assert only.headers["location"].startswith("https://planner.example/cb?code=")
