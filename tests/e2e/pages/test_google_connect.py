"""A student connects Google Calendar through the emulator's consent page (web-server flow with
PKCE), picks busy calendars, disconnects; every failure path stores nothing, says what to do,
and leaks no token into a log line, a URL or an error row."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from db.session import session_scope
from tests.e2e.pages.conftest import Pages, csrf_of
from tests.e2e.pages.flows import (
    Trip,
    alert_of,
    answer_consent,
    assert_no_secret_leaked,
    connect_google,
    consent_url,
    error_rows_text,
    google_secrets,
    integration_row,
    with_params,
)

CALENDAR = "https://www.googleapis.com/auth/calendar"
READONLY = "https://www.googleapis.com/auth/calendar.readonly"


def email() -> str:
    return f"g{uuid.uuid4().hex[:8]}@example.com"


def test_connect_google_stores_tokens_encrypted_and_offers_the_busy_calendars(
    pages: Pages, captured_logs: pytest.LogCaptureFixture
) -> None:
    student = pages.new_student()
    browser = pages.signed_in(student)
    trip = Trip()
    url = consent_url(browser, "google", trip)
    assert url.startswith(pages.google.auth_uri)
    for needed in ("access_type=offline", "prompt=consent", "include_granted_scopes=true"):
        assert needed in url
    assert "code_challenge_method=S256" in url and "code_challenge=" in url
    account = email()
    page = answer_consent(
        browser, with_params(url, emulator_user=account, emulator_consent="allow"), trip
    )
    assert page.status_code == 200, page.text
    assert "Which calendars show when you are busy?" in page.text
    assert "Holidays" in page.text  # the shared holiday calendar of a new emulator account
    row = integration_row(pages, student)
    assert row is not None and row.google_refresh_token and row.google_calendar_enabled
    assert CALENDAR in (row.google_granted_scopes or [])
    assert row.google_monitored_calendars  # the default: the calendars the student owns or shows
    with session_scope(pages.engine) as session:
        raw = session.execute(
            text("SELECT google_refresh_token FROM integration_settings WHERE user_id = :u"),
            {
                "u": student.hex
                if pages.settings.effective_database_url.startswith("sqlite")
                else student
            },
        ).scalar_one()
    assert row.google_refresh_token.encode() not in bytes(raw)
    secrets = google_secrets(pages)
    assert_no_secret_leaked(
        secrets, captured_logs.text, " ".join(trip.urls), error_rows_text(pages)
    )
    # The choice: only the primary calendar, saved through the form (CSRF token of the session).
    answer = browser.post("/calendars", data={"csrf": csrf_of(page.text), "calendar": [account]})
    assert answer.status_code == 303
    assert integration_row(pages, student).google_monitored_calendars == [account]  # type: ignore[union-attr]
    refused = browser.post(
        "/calendars", data={"csrf": csrf_of(page.text), "calendar": ["someone.else@example.com"]}
    )
    assert refused.status_code == 400 and "not one of yours" in alert_of(refused.text)


def test_denied_consent_stores_nothing_and_says_so(
    pages: Pages, captured_logs: pytest.LogCaptureFixture
) -> None:
    student = pages.new_student()
    browser = pages.signed_in(student)
    trip = connect_google(browser, email(), emulator_consent="deny")
    assert trip.page.status_code == 400
    assert "chose not to give the planner access to Google Calendar" in alert_of(trip.page.text)
    row = integration_row(pages, student)
    assert row is None or not row.google_refresh_token


def test_narrower_scopes_than_asked_store_nothing(
    pages: Pages, captured_logs: pytest.LogCaptureFixture
) -> None:
    student = pages.new_student()
    browser = pages.signed_in(student)
    trip = connect_google(browser, email(), emulator_scopes=READONLY)
    assert trip.page.status_code == 400
    message = alert_of(trip.page.text)
    assert "was not given" in message and "Nothing was stored" in message
    row = integration_row(pages, student)
    assert row is None or not row.google_refresh_token
    assert_no_secret_leaked(
        google_secrets(pages), captured_logs.text, " ".join(trip.urls), error_rows_text(pages)
    )


def test_a_replayed_callback_and_a_missing_refresh_token_change_nothing(
    pages: Pages, captured_logs: pytest.LogCaptureFixture
) -> None:
    student = pages.new_student()
    browser = pages.signed_in(student)
    account = email()
    first = connect_google(browser, account)
    assert first.page.status_code == 200
    before = integration_row(pages, student)
    assert before is not None and before.google_refresh_token
    callback = next(u for u in first.urls if "/v1/connect/google/callback" in u)
    replay = browser.get(callback)
    assert replay.status_code == 400 and "already used" in alert_of(replay.text)
    # Google sends no refresh token when it was not asked to show the consent screen again
    # for an account that had consented already: the planner says so and keeps the old grant.
    trip = Trip()
    url = consent_url(browser, "google", trip)
    page = answer_consent(
        browser,
        with_params(url, drop=("prompt",), emulator_user=account, emulator_consent="allow"),
        trip,
    )
    assert page.status_code == 400 and "no refresh token" in alert_of(page.text)
    after = integration_row(pages, student)
    assert after is not None
    assert after.google_refresh_token == before.google_refresh_token
    assert after.google_access_token == before.google_access_token
    assert_no_secret_leaked(
        google_secrets(pages),
        captured_logs.text,
        " ".join(first.urls + trip.urls),
        error_rows_text(pages),
    )


def test_a_state_from_another_students_flow_is_refused(pages: Pages) -> None:
    owner, intruder = pages.new_student(), pages.new_student()
    owner_browser, intruder_browser = pages.signed_in(owner), pages.signed_in(intruder)
    trip = Trip()
    url = consent_url(owner_browser, "google", trip)
    page = answer_consent(
        intruder_browser, with_params(url, emulator_user=email(), emulator_consent="allow"), trip
    )
    assert page.status_code == 400
    assert "started by another account" in alert_of(page.text)
    for student in (owner, intruder):
        row = integration_row(pages, student)
        assert row is None or not row.google_refresh_token


def test_disconnect_forgets_and_revokes_the_grant(pages: Pages) -> None:
    student = pages.new_student()
    browser = pages.signed_in(student)
    account = email()
    connect_google(browser, account)
    refresh = integration_row(pages, student).google_refresh_token  # type: ignore[union-attr]
    connections = browser.get("/connections")
    no_csrf = browser.post("/v1/connect/google/disconnect", data={})
    assert no_csrf.status_code == 403
    assert integration_row(pages, student).google_refresh_token == refresh  # type: ignore[union-attr]
    answer = browser.post("/v1/connect/google/disconnect", data={"csrf": csrf_of(connections.text)})
    assert answer.status_code == 303
    row = integration_row(pages, student)
    assert row is not None and row.google_refresh_token is None and not row.google_calendar_enabled
    grants = [g for g in pages.google.admin.state()["grants"] if g["refresh_token"] == refresh]
    assert grants and all(g["revoked"] for g in grants)
