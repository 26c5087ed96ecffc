"""Registered LMS feeds: add one, refresh one (fetch → parse → import, all-or-nothing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.enums import Provider
from db.models import AssessmentFeed, SyncError, User
from integrations.sources.feed_fetch import FeedFetchError, FeedPolicy, check_url, fetch_feed
from integrations.sources.ical_feed import FeedError, parse_feed
from planner.problems import InvalidInput
from services.ingest.all_or_nothing import ImportReport
from services.ingest.feed_import import import_feed
from services.settings import Settings


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    feed_id: uuid.UUID
    report: ImportReport | None
    error: str | None


def feed_policy(settings: Settings) -> FeedPolicy:
    """What feed URLs this deployment fetches (https/webcal and public addresses by default)."""
    return FeedPolicy.from_strings(
        settings.feed_allowed_networks,
        allow_http=settings.feed_allow_http,
        max_bytes=settings.feed_max_bytes,
        timeout_s=settings.feed_timeout_s,
        max_redirects=settings.feed_max_redirects,
    )


def add_feed(
    session: Session,
    user: User,
    *,
    label: str,
    url: str,
    default_course_id: uuid.UUID | None,
    policy: FeedPolicy | None = None,
) -> AssessmentFeed:
    """Refuses a URL we would never fetch (scheme, no host) before storing it; addresses are
    vetted at each fetch, since what a name resolves to can change."""
    try:
        check_url(url, policy or FeedPolicy())
    except FeedFetchError as exc:
        raise InvalidInput.single(str(exc), "url") from None
    feed = AssessmentFeed(
        user_id=user.id, label=label, url=url, default_course_id=default_course_id
    )
    session.add(feed)
    session.flush()
    return feed


def refresh_feed(
    session: Session,
    feed: AssessmentFeed,
    *,
    now: datetime,
    data: bytes | None = None,
    policy: FeedPolicy | None = None,
) -> FeedOutcome:
    """Fetch (unless `data` is given), parse and import. A failure is recorded on the feed and in
    sync_errors and changes no assessment."""
    user = session.get(User, feed.user_id)
    assert user is not None
    try:
        raw = data if data is not None else fetch_feed(feed.url, policy or FeedPolicy())
        parsed = parse_feed(
            raw,
            default_tz=ZoneInfo(user.timezone),
            window=(now - timedelta(days=1), now + timedelta(days=120)),
        )
        with session.begin_nested():
            report = import_feed(session, user, feed, parsed, now=now)
        return FeedOutcome(feed.id, report, None)
    except (FeedFetchError, FeedError, InvalidInput) as exc:
        message = str(exc)
        retryable = isinstance(exc, FeedFetchError) and exc.retryable
        feed.last_error = message
        session.add(
            SyncError(
                user_id=user.id,
                provider=Provider.FEED,
                operation="feed.refresh",
                object_id=str(feed.id),
                message=message,
                retryable=retryable,
            )
        )
        return FeedOutcome(feed.id, None, message)


def due_feeds(session: Session, *, now: datetime, every: timedelta) -> list[AssessmentFeed]:
    return list(
        session.scalars(
            select(AssessmentFeed).where(
                AssessmentFeed.is_enabled.is_(True),
                (AssessmentFeed.last_fetched_at.is_(None))
                | (AssessmentFeed.last_fetched_at < now - every),
            )
        )
    )
