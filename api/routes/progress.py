"""Where a student stands: study paths with progress, the current plan with its reasons and the
work at risk, the sync's status and errors, and "sync now".

`POST /v1/users/{user_id}/sync` enqueues the worker's own sync task (`tasks.sync.SYNC_TASK`,
trigger "api") through a Celery app built from the API's settings, and answers 202 with the
task id; the run then appears under `GET /v1/users/{user_id}/sync`.
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from celery import Celery
from fastapi import APIRouter, Query, Request, Response
from kombu.exceptions import OperationalError

from api.deps import ApiContext, Ctx, DbSession, OwnedUser, read_only
from api.errors import COMMON_RESPONSES, ApiError, ErrorBody
from api.owners import now_utc
from api.pagination import Page, Pagination, json_response, page_of
from api.task_resources import (
    PathOut,
    PlanOut,
    PlanTaskOut,
    RunOut,
    SyncErrorOut,
    SyncQueuedOut,
    SyncStatusOut,
)
from services import history, status
from tasks.celery_app import create_app
from tasks.sync import SYNC_TASK

router = APIRouter(tags=["progress"], responses=COMMON_RESPONSES)

_celery_lock = threading.Lock()
log = logging.getLogger("api")

# kombu's default retries a publish 3 times; one quick retry rides out a broker blip.
SEND_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
BROKER_RETRY_AFTER_S = 10


def celery_app(ctx: ApiContext) -> Celery:
    """The app's Celery client, made on first use (building it creates the embedded broker's
    folders, which an API that never enqueues has no need for)."""
    with _celery_lock:
        app = ctx.extras.get("celery")
        if not isinstance(app, Celery):
            app = ctx.extras["celery"] = create_app(ctx.settings)
        return app


@router.get(
    "/users/{user_id}/paths",
    response_model=Page[PathOut],
    summary="Each course's study path with its progress (recomputed now)",
)
def list_paths(
    user: OwnedUser,
    session: DbSession,
    page: Pagination,
    request: Request,
    course: Annotated[str | None, Query(max_length=64, description="One course code.")] = None,
) -> Page[PathOut]:
    rows = history.progress_report(session, user, course, now=now_utc())
    window = rows[page.offset : page.offset + page.limit + 1]
    return page_of([PathOut.model_validate(r) for r in window], page, request)


@router.get(
    "/users/{user_id}/plan",
    response_model=PlanOut,
    summary="The planned tasks in time order with the planner's reasons, and the work at risk",
)
@read_only
def get_plan(user: OwnedUser, session: DbSession, page: Pagination, request: Request) -> Response:
    plan = status.current_plan(session, user.id, limit=page.limit + 1, offset=page.offset)
    tasks = page_of([PlanTaskOut.model_validate(t) for t in plan.tasks], page, request)
    return json_response(
        PlanOut(
            **tasks.model_dump(exclude={"items"}),
            items=tasks.items,
            at_risk=plan.at_risk,
            last_sync_at=plan.last_sync_at,
        )
    )


@router.get(
    "/users/{user_id}/sync",
    response_model=SyncStatusOut,
    summary="The latest sync runs, the open sync errors and the integrations' health",
)
@read_only
def get_sync_status(
    user: OwnedUser, session: DbSession, page: Pagination, request: Request
) -> SyncStatusOut:
    found = status.sync_status(session, user.id, limit=page.offset + page.limit + 1)
    runs = found.runs[page.offset : page.offset + page.limit + 1]
    errors = found.errors[page.offset : page.offset + page.limit + 1]
    more = len(runs) > page.limit or len(errors) > page.limit
    attention = next((a for a in found.attention if a.user_id == user.id), None)
    next_offset = page.offset + page.limit if more else None
    return SyncStatusOut(
        runs=[RunOut.of(r) for r in runs[: page.limit]],
        errors=[SyncErrorOut.of(e) for e in errors[: page.limit]],
        google=attention.google if attention else "ok",
        notion=attention.notion if attention else "ok",
        limit=page.limit,
        offset=page.offset,
        next_offset=next_offset,
        next=str(request.url.include_query_params(limit=page.limit, offset=next_offset))
        if next_offset is not None
        else None,
    )


@router.post(
    "/users/{user_id}/sync",
    response_model=SyncQueuedOut,
    status_code=202,
    summary="Sync now: queue the student's sync for a worker",
    responses={503: {"model": ErrorBody, "description": "The task queue is unreachable"}},
)
def sync_now(user: OwnedUser, ctx: Ctx) -> SyncQueuedOut:
    try:
        # Ids only in the message (as every trigger sends): the worker reads the rest itself.
        # ignore_result: nobody reads it (the run shows up under GET …/sync); one retry, so a
        # broker that is down answers 503 in well under a second instead of hanging the client.
        result: Any = celery_app(ctx).send_task(
            SYNC_TASK,
            args=(str(user.id), "api"),
            ignore_result=True,
            retry_policy=SEND_RETRY_POLICY,
        )
    except (OperationalError, OSError) as exc:
        log.warning("sync now: the broker is unreachable (%s)", type(exc).__name__)
        raise ApiError(
            503,
            "the task queue is unreachable right now; the sync was not queued, try again later",
            code="broker_unavailable",
            headers={"Retry-After": str(BROKER_RETRY_AFTER_S)},
        ) from None
    return SyncQueuedOut(task_id=str(result.id), status_url=f"/v1/users/{user.id}/sync")
