"""The routers under /v1, in one list, and the routes that need no token.

A new resource is a module here with `router = APIRouter(...)`, added to `ROUTERS`. Every route
of it must then appear in tests/e2e/api/test_ownership.py's table (the test fails otherwise):
called without a token it must answer 401, with another student's token on this student's ids
404, and write nothing either way.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import catalog, health, imports, progress, tasks, users, webhooks

ROUTERS: list[APIRouter] = [
    health.router,
    users.router,
    catalog.router,
    imports.router,
    tasks.router,
    progress.router,
    webhooks.router,
]

# (method, path) pairs answered without a token. Keep this short: each one is public.
# The webhook receivers authenticate the provider instead (channel token, HMAC signature).
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/v1/health"),
        ("POST", "/v1/webhooks/google"),
        ("POST", "/v1/webhooks/notion"),
    }
)
