"""Signing in: a one-time link (confirm page, then POST), a host app's JWT (POSTed as a form
field, never in a URL), signing out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import unauthorized
from api.deps import Ctx, DbSession, _find_user
from api.errors import ApiError
from api.pages.web import (
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    is_https,
    now,
    redirect,
    render,
    set_session_cookie,
)
from services.onboarding import signin
from services.onboarding.errors import SignInError
from services.onboarding.secrets import same

router = APIRouter(include_in_schema=False)


def _signin_failed(request: Request, message: str) -> HTMLResponse:
    return render(request, "signin_error.html", {"message": message}, status=400)


@router.get("/signin", response_class=HTMLResponse)
def signin_help(request: Request) -> HTMLResponse:
    return render(request, "signin_help.html", {})


@router.get("/signin/{token}", response_class=HTMLResponse)
def confirm_page(token: str, request: Request, session: DbSession) -> HTMLResponse:
    try:
        user = signin.peek_invite(session, token, now=now())
    except SignInError as exc:
        return _signin_failed(request, exc.message)
    pre_csrf = secrets.token_urlsafe(24)
    response = render(
        request, "signin_confirm.html", {"name": user.full_name, "token": token, "csrf": pre_csrf}
    )
    response.set_cookie(
        PRE_CSRF_COOKIE,
        pre_csrf,
        max_age=900,
        httponly=True,
        secure=is_https(request),
        samesite="strict",
        path="/signin",
    )
    return response


@router.post("/signin")
def redeem(
    request: Request,
    ctx: Ctx,
    session: DbSession,
    token: Annotated[str, Form()],
    csrf: Annotated[str, Form()],
) -> Response:
    expected = request.cookies.get(PRE_CSRF_COOKIE) or ""
    if not expected or not same(expected, csrf):
        return _signin_failed(request, "The sign-in form expired. Open your sign-in link again.")
    try:
        user_id = signin.redeem_invite(session, token, now=now())
    except SignInError as exc:
        return _signin_failed(request, exc.message)
    cookie = signin.start_session(session, ctx.settings, user_id, origin="invite", now=now())
    response = redirect("/connections")
    set_session_cookie(request, response, cookie, ctx.settings.web_session_hours * 3600)
    response.delete_cookie(PRE_CSRF_COOKIE, path="/signin")
    return response


@router.post("/signin/jwt")
def from_host_app(
    request: Request, ctx: Ctx, session: DbSession, token: Annotated[str, Form()]
) -> Response:
    """A host app that signs its users in itself POSTs their JWT here (an auto-submitting form
    in its own page) and the browser gets our session."""
    try:
        claims = ctx.verifier.verify(token)
    except ApiError as exc:
        return _signin_failed(request, f"The sign-in token was refused: {exc.message}.")
    user = _find_user(session, ctx.settings, claims.user_ref)
    if user is None or not user.is_active:
        return _signin_failed(request, str(unauthorized("no such user").message) + ".")
    cookie = signin.start_session(session, ctx.settings, user.id, origin="jwt", now=now())
    response = redirect("/connections")
    set_session_cookie(request, response, cookie, ctx.settings.web_session_hours * 3600)
    return response


@router.post("/signout")
def signout(
    request: Request, ctx: Ctx, session: DbSession, csrf: Annotated[str, Form()]
) -> Response:
    token = request.cookies.get(SESSION_COOKIE) or ""
    if token and signin.csrf_ok(ctx.settings, token, csrf):
        signin.end_session(session, token, now=now())
    response = redirect("/signin")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
