"""What every page route shares: templates, the signed-in student (from the session cookie),
CSRF checks, cookies and the response headers of a page.

Pages are not the JSON API: they sit outside the OpenAPI document (`include_in_schema=False`),
answer HTML, send a browser without a session to the sign-in page and refuse a POST whose CSRF
token does not match its session (403).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import Ctx, DbSession
from db.models import User
from services.onboarding import signin

SESSION_COOKIE = "sp_session"
PRE_CSRF_COOKIE = "sp_csrf"  # before sign-in: a double-submit token for the sign-in form
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


def _local(value: datetime | str | None, tz: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """A stored instant on the student's wall clock."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(tz)).strftime(fmt)


TEMPLATES.env.filters["local"] = _local
PAGE_HEADERS = {
    # Inline style attributes place the week's blocks; no inline script is allowed.
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # A sign-in link or an OAuth code in the URL must not leak to another site as a Referer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class NeedsSignIn(Exception):
    """No live session: the handler sends the browser to the sign-in help page."""


class CsrfFailed(Exception):
    """A POST without this session's CSRF token."""


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Student:
    user: User
    session_id: uuid.UUID
    csrf: str


def student(request: Request, ctx: Ctx, session: DbSession) -> Student:
    token = request.cookies.get(SESSION_COOKIE)
    found = signin.find_session(session, ctx.settings, token, now=now())
    if found is None:
        raise NeedsSignIn()
    user = session.get(User, found.user_id)
    assert user is not None
    return Student(user=user, session_id=found.id, csrf=found.csrf)


SignedIn = Annotated[Student, Depends(student)]


async def check_csrf(request: Request, ctx: Ctx) -> None:
    """For POST routes: the form's `csrf` must be the session's token."""
    form = await request.form()
    submitted = form.get("csrf")
    token = request.cookies.get(SESSION_COOKIE) or ""
    if not isinstance(submitted, str) or not signin.csrf_ok(ctx.settings, token, submitted):
        raise CsrfFailed()


Csrf = Depends(check_csrf)


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def base_url(request: Request, configured: str | None) -> str:
    return (configured or str(request.base_url)).rstrip("/")


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers.update(PAGE_HEADERS)
    return response


def set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        secure=is_https(request),
        samesite="lax",
        path="/",
    )
