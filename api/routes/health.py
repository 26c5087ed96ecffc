"""`GET /v1/health`: the checks of `studyplanner health`, for load balancers and monitors.

200 when the database is reachable and migrated, the broker is reachable and this process's
Fernet keys read the stored secrets; 503 otherwise.
Workers and integrations are reported but never fail the check (a sync backlog or one student's
revoked grant is no reason to take the API out of rotation). Public, so the details carry no
secret (URLs are shown without passwords) and no student's name. The result is reused for
`STUDYPLANNER_API_HEALTH_CACHE_S` so a busy monitor cannot load the database and broker.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ApiContext, Ctx
from api.schemas import CheckOut, HealthOut
from services.health import (
    check_broker,
    check_database,
    check_integrations,
    check_secrets,
    check_workers,
)

router = APIRouter(tags=["health"])


class HealthCache:
    def __init__(self, ttl_s: float) -> None:
        self._ttl = ttl_s
        self._lock = threading.Lock()
        self._value: HealthOut | None = None
        self._at = 0.0

    def get(self, ctx: ApiContext) -> HealthOut:
        # One thread recomputes while the others wait for its answer instead of piling on.
        with self._lock:
            if self._value is None or time.monotonic() - self._at >= self._ttl:
                self._value = _run_checks(ctx)
                self._at = time.monotonic()
            return self._value


def _run_checks(ctx: ApiContext) -> HealthOut:
    checks = [
        check_database(ctx.engine),
        check_broker(ctx.settings),
        check_workers(ctx.engine, ctx.settings, datetime.now(UTC)),
        check_integrations(ctx.engine),
        check_secrets(ctx.engine),
    ]
    return HealthOut(
        ok=all(c.ok for c in checks),
        checks=[CheckOut(name=c.name, ok=c.ok, detail=c.detail) for c in checks],
    )


@router.get(
    "/health",
    response_model=HealthOut,
    summary="Database, broker, workers and integrations",
    responses={503: {"model": HealthOut, "description": "A required service is down"}},
)
def health(ctx: Ctx) -> JSONResponse:
    cache = ctx.extras.get("health")
    if not isinstance(cache, HealthCache):
        cache = ctx.extras["health"] = HealthCache(ctx.settings.api_health_cache_s)
    report = cache.get(ctx)
    return JSONResponse(report.model_dump(), status_code=200 if report.ok else 503)
