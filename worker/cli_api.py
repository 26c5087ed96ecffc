"""`studyplanner api ...`: serve the HTTP API (uvicorn) and mint tokens for local use."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

api_app = typer.Typer(help="The HTTP API (FastAPI on uvicorn).", no_args_is_help=True)

MAX_TTL_S = 30 * 24 * 3600


@api_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    proxy_headers: Annotated[
        bool, typer.Option(help="Trust X-Forwarded-* from --forwarded-allow-ips.")
    ] = True,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Proxies whose X-Forwarded-* headers are trusted.")
    ] = "127.0.0.1",
    worker_healthcheck_timeout: Annotated[
        int, typer.Option(min=1, help="Seconds a worker may take to answer its supervisor.")
    ] = 30,
) -> None:
    """Run the API with uvicorn (the same app as docker-compose's `api` service)."""
    import uvicorn

    from worker.cli_common import start

    settings = start()
    # Made (or checked) once here, before the workers start: on the embedded default every
    # worker must read the same generated secret.
    try:
        from api.auth import TokenVerifier

        TokenVerifier(settings)
    except ValueError as exc:
        from worker.cli_common import UserError

        raise UserError(f"configuration: {exc}") from exc
    uvicorn.run(
        "api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        # uvicorn's default (5 s) kills a worker still importing on a busy machine, over and
        # over; a worker that is really hung is still replaced.
        timeout_worker_healthcheck=worker_healthcheck_timeout,
        log_level=settings.log_level.lower(),
    )


@api_app.command("token")
def token(
    user: Annotated[str, typer.Option("--user", "-u", help="The student's email or id.")],
    admin: Annotated[bool, typer.Option(help="The token sees every user.")] = False,
    ttl: Annotated[
        int, typer.Option(min=60, max=MAX_TTL_S, help="Seconds until the token expires.")
    ] = 3600,
) -> None:
    """Print an HS256 token for a user (hs256 mode, the embedded default)."""
    from api.auth import mint_token
    from services import catalog
    from worker.cli_common import UserError, unit_of_work

    with unit_of_work() as session:
        student = catalog.find_user(session, user)
        user_id, email = student.id, student.email
    from services.settings import get_settings

    try:
        minted = mint_token(
            get_settings(), user_id=user_id, email=email, admin=admin, ttl=timedelta(seconds=ttl)
        )
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    # Plain print: rich would wrap a long token across lines.
    print(minted)


@api_app.command("invite")
def invite(
    user: Annotated[str, typer.Option("--user", "-u", help="The student's email or id.")],
    base_url: Annotated[
        str | None,
        typer.Option(help="Where the pages are served (default: STUDYPLANNER_PUBLIC_BASE_URL)."),
    ] = None,
) -> None:
    """Print a one-time sign-in link to the student's pages (valid
    STUDYPLANNER_WEB_INVITE_MINUTES minutes, usable once)."""
    from datetime import UTC, datetime

    from services import catalog
    from services.onboarding.signin import create_invite, invite_url
    from services.settings import get_settings
    from worker.cli_common import err_console, unit_of_work

    settings = get_settings()
    with unit_of_work() as session:
        student = catalog.find_user(session, user)
        token = create_invite(session, settings, student, now=datetime.now(UTC))
    print(invite_url(settings, token, base_url))
    minutes = settings.web_invite_minutes
    err_console.print(f"[dim]usable once, for {minutes} minutes; it signs in as {student.email}[/]")


def register(app: typer.Typer) -> None:
    app.add_typer(api_app, name="api")
