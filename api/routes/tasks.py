"""Seed 003's task endpoints and the history around them:

- `POST /v1/study-paths/{path_id}/tasks` — a batch of issued tasks (services.study_tasks):
  201 when any task is new, 200 when the whole batch existed already;
- `PATCH /v1/study-tasks/{task_id}` — status and evaluation through the lifecycle (an illegal
  change is a 409 naming both states, and writes nothing);
- `GET /v1/users/{user_id}/tasks` — the history with filters (services.history.task_history),
  `…/tasks/summary`, `…/tasks/export?format=csv|json`;
- `GET /v1/study-tasks/{task_id}/events` — one task's timeline.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from api.deps import CurrentPrincipal, DbSession, OwnedUser, owned, read_only
from api.errors import COMMON_RESPONSES, ErrorBody
from api.owners import DateOrTime, in_request, local_instant, now_utc
from api.pagination import Page, Pagination, json_response, page_of
from api.task_resources import (
    BatchOut,
    EventOut,
    IssuedOut,
    ReviewOut,
    SummaryOut,
    TaskBatchIn,
    TaskOut,
    task_items,
)
from db.models import Course, StudyPath, StudyTask, User
from planner.problems import InvalidInput
from planner.vocabulary import Difficulty, TaskStatus
from services import history, study_tasks
from services.csv_export import as_csv
from services.study_tasks import TaskChangeIn

router = APIRouter(tags=["tasks"], responses=COMMON_RESPONSES)


def _course_codes(session: DbSession, user_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = session.execute(select(Course.id, Course.code).where(Course.user_id == user_id))
    return {course_id: code for course_id, code in rows}


def _owner(session: DbSession, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    assert user is not None  # a row's owner: the foreign key guarantees it
    return user


@router.post(
    "/study-paths/{path_id}/tasks",
    response_model=BatchOut,
    status_code=201,
    summary="Issue a batch of tasks for a study path (idempotent by external_id)",
    responses={200: {"model": BatchOut, "description": "Every task of the batch existed"}},
)
def issue_tasks(
    path_id: uuid.UUID,
    body: TaskBatchIn,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> BatchOut:
    path = owned(session, principal, StudyPath, path_id, what="study path")
    user = _owner(session, path.user_id)
    try:
        issued = study_tasks.issue_tasks(session, user, path.id, body.tasks, now=now_utc())
    except InvalidInput as exc:
        raise in_request(exc) from None
    created = sum(1 for i in issued if i.created)
    if created == 0:
        response.status_code = 200
    codes = _course_codes(session, user.id)
    return BatchOut(
        created=created,
        existing=len(issued) - created,
        tasks=[
            IssuedOut(created=i.created, task=TaskOut.of(i.task, codes.get(i.task.course_id, "")))
            for i in issued
        ],
    )


@router.patch(
    "/study-tasks/{task_id}",
    response_model=TaskOut,
    summary="Change a task's status and/or store its evaluation",
    responses={409: {"model": ErrorBody, "description": "The lifecycle forbids the change"}},
)
def change_task(
    task_id: uuid.UUID, body: TaskChangeIn, principal: CurrentPrincipal, session: DbSession
) -> TaskOut:
    task = owned(session, principal, StudyTask, task_id, what="task")
    user = _owner(session, task.user_id)
    changed = study_tasks.change_task(session, user, task.id, body, now=now_utc())
    session.flush()
    return TaskOut.of(changed, _course_codes(session, user.id).get(changed.course_id, ""))


@dataclass(frozen=True)
class TaskQuery:
    """The filters of the list and the export, before the student's zone is applied."""

    status: TaskStatus | None
    course: str | None
    topic: str | None
    difficulty: Difficulty | None
    since: DateOrTime | None
    until: DateOrTime | None

    def for_user(self, user: User, *, limit: int, offset: int) -> history.TaskFilter:
        return history.TaskFilter(
            since=local_instant(self.since, user.timezone) if self.since else None,
            until=local_instant(self.until, user.timezone, end_of_day=True) if self.until else None,
            course_code=self.course,
            topic_name=self.topic,
            difficulty=self.difficulty,
            status=self.status,
            limit=limit,
            offset=offset,
        )


