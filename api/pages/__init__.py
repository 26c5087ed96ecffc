"""The student's pages (server-rendered HTML, Jinja2 templates in api/templates, static files in
api/static): sign-in, the OAuth flows, connections, the week, at-risk work, the task timeline.

`install_pages(app)` adds the routers, the static files and the handlers that turn "not signed
in" into the sign-in page and a failed CSRF check into a 403 page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.pages import connect, logfilter, signin, student
from api.pages.web import CsrfFailed, NeedsSignIn, redirect, render

PAGE_ROUTERS = [signin.router, connect.router, student.router]
STATIC = Path(__file__).resolve().parent.parent / "static"


async def _needs_signin(request: Request, _exc: Exception) -> HTMLResponse:
    if request.method == "GET":
        return redirect("/signin")  # type: ignore[return-value]
    return render(request, "signin_help.html", {}, status=401)


async def _csrf_failed(request: Request, _exc: Exception) -> HTMLResponse:
    message = "This form was not sent from your own page (or it is too old). Reload and try again."
    return render(request, "signin_error.html", {"message": message}, status=403)


def install_pages(app: FastAPI) -> None:
    logfilter.install()
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_exception_handler(NeedsSignIn, _needs_signin)
    app.add_exception_handler(CsrfFailed, _csrf_failed)
