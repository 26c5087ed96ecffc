"""The OAuth routes of both providers and the choices that follow them. Each route is a call
into services.onboarding; a `ConnectError` becomes the connections page with its message."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import Ctx, DbSession
from api.pages.web import Csrf, SignedIn, base_url, now, redirect, render
from services.onboarding import google, notion
from services.onboarding.errors import ConnectError

router = APIRouter(include_in_schema=False)


def connect_failed(
    request: Request, ctx: Ctx, session: DbSession, who: SignedIn, error: ConnectError
) -> HTMLResponse:
    from api.pages.student import connections_context

    context = connections_context(session, who) | {"error": error}
    return render(request, "connections.html", context, status=400)


# ---- Google ------------------------------------------------------------------------------------


@router.get("/v1/connect/google")
def connect_google(request: Request, ctx: Ctx, session: DbSession, who: SignedIn) -> Response:
    redirect_uri = base_url(request, ctx.settings.public_base_url) + google.CALLBACK_PATH
    try:
        url = google.start_google(
            session, ctx.settings, who.user.id, redirect_uri=redirect_uri, now=now()
        )
    except ConnectError as exc:
        return connect_failed(request, ctx, session, who, exc)
    return redirect(url)


@router.get("/v1/connect/google/callback")
def google_callback(request: Request, ctx: Ctx, session: DbSession, who: SignedIn) -> Response:
    params = {k: v for k, v in request.query_params.items() if k in ("state", "code", "error")}
    try:
        google.finish_google(ctx.engine, ctx.settings, who.user.id, params, now=now())
    except ConnectError as exc:
        return connect_failed(request, ctx, session, who, exc)
    return redirect("/calendars?connected=1")


@router.get("/calendars", response_class=HTMLResponse)
def calendars_page(request: Request, ctx: Ctx, session: DbSession, who: SignedIn) -> Response:
    try:
        options = google.calendar_options(session, ctx.settings, who.user)
    except ConnectError as exc:
        return connect_failed(request, ctx, session, who, exc)
    context = {
        "who": who,
        "options": options,
        "connected": request.query_params.get("connected") == "1",
    }
    return render(request, "calendars.html", context)


@router.post("/calendars", dependencies=[Csrf])
async def save_calendars(request: Request, ctx: Ctx, session: DbSession, who: SignedIn) -> Response:
    form = await request.form()
    chosen = [str(v) for v in form.getlist("calendar")]
    try:
        google.save_busy_calendars(session, ctx.settings, who.user, chosen)
    except ConnectError as exc:
        return connect_failed(request, ctx, session, who, exc)
    return redirect("/connections?notice=calendars")


@router.post("/v1/connect/google/disconnect", dependencies=[Csrf])
def disconnect_google(ctx: Ctx, who: SignedIn) -> Response:
    google.disconnect_google(ctx.engine, ctx.settings, who.user.id)
    return redirect("/connections?notice=google_disconnected")


# ---- Notion ------------------------------------------------------------------------------------


@router.get("/v1/connect/notion")
def connect_notion(request: Request, ctx: Ctx, session: DbSession, who: SignedIn) -> Response:
    redirect_uri = base_url(request, ctx.settings.public_base_url) + notion.CALLBACK_PATH
    try:
        url = notion.start_notion(
            session, ctx.settings, who.user.id, redirect_uri=redirect_uri, now=now()
        )
    except ConnectError as exc:
        return connect_failed(request, ctx, session, who, exc)
    return redirect(url)


@router.get("/v1/connect/notion/callback")
def notion_callback(request: Request, ctx: Ctx, session: DbSession, who: SignedIn) -> Response:
    params = {k: v for k, v in request.query_params.items() if k in ("state", "code", "error")}
    try:
        settled = notion.finish_notion(ctx.engine, ctx.settings, who.user.id, params, now=now())
    except ConnectError as exc:
        return connect_failed(request, ctx, session, who, exc)
    return redirect("/connections?notice=notion" if settled else "/notion/database")


@router.get("/notion/database", response_class=HTMLResponse)
def database_page(request: Request, ctx: Ctx, session: DbSession, who: SignedIn) -> Response:
    try:
        choices = notion.database_choices(session, ctx.settings, who.user)
    except ConnectError as exc:
        return connect_failed(request, ctx, session, who, exc)
    return render(request, "notion_database.html", {"who": who, "choices": choices})


@router.post("/notion/database", dependencies=[Csrf])
def choose_database(
    request: Request,
    ctx: Ctx,
    session: DbSession,
    who: SignedIn,
    choice: Annotated[str, Form()] = "",
) -> Response:
    kind, _, value = choice.partition(":")
    try:
        notion.choose_database(
            session,
            ctx.settings,
            who.user,
            data_source_id=value if kind == "ds" else None,
            parent_page_id=value if kind == "page" else None,
        )
    except ConnectError as exc:
        session.rollback()
        return connect_failed(request, ctx, session, who, exc)
    return redirect("/connections?notice=notion")


@router.post("/v1/connect/notion/disconnect", dependencies=[Csrf])
def disconnect_notion(ctx: Ctx, who: SignedIn) -> Response:
    notion.disconnect_notion(ctx.engine, ctx.settings, who.user.id)
    return redirect("/connections?notice=notion_disconnected")
