"""The push receivers: Google's channel notifications and Notion's webhook events.

Public routes (no JWT): the providers prove themselves — Google by the secret channel token we
gave each channel, Notion by the HMAC signature of the raw body — and services.realtime checks
that before anything else. Each answers fast: it records a debounced sync request, commits, and
only then enqueues the debounced task (a 503 when the queue is down, so the provider retries).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Ctx
from api.routes.progress import celery_app
from services.realtime.receive import receive_google_notification, receive_notion_webhook
from tasks.realtime import CelerySyncScheduler

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("/google", summary="A Google Calendar push notification")
async def google_notification(request: Request, ctx: Ctx) -> JSONResponse:
    scheduler = CelerySyncScheduler(celery_app(ctx))
    outcome = await run_in_threadpool(
        receive_google_notification, ctx.engine, ctx.settings, dict(request.headers), scheduler
    )
    return JSONResponse(outcome.body(), status_code=outcome.status_code)


@router.post("/notion", summary="A Notion webhook event (or its verification request)")
async def notion_event(request: Request, ctx: Ctx) -> JSONResponse:
    # The signature covers the exact bytes: read them before anything parses the body.
    raw = await request.body()
    scheduler = CelerySyncScheduler(celery_app(ctx))
    outcome = await run_in_threadpool(
        receive_notion_webhook, ctx.engine, ctx.settings, raw, dict(request.headers), scheduler
    )
    return JSONResponse(outcome.body(), status_code=outcome.status_code)
