"""The FastAPI app factory. `create_api(settings)` builds one app with its own engine, token
verifier and rate limiter (nothing global, so tests run several apps side by side);
`app_from_env()` is what uvicorn calls in each worker process (`--factory`).

Layers, outermost first: request id + last-resort 500 (RequestContextMiddleware), body size
limit (BodyLimitMiddleware), Starlette's exception handling (api.errors), the /v1 routers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware import Middleware

from api.auth import TokenVerifier
from api.connections import api_engine, read_only_engine
from api.deps import ApiContext
from api.errors import install_error_handlers
from api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from api.pages import install_pages
from api.ratelimit import build_rate_limiter
from api.routes import ROUTERS
from db.session import session_factory
from services.settings import Settings

API_PREFIX = "/v1"

DESCRIPTION = """\
Everything the studyplanner CLI does for a student, over HTTP. Every route under `/v1` except
`/v1/health` needs `Authorization: Bearer <JWT>`; a student reaches only their own data (another
user's id answers 404). Errors always have the shape
`{"error": {"code", "message", "fields": [{"path", "reason"}], "request_id"}}`.
"""


def create_api(settings: Settings) -> FastAPI:
    verifier = TokenVerifier(settings)  # a bad auth configuration fails here, at start-up
    engine = api_engine(settings.effective_database_url)
    limiter = build_rate_limiter(
        settings.api_rate_limit, settings.api_rate_window_s, settings.effective_redis_url
    )
    ctx = ApiContext(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        read_sessions=session_factory(read_only_engine(engine)),
        verifier=verifier,
        limiter=limiter,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            limiter.close()
            for extra in ctx.extras.values():  # clients made on first use (Celery's, ...)
                close = getattr(extra, "close", None)
                if callable(close):
                    close()
            engine.dispose()

    app = FastAPI(
        title="studyplanner",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
        middleware=[
            Middleware(RequestContextMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=settings.api_max_body_bytes),
        ],
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    install_pages(app)
    return app


def app_from_env() -> FastAPI:
    """uvicorn's factory (`uvicorn --factory api.app:app_from_env`): settings from the
    environment, the process configured like every other entry point."""
    from services.bootstrap import configure_process
    from services.settings import ensure_broker_folders, get_settings

    settings = get_settings()
    configure_process(settings)
    ensure_broker_folders(settings)
    return create_api(settings)
