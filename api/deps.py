"""The dependencies every route is built from. A new route needs nothing else:

    @router.get("/users/{user_id}/things")
    def list_things(user: OwnedUser, session: DbSession, page: Pagination, request: Request): ...

    @router.patch("/things/{thing_id}")
    def patch_thing(thing_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession):
        thing = owned(session, principal, Thing, thing_id, what="thing")

- `Ctx` — the app's `ApiContext` (settings, engine, verifier, limiter);
- `AppSettings` — the `Settings` the app was built with;
- `DbSession` — one unit of work per request: committed when the route returns, before the
  response is sent; rolled back on any error (so a 404/409/422 raised midway writes nothing);
- `CurrentPrincipal` — the verified bearer token (401 otherwise), rate-limited (429);
- `AdminPrincipal` — an admin principal (404 for anyone else: the route "does not exist");
- `OwnedUser` — the `{user_id}` of the path, if the principal is that user or an admin, else 404;
- `owned(...)` — the same rule for any row that belongs to a user (tasks, courses, ...).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Principal, TokenVerifier, unauthorized
from api.errors import ApiError, not_found
from api.ratelimit import RateLimiter
from db.models import User
from services.settings import Settings

M = TypeVar("M")


@dataclass
class ApiContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    verifier: TokenVerifier
    limiter: RateLimiter
    # The same pool in autocommit mode, for `read_only` routes (api.connections).
    read_sessions: sessionmaker[Session] | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # per-app caches (health, ...)


# Dependencies that do no I/O are `async def`: FastAPI would run a plain `def` in a worker
# thread, one thread hop per dependency per request.
async def api_context(request: Request) -> ApiContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, ApiContext)
    return ctx


Ctx = Annotated[ApiContext, Depends(api_context)]


async def app_settings(ctx: Ctx) -> Settings:
    return ctx.settings


AppSettings = Annotated[Settings, Depends(app_settings)]


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


F = TypeVar("F", bound=Callable[..., Any])
_READ_ONLY = "__studyplanner_read_only__"


def read_only(route: F) -> F:
    """Marks a route that only reads: its session runs each SELECT in autocommit mode (no BEGIN
    or COMMIT round trips). A write in such a route would not be one unit of work, so only
    routes that never write (nor call a service that does) get the mark."""
    setattr(route, _READ_ONLY, True)
    return route


async def db_session(ctx: Ctx, request: Request) -> AsyncIterator[Session]:
    # async: making a session does no I/O (it connects on first use, in a route's thread), so
    # only the end of the unit of work takes a thread hop — one, not one each way.
    route = request.scope.get("route")
    reads_only = getattr(getattr(route, "endpoint", None), _READ_ONLY, False)
    session = (ctx.read_sessions if reads_only and ctx.read_sessions else ctx.sessions)()
    try:
        yield session
    except BaseException:
        await _end(_roll_back_and_close, session, in_thread=not reads_only)
        raise
    await _end(_commit_and_close, session, in_thread=not reads_only)


async def _end(finish: Callable[[Session], None], session: Session, *, in_thread: bool) -> None:
    # An autocommit session has no transaction to end: its commit and the pool's reset are no-ops
    # that send nothing, so they need no thread.
    if in_thread:
        await run_in_threadpool(finish, session)
    else:
        finish(session)


# scope="function": the commit runs when the route function returns, before the response is
# sent — a client that got 200 can read what it wrote, and a failed commit is a 500, not a 200.
DbSession = Annotated[Session, Depends(db_session, scope="function")]

bearer = HTTPBearer(auto_error=False, description="A JWT: `Authorization: Bearer <token>`.")


def current_principal(
    ctx: Ctx,
    session: DbSession,
    response: Response,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise unauthorized("no bearer token")
    claims = ctx.verifier.verify(credentials.credentials)
    # Counted before the user is looked up: a flood of requests costs no database work.
    decision = ctx.limiter.hit(f"{ctx.settings.api_auth_mode}:{claims.subject}")
    if decision.limit:
        response.headers["RateLimit-Limit"] = str(decision.limit)
        response.headers["RateLimit-Remaining"] = str(decision.remaining)
    if not decision.allowed:
        raise ApiError(
            429,
            f"more than {decision.limit} requests in {ctx.settings.api_rate_window_s} s; "
            f"try again in {decision.retry_after_s} s",
            headers={"Retry-After": str(decision.retry_after_s)},
        )
    user = _find_user(session, ctx.settings, claims.user_ref)
    if user is None:
        if claims.is_admin:
            return Principal(subject=claims.subject, user_id=None, is_admin=True)
        raise unauthorized("the token names no user of this service")
    if not user.is_active:
        raise unauthorized("the user is not active")
    # The session's identity map holds rows weakly: keeping the user here lets `owned_user`
    # (and any route asking for the caller's own row) find it without a second query.
    session.info["principal_user"] = user
    return Principal(subject=claims.subject, user_id=user.id, is_admin=claims.is_admin)


def _find_user(session: Session, settings: Settings, ref: str) -> User | None:
    if settings.api_user_key == "email":
        return session.scalars(select(User).where(func.lower(User.email) == ref.lower())).first()
    try:
        return session.get(User, uuid.UUID(ref))
    except ValueError:
        return None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def admin_principal(principal: CurrentPrincipal) -> Principal:
    if not principal.is_admin:
        raise not_found()
    return principal


AdminPrincipal = Annotated[Principal, Depends(admin_principal)]


def owned(
    session: Session,
    principal: Principal,
    model: type[M],
    row_id: uuid.UUID,
    *,
    what: str,
    owner: Callable[[M], uuid.UUID] = lambda row: row.user_id,  # type: ignore[attr-defined]
) -> M:
    """The row `row_id` of `model` if the principal may see its owner; 404 otherwise — the same
    answer for a missing row and for another user's, so ids cannot be probed."""
    row = session.get(model, row_id)
    if row is None or not principal.may_access(owner(row)):
        raise not_found(what)
    return row


async def owned_user(
    user_id: Annotated[uuid.UUID, Path(description="The user's id.")],
    principal: CurrentPrincipal,
    session: DbSession,
) -> User:
    if not principal.may_access(user_id):
        raise not_found("user")
    # The caller's own row was loaded by `current_principal`: no query, so no thread hop.
    mine = session.info.get("principal_user")
    if isinstance(mine, User) and mine.id == user_id:
        return mine
    return await run_in_threadpool(
        owned, session, principal, User, user_id, what="user", owner=lambda u: u.id
    )


OwnedUser = Annotated[User, Depends(owned_user)]
