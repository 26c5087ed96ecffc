"""Imports (seed 004's "Programmatic Import", served under /v1 with the seed's names):

- `POST /v1/import/csv?kind=courses|topics|assessments|grades` — a multipart upload (`file`),
  imported by the CLI's own importers (services.ingest.imports): all or nothing, every problem
  reported at once with its line (the header is line 1) and column;
- `POST /v1/import/lms` — register an LMS calendar feed and import it now
  (services.ingest.feeds, as `studyplanner feed add`); `POST /v1/import/lms/{feed_id}/refresh`
  imports a registered feed again;
- `POST /v1/import/grades` — grade history as JSON. Each result is written as the cells of a
  grades.csv row and goes through the CSV path's own row rules and importer, so both inputs
  obey one set of rules.

A failed import answers 422 and writes nothing (the request's unit of work is rolled back).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Query, UploadFile

from api.deps import AppSettings, CurrentPrincipal, DbSession, owned
from api.errors import COMMON_RESPONSES, ApiError, FieldError
from api.owners import acting_user, now_utc, owned_course
from api.resources import FeedCreate, FeedOut, GradesImport, ImportOut, grade_cells
from db.models import AssessmentFeed
from integrations.sources.feed_fetch import FeedPolicy
from planner.problems import InvalidInput, Problem
from services.ingest import csv_grades, csv_rows, feeds, imports
from services.ingest.all_or_nothing import ImportReport
from services.schemas import TopicResult

router = APIRouter(tags=["imports"], responses=COMMON_RESPONSES)

Kind = Literal["courses", "topics", "assessments", "grades"]
IMPORTERS = {
    "courses": imports.import_courses,
    "topics": imports.import_topics,
    "assessments": imports.import_assessments,
}
SOURCE_MAX = 100


@router.post(
    "/import/csv",
    response_model=ImportOut,
    summary="Import a CSV file of courses, topics, assessments or grades (all or nothing)",
    responses={413: {"description": "The upload is larger than the body limit"}},
)
def import_csv(
    kind: Annotated[Kind, Query(description="What the file holds (formats in the README).")],
    file: Annotated[UploadFile, File(description="The CSV file, UTF-8.")],
    principal: CurrentPrincipal,
    session: DbSession,
    user_id: Annotated[uuid.UUID | None, Query(description="Default: the caller.")] = None,
) -> ImportOut:
    user = acting_user(session, principal, user_id, where="query.user_id")
    # The body limit has already bounded the upload; the importer bounds rows and bytes again.
    data = file.file.read()
    source = (file.filename or f"{kind}.csv")[-SOURCE_MAX:]
    if kind == "grades":
        report = imports.import_grades(session, user, data, now=now_utc(), source=source)
    else:
        report = IMPORTERS[kind](session, user, data, source=source)
    return ImportOut.of(report)


def _feed_out(feed: AssessmentFeed, report: ImportReport) -> FeedOut:
    parts = urlsplit(feed.url)
    return FeedOut(
        id=feed.id,
        label=feed.label,
        host=f"{parts.scheme}://{parts.hostname or ''}",
        default_course_id=feed.default_course_id,
        last_fetched_at=feed.last_fetched_at,
        report=ImportOut.of(report),
    )


def _refreshed(session: DbSession, feed: AssessmentFeed, policy: FeedPolicy) -> ImportReport:
    outcome = feeds.refresh_feed(session, feed, now=now_utc(), policy=policy)
    if outcome.error is not None or outcome.report is None:
        # As `feed add` does: a feed that cannot be imported is not kept, nor is its error.
        raise ApiError(
            422,
            "the feed could not be imported; nothing was changed",
            fields=[FieldError(path="body.url", reason=outcome.error or "no report")],
        )
    return outcome.report


@router.post(
    "/import/lms",
    response_model=FeedOut,
    status_code=201,
    summary="Register an LMS calendar feed (Canvas, Moodle, Blackboard) and import it now",
)
def import_lms(
    body: FeedCreate, principal: CurrentPrincipal, session: DbSession, settings: AppSettings
) -> FeedOut:
    user = acting_user(session, principal, body.user_id, where="body.user_id")
    default = None
    if body.default_course_id is not None:
        course = owned_course(session, principal, body.default_course_id)
        if course.user_id != user.id:
            raise ApiError(404, "course not found")
        default = course.id
    policy = feeds.feed_policy(settings)
    feed = feeds.add_feed(
        session, user, label=body.label, url=body.url, default_course_id=default, policy=policy
    )
    return _feed_out(feed, _refreshed(session, feed, policy))


@router.post(
    "/import/lms/{feed_id}/refresh",
    response_model=FeedOut,
    summary="Fetch and import a registered feed now",
)
def refresh_lms(
    feed_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, settings: AppSettings
) -> FeedOut:
    feed = owned(session, principal, AssessmentFeed, feed_id, what="feed")
    return _feed_out(feed, _refreshed(session, feed, feeds.feed_policy(settings)))


def _json_problems(exc: InvalidInput) -> ApiError:
    """Problems of the JSON list: the row's `line` is its index in `grades`."""
    fields = [
        FieldError(
            path=".".join(
                part
                for part in ("body.grades", _index(p), p.field)
                if part is not None and part != ""
            ),
            reason=p.reason,
        )
        for p in exc.problems
    ]
    return ApiError(422, "the input is not valid; nothing was changed", fields=fields)


def _index(problem: Problem) -> str | None:
    return str(problem.line) if problem.line is not None else None


@router.post(
    "/import/grades",
    response_model=ImportOut,
    summary="Import grade history as JSON (all or nothing)",
)
def import_grades_json(
    body: GradesImport, principal: CurrentPrincipal, session: DbSession
) -> ImportOut:
    user = acting_user(session, principal, body.user_id, where="body.user_id")
    code = None
    if body.course_id is not None:
        course = owned_course(session, principal, body.course_id)
        if course.user_id != user.id:
            raise ApiError(404, "course not found")
        code = course.code
        clashes = [
            FieldError(path=f"body.grades.{i}.course_code", reason=f"not the code of {code}")
            for i, g in enumerate(body.grades)
            if g.course_code not in (None, code)
        ]
        if clashes:
            raise ApiError(422, "the request is not valid", fields=clashes)
    now = now_utc()
    cells = [csv_rows.Row(index, grade_cells(g, code)) for index, g in enumerate(body.grades)]
    try:
        parsed = csv_grades.grade_rows(cells, ZoneInfo(user.timezone), now, "grades")
        typed = [
            dataclasses.replace(row, topics=_topics(body.grades[row.line].topics))
            for row in parsed.rows
        ]
        report = imports.import_grade_rows(
            session, user, dataclasses.replace(parsed, rows=typed), now=now, source="grades"
        )
    except InvalidInput as exc:
        raise _json_problems(exc) from None
    return ImportOut.of(report)


def _topics(value: dict[str, TopicResult | None] | list[str]) -> dict[str, TopicResult | None]:
    if isinstance(value, list):
        return dict.fromkeys(value)
    return dict(value)
