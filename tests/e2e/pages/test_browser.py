"""A real browser (headless Debian Chromium driven by Playwright) does what a student does: signs
in through a one-time link, connects Google Calendar and Notion on the emulators' consent pages,
presses "Sync now" (a real Celery worker runs the sync), and sees study blocks in the week view
and work in the at-risk list. Screenshots go to the test's tmp dir (and to
$STUDYPLANNER_ARTIFACTS when set)."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import celery.contrib.testing.tasks  # noqa: F401  (the ping task start_worker needs)
import pytest
from celery.contrib.testing.worker import start_worker
from pydantic import SecretStr
from sqlalchemy import select

from api.app import create_api
from db.models import Course, SyncRun, User
from db.session import make_engine, session_scope
from emulators.google import start_google_emulator
from emulators.notion import start_notion_emulator
from services.catalog import upsert_assessment
from services.onboarding.signin import create_invite
from services.schemas import AssessmentIn
from tasks.celery_app import create_app
from tests.conftest import require_chromium
from tests.e2e.api.server import serve
from tests.e2e.pages.conftest import stack_settings
from tests.integration.sync.conftest import seed

pytestmark = pytest.mark.slow
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


class Shots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []

    def take(self, page: object, name: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        self.taken.append(path)
        return path

    def publish(self) -> None:
        target = os.environ.get("STUDYPLANNER_ARTIFACTS")
        if target:
            out = Path(target) / "browser"
            out.mkdir(parents=True, exist_ok=True)
            for shot in self.taken:
                shutil.copy2(shot, out / shot.name)


@pytest.fixture
def shots(tmp_path: Path) -> Iterator[Shots]:
    taken = Shots(tmp_path / "screenshots")
    taken.folder.mkdir()
    try:
        yield taken
    finally:
        taken.publish()


def add_impossible_assessment(engine: object, user_id: uuid.UUID, now: datetime) -> None:
    """A project due tonight that needs far more time than is left: at risk, with a reason."""
    with session_scope(engine) as session:  # type: ignore[arg-type]
        course = session.scalars(select(Course).where(Course.user_id == user_id)).one()
        upsert_assessment(
            session,
            course,
            AssessmentIn(
                name="Term project",
                type="project",
                weight_percent=40,
                due_date=now + timedelta(hours=6),
                estimated_duration_min=900,
                topic_weights={"Series": 100},
            ),
        )


def test_a_student_connects_both_accounts_in_a_browser_and_sees_the_plan(
    tmp_path: Path, sqlite_url: str, key_ring: list[str], shots: Shots
) -> None:
    chromium = require_chromium()
    from playwright.sync_api import expect, sync_playwright

    google = start_google_emulator("127.0.0.1", 0)
    notion = start_notion_emulator("127.0.0.1", 0, rate_per_s=100.0, burst=20.0)
    settings = stack_settings(
        tmp_path / "var", sqlite_url, google, notion, fernet_keys=SecretStr(",".join(key_ring))
    )
    engine = make_engine(settings.effective_database_url)
    now = datetime.now(UTC)
    user_id = seed(engine, now)
    add_impossible_assessment(engine, user_id, now)
    # The student's own task database: a title and a Status select; the rest is added for us.
    statuses = [{"name": n} for n in ("To do", "In progress", "Done", "Skipped")]
    _, (source,) = notion.admin.create_database(
        title="Homework tracker",
        data_sources=("Homework tracker",),
        properties={"Name": {"title": {}}, "Status": {"select": {"options": statuses}}},
    )
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        link = create_invite(session, settings, user, now=now)
    app = create_app(settings)
    try:
        with (
            serve(create_api(settings)) as url,
            start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=30),
            sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{url}/signin/{link}")
            shots.take(page, "signin")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Your connections")).to_be_visible()

            page.get_by_role("link", name="Connect Google Calendar").click()
            page.wait_for_url(f"{google.base_url}/**")
            shots.take(page, "google-consent")
            page.get_by_label("Email").fill("maya@example.com")
            page.get_by_role("button", name="Allow").click()
            expect(page.get_by_role("heading", name="Which calendars")).to_be_visible()
            shots.take(page, "calendars")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_text("Your busy calendars are saved.")).to_be_visible()

            page.get_by_role("link", name="Connect Notion").click()
            page.wait_for_url(f"{notion.base_url}/**")
            page.get_by_label("Homework tracker").check()
            shots.take(page, "notion-consent")
            page.get_by_role("button", name="Allow access").click()
            expect(page.get_by_role("heading", name="Where should your tasks go")).to_be_visible()
            page.get_by_label("Homework tracker").check()
            shots.take(page, "notion-database")
            page.get_by_role("button", name="Use this").click()
            expect(page.get_by_text("Notion is connected")).to_be_visible()
            shots.take(page, "connected")

            page.get_by_role("button", name="Sync now").click()
            expect(page.get_by_text("A sync is on its way")).to_be_visible()
            wait_for_sync(engine, user_id)
            page.reload()
            expect(page.locator('[data-provider="notion"] .state.good')).to_be_visible()
            shots.take(page, "after-sync")

            page.get_by_role("link", name="Week").click()
            blocks = page.locator(".column > .study")
            expect(blocks.first).to_be_visible()
            assert blocks.count() > 0
            title = blocks.first.get_attribute("title") or ""
            assert " · " in title  # the full title and time on hover
            expect(page.get_by_role("heading", name="Study blocks this week")).to_be_visible()
            shots.take(page, "week")

            page.get_by_role("link", name="At risk").click()
            expect(page.get_by_text("Term project", exact=True)).to_be_visible()
            shots.take(page, "at-risk")

            page.get_by_role("link", name="Tasks").click()
            page.locator("ol.timeline li a").first.click()
            expect(page.get_by_role("heading", name="Event log")).to_be_visible()
            shots.take(page, "task-drawer")
            browser.close()
        notion_pages = notion.admin.pages(data_source_id=source)
    finally:
        engine.dispose()
        google.stop()
        notion.stop()
    assert notion_pages, "the sync wrote no Notion page"


def wait_for_sync(engine: object, user_id: uuid.UUID, timeout_s: float = 90) -> SyncRun:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with session_scope(engine) as session:  # type: ignore[arg-type]
            run = session.scalars(
                select(SyncRun).where(SyncRun.user_id == user_id, SyncRun.finished_at.is_not(None))
            ).first()
            if run is not None:
                session.expunge(run)
                return run
        time.sleep(0.3)
    raise AssertionError("no sync finished in time")
