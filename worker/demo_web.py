"""The demo's student pages: with `studyplanner demo --keep-running`, the HTTP API (pages
included) runs beside the worker on the demo's data, set up for the emulators' OAuth, and a
one-time sign-in link for Maya is printed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import SecretStr
from rich.console import Console

if TYPE_CHECKING:
    from worker.demo import DemoWorld


def serve_pages(world: DemoWorld, console: Console) -> Callable[[], None]:
    """Start the pages; print the sign-in link; return the function that stops them."""
    import uvicorn

    from api.app import create_api
    from db.models import User
    from db.session import session_scope
    from services.onboarding.signin import create_invite, invite_url

    settings = world.settings.model_copy(
        update={
            "google_auth_uri": world.google.auth_uri,
            "google_revoke_uri": world.google.revoke_uri,
            "notion_client_id": world.notion.settings.oauth_client_id,
            "notion_client_secret": SecretStr(world.notion.settings.oauth_client_secret),
        }
    )
    config = uvicorn.Config(
        create_api(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="demo-pages", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        console.print("[yellow]the student's pages did not start[/]")
        return lambda: None
    port = server.servers[0].sockets[0].getsockname()[1]
    with session_scope(world.engine) as session:
        user = session.get(User, world.user_id)
        assert user is not None
        token = create_invite(session, settings, user, now=datetime.now(UTC))
    link = invite_url(settings, token, f"http://127.0.0.1:{port}")
    console.print(
        f"Maya's pages (connections, week, at risk, tasks; one-time link, "
        f"{settings.web_invite_minutes} min):"
    )
    print(f"    {link}", flush=True)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return stop