async def task_query(
    status: Annotated[TaskStatus | None, Query(description="Only this status.")] = None,
    course: Annotated[
        str | None, Query(max_length=64, description="A course code (seed 003's module).")
    ] = None,
    topic: Annotated[str | None, Query(max_length=200, description="A topic name.")] = None,
    difficulty: Annotated[Difficulty | None, Query()] = None,
    since: Annotated[
        DateOrTime | None,
        Query(description="Scheduled at or after (a date: that day's start, student's zone)."),
    ] = None,
    until: Annotated[
        DateOrTime | None,
        Query(description="Scheduled before (a date: up to the end of that day)."),
    ] = None,
) -> TaskQuery:
    return TaskQuery(status, course, topic, difficulty, since, until)


Filters = Annotated[TaskQuery, Depends(task_query)]


@router.get(
    "/users/{user_id}/tasks",
    response_model=Page[TaskOut],
    summary="A student's tasks, newest first, with filters",
)
@read_only
def list_tasks(
    user: OwnedUser, session: DbSession, page: Pagination, request: Request, filters: Filters
) -> Response:
    flt = filters.for_user(user, limit=page.limit + 1, offset=page.offset)
    rows = history.task_list_rows(session, user.id, flt)
    return json_response(page_of(task_items(rows), page, request))


@router.get(
    "/users/{user_id}/tasks/summary",
    response_model=SummaryOut,
    summary="Counts per status, accuracy by topic, upcoming reviews",
)
@read_only
def task_summary(user: OwnedUser, session: DbSession) -> SummaryOut:
    today = now_utc().astimezone(ZoneInfo(user.timezone)).date()
    summary = history.summarize(session, user, today=today)
    return SummaryOut(
        counts_by_status=summary.counts_by_status,
        accuracy_by_topic=summary.accuracy_by_topic,
        upcoming_reviews=[
            ReviewOut(topic=topic, date=day, overdue=day < today)
            for topic, day in summary.upcoming_reviews
        ],
    )


EXPORT_DEFAULT = 1000
EXPORT_MAX = 5000
# The header of an empty export (services.history.as_rows's keys).
EXPORT_COLUMNS = [
    "id", "title", "course", "type", "difficulty", "status", "scheduled_start",
    "scheduled_end", "minutes", "priority", "score",
]  # fmt: skip


@router.get(
    "/users/{user_id}/tasks/export",
    summary="The filtered history as a CSV or JSON file",
    responses={
        200: {
            "content": {"text/csv": {}, "application/json": {}},
            "description": 'The rows; a `Link: <…>; rel="next"` header when more remain.',
        }
    },
)
@read_only
def export_tasks(
    user: OwnedUser,
    session: DbSession,
    request: Request,
    filters: Filters,
    format: Annotated[Literal["csv", "json"], Query(description="File format.")] = "csv",
    limit: Annotated[int, Query(ge=1, le=EXPORT_MAX)] = EXPORT_DEFAULT,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    flt = filters.for_user(user, limit=limit + 1, offset=offset)
    tasks = history.task_history(session, user, flt)
    rows = history.as_rows(tasks[:limit], _course_codes(session, user.id))
    headers = {"Content-Disposition": f'attachment; filename="tasks.{format}"'}
    if len(tasks) > limit:
        next_url = request.url.include_query_params(limit=limit, offset=offset + limit)
        headers["Link"] = f'<{next_url}>; rel="next"'
    if format == "json":
        body = json.dumps(rows, ensure_ascii=False)
        return Response(body, media_type="application/json", headers=headers)
    body = as_csv(rows, EXPORT_COLUMNS)
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get(
    "/study-tasks/{task_id}/events",
    response_model=Page[EventOut],
    summary="One task's event timeline, oldest first",
)
@read_only
def task_events(
    task_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    page: Pagination,
    request: Request,
) -> Page[EventOut]:
    task = owned(session, principal, StudyTask, task_id, what="task")
    events = history.task_timeline(session, _owner(session, task.user_id), task.id)
    window = events[page.offset : page.offset + page.limit + 1]
    return page_of([EventOut.of(e) for e in window], page, request)
