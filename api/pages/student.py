"""The student's own pages: connections, the week, at-risk work, the task timeline (with its
exports) and "sync now"."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from api.deps import Ctx, DbSession
from api.pages.web import Csrf, SignedIn, Student, now, redirect, render
from planner.problems import InvalidInput
from planner.vocabulary import TaskStatus
from services.csv_export import as_csv
from services.history import TaskFilter
from services.onboarding import views

router = APIRouter(include_in_schema=False)

NOTICES = {
    "calendars": "Your busy calendars are saved.",
    "notion": "Notion is connected: your tasks will appear in the database you chose.",
    "google_disconnected": "Google Calendar is disconnected; the planner forgot its access.",
    "notion_disconnected": "Notion is disconnected; the planner forgot its access.",
    "sync": "A sync is on its way: refresh in a few seconds to see the result.",
}


def connections_context(session: Session, who: Student) -> dict[str, Any]:
    return {"who": who, "view": views.connections(session, who.user), "error": None}


@router.get("/")
def home(who: SignedIn) -> Response:
    return redirect("/connections")


@router.get("/connections", response_class=HTMLResponse)
def connections_page(request: Request, session: DbSession, who: SignedIn) -> HTMLResponse:
    context = connections_context(session, who)
    context["notice"] = NOTICES.get(request.query_params.get("notice", ""))
    return render(request, "connections.html", context)


@router.post("/sync", dependencies=[Csrf])
def sync_now(ctx: Ctx, who: SignedIn) -> Response:
    from tasks.celery_app import create_app
    from tasks.sync import SYNC_TASK

    app = ctx.extras.get("celery")
    if app is None:
        app = ctx.extras["celery"] = create_app(ctx.settings)
    app.send_task(SYNC_TASK, args=(str(who.user.id), "api"))
    return redirect("/connections?notice=sync")


def _week_start(raw: str | None, today: date) -> date:
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    return views.week_start_of(today)


@router.get("/week", response_class=HTMLResponse)
def week_page(request: Request, ctx: Ctx, session: DbSession, who: SignedIn) -> HTMLResponse:
    from api.weekview.embed import WEEK_CSS, render_week_fragment
    from api.weekview.view import WeekBlock, busy_blocks

    zone = ZoneInfo(who.user.timezone)
    current = now()
    start = _week_start(request.query_params.get("start"), current.astimezone(zone).date())
    week = views.week(session, ctx.settings, who.user, start=start)
    blocks = [
        WeekBlock(b.title, b.course_code, b.start, b.end, b.status, b.pinned, "study")
        for b in week.blocks
    ]
    grid = render_week_fragment(
        blocks,
        busy_blocks(week.busy),
        week_start=start,
        tz=week.tz,
        now=current,
        course_colors=week.course_colors,
    )
    context = {
        "who": who,
        "week": week,
        "grid": Markup(grid),
        "week_css": Markup(WEEK_CSS),
        "zone": zone,
        "prev": (start - timedelta(days=7)).isoformat(),
        "next": (start + timedelta(days=7)).isoformat(),
        "end": start + timedelta(days=6),
    }
    return render(request, "week.html", context)


@router.get("/at-risk", response_class=HTMLResponse)
def at_risk_page(request: Request, session: DbSession, who: SignedIn) -> HTMLResponse:
    items = views.at_risk(session, who.user)
    context = {"who": who, "items": items, "zone": ZoneInfo(who.user.timezone)}
    return render(request, "at_risk.html", context)


def _filter(request: Request) -> tuple[TaskFilter, dict[str, str]]:
    raw = {k: request.query_params.get(k, "").strip() for k in ("course", "topic", "status")}
    status = None
    if raw["status"]:
        try:
            status = TaskStatus(raw["status"])
        except ValueError:
            raise InvalidInput.single(f"unknown status {raw['status']!r}", "status") from None
    flt = TaskFilter(
        course_code=raw["course"] or None, topic_name=raw["topic"] or None, status=status
    )
    return flt, raw


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, session: DbSession, who: SignedIn) -> HTMLResponse:
    problem: str | None = None
    try:
        flt, raw = _filter(request)
    except InvalidInput as exc:
        flt, raw = TaskFilter(), {"course": "", "topic": "", "status": ""}
        problem = exc.problems[0].reason
    timeline = views.timeline(session, who.user, flt)
    drawer = None
    selected = request.query_params.get("task")
    if selected:
        try:
            task_id = uuid.UUID(selected)
        except ValueError:
            task_id = None
        row = next((r for r in timeline.rows if task_id and r["id"] == str(task_id)), None)
        if task_id is not None and row is not None:
            drawer = {"task": row, "events": views.events_of(session, who.user, task_id)}
    query = urlencode({k: v for k, v in raw.items() if v})
    context = {
        "who": who,
        "timeline": timeline,
        "raw": raw,
        "problem": problem,
        "drawer": drawer,
        "query": query,
        "zone": ZoneInfo(who.user.timezone),
    }
    return render(request, "tasks.html", context)


@router.get("/tasks.csv")
def tasks_csv(request: Request, session: DbSession, who: SignedIn) -> Response:
    flt, _ = _filter(request)
    rows = views.timeline(session, who.user, flt).rows
    headers = {"Content-Disposition": 'attachment; filename="tasks.csv"'}
    return Response(as_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/tasks.json")
def tasks_json(request: Request, session: DbSession, who: SignedIn) -> Response:
    flt, _ = _filter(request)
    rows = views.timeline(session, who.user, flt).rows
    headers = {"Content-Disposition": 'attachment; filename="tasks.json"'}
    return Response(json.dumps(rows, indent=2), media_type="application/json", headers=headers)
