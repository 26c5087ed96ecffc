"""A student connects Notion through the emulator's consent page (public-integration OAuth,
HTTP Basic client auth), chooses the task database (its missing columns are added), and
disconnects (the token is revoked and forgotten); a denied consent or a replayed callback
stores nothing and leaks no token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.pages.conftest import Pages, csrf_of
from tests.e2e.pages.flows import (
    Trip,
    alert_of,
    answer_consent,
    assert_no_secret_leaked,
    consent_url,
    error_rows_text,
    integration_row,
    with_params,
)

STATUSES = [{"name": n} for n in ("To do", "In progress", "Done", "Skipped")]


def test_connect_notion_then_choose_the_database_and_disconnect(
    pages: Pages, captured_logs: pytest.LogCaptureFixture
) -> None:
    _, (source,) = pages.notion.admin.create_database(
        title="Coursework",
        data_sources=("Coursework",),
        properties={"Name": {"title": {}}, "Status": {"select": {"options": STATUSES}}},
    )
    student = pages.new_student()
    browser = pages.signed_in(student)
    trip = Trip()
    url = consent_url(browser, "notion", trip)
    assert url.startswith(pages.notion.base_url + "/v1/oauth/authorize?")
    assert "owner=user" in url and "response_type=code" in url
    page = answer_consent(browser, with_params(url, emulator_consent="allow"), trip)
    assert page.status_code == 200 and "Where should your tasks go in Notion?" in page.text
    row = integration_row(pages, student)
    assert row is not None and row.notion_access_token and not row.notion_enabled
    assert row.notion_bot_id and row.notion_workspace_id and row.notion_workspace_name
    chosen = browser.post(
        "/notion/database", data={"csrf": csrf_of(page.text), "choice": f"ds:{source}"}
    )
    assert chosen.status_code == 303
    row = integration_row(pages, student)
    assert row is not None and row.notion_enabled and row.notion_data_source == source
    schema = pages.notion.admin.state()["data_sources"]
    columns = next(ds for ds in schema if ds["id"] == source)["properties"]
    assert {"Scheduled", "Due", "Task ID", "Minutes"} <= set(columns)  # added for the student
    token = row.notion_access_token
    assert token is not None
    urls = " ".join(trip.urls)
    assert_no_secret_leaked({token}, captured_logs.text, urls, error_rows_text(pages))
    connections = browser.get("/connections")
    gone = browser.post("/v1/connect/notion/disconnect", data={"csrf": csrf_of(connections.text)})
    assert gone.status_code == 303
    row = integration_row(pages, student)
    assert row is not None and row.notion_access_token is None and not row.notion_enabled
    # The emulator's workspace holds every token it issued, revoked ones marked.
    server: Any = pages.notion._server
    assert server.runtime.workspace.tokens[token].revoked


def test_denied_or_replayed_notion_consent_stores_nothing(pages: Pages) -> None:
    student = pages.new_student()
    browser = pages.signed_in(student)
    trip = Trip()
    url = consent_url(browser, "notion", trip)
    page = answer_consent(browser, with_params(url, emulator_consent="deny"), trip)
    assert page.status_code == 400
    assert "chose not to give the planner access to Notion" in alert_of(page.text)
    row = integration_row(pages, student)
    assert row is None or not row.notion_access_token
    callback = next(u for u in trip.urls if "/v1/connect/notion/callback" in u)
    again = browser.get(callback)
    assert again.status_code == 400 and "already used" in alert_of(again.text)
    row = integration_row(pages, student)
    assert row is None or not row.notion_access_token
