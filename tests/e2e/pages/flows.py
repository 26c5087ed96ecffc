"""Driving the OAuth flows the way a browser does: follow our redirect to the emulator's consent
page, answer it with the emulator's test flags, follow its redirect back to our callback — every
URL seen on the way is kept, to check that no token ever appears in one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from sqlalchemy import select, text

from db.models import IntegrationSettings, SyncError
from db.session import session_scope
from tests.e2e.pages.conftest import Pages


@dataclass
class Trip:
    urls: list[str] = field(default_factory=list)
    final: httpx.Response | None = None

    @property
    def page(self) -> httpx.Response:
        assert self.final is not None
        return self.final


def with_params(url: str, drop: tuple[str, ...] = (), **add: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in drop] + list(add.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def consent_url(browser: httpx.Client, provider: str, trip: Trip) -> str:
    start = browser.get(f"/v1/connect/{provider}")
    trip.urls.append(str(start.request.url))
    assert start.status_code == 303, start.text
    return start.headers["location"]


def answer_consent(
    browser: httpx.Client, url: str, trip: Trip, *, follow_ours: bool = True
) -> httpx.Response:
    """GET the (flagged) consent URL on the emulator, then our callback with `browser`."""
    trip.urls.append(url)
    with httpx.Client(timeout=30, follow_redirects=False) as outside:
        consent = outside.get(url)
    assert consent.status_code in (302, 303), consent.text
    callback = consent.headers["location"]
    trip.urls.append(callback)
    answer = browser.get(callback)
    while follow_ours and answer.status_code == 303:
        location = answer.headers["location"]
        trip.urls.append(location)
        answer = browser.get(location)
    trip.final = answer
    return answer


def connect_google(browser: httpx.Client, email: str, **flags: str) -> Trip:
    trip = Trip()
    url = consent_url(browser, "google", trip)
    answers = {"emulator_user": email, "emulator_consent": "allow"} | flags
    answer_consent(browser, with_params(url, (), **answers), trip)
    return trip


def integration_row(pages: Pages, user_id: Any) -> IntegrationSettings | None:
    with session_scope(pages.engine) as session:
        row = session.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == user_id)
        ).first()
        if row is not None:
            session.expunge(row)
        return row


def google_secrets(pages: Pages) -> set[str]:
    """Every refresh and access token the Google emulator ever issued."""
    state = pages.google.admin.state()
    issued = {g["refresh_token"] for g in state["grants"]}
    # Access tokens are not part of the admin dump; the emulator's state object holds them.
    issued |= set(pages.google.admin._d.state.access_tokens)
    return {s for s in issued if s}


def error_rows_text(pages: Pages) -> str:
    with session_scope(pages.engine) as session:
        rows = session.scalars(select(SyncError)).all()
        dump = session.execute(text("SELECT * FROM oauth_states")).all()
        return " ".join(f"{r.message} {r.error_code} {r.object_id}" for r in rows) + str(dump)


def assert_no_secret_leaked(secrets: set[str], *places: str) -> None:
    for secret in secrets:
        for index, place in enumerate(places):
            at = place.find(secret)
            context = place[max(0, at - 160) : at].replace(secret, "<TOKEN>") if at >= 0 else ""
            assert at < 0, f"a token leaked into place #{index}, after: {context!r}"


ALERT = re.compile(r'role="alert"[^>]*>(.*?)</', re.S)


def alert_of(html: str) -> str:
    found = ALERT.search(html)
    assert found, "no alert on the page"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()
