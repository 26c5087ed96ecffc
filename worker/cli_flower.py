"""`studyplanner flower`: Flower on this setup's broker — the embedded default included — behind
basic auth, with its URL and credentials printed."""

from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import subprocess
import sys
from typing import Annotated

import typer

from worker.cli_common import UserError, console, start


def flower_cmd(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5555,
    address: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Watch the workers and their tasks in Flower (basic auth: FLOWER_BASIC_AUTH=user:password,
    or a password made up now and printed)."""
    from datetime import UTC, datetime

    from db.session import get_engine
    from services import embedded_broker
    from services.health import check_workers
    from services.settings import child_process_env

    if importlib.util.find_spec("flower") is None:
        raise UserError(
            "Flower is not installed: pip install 'studyplanner[flower]' "
            "(in a checkout: pip install -e '.[flower]')"
        )
    settings = start()
    given = os.environ.get("FLOWER_BASIC_AUTH")
    auth = given or f"admin:{secrets.token_urlsafe(12)}"
    user, _, password = auth.split(",")[0].partition(":")
    if not user or not password:
        raise UserError("FLOWER_BASIC_AUTH must be user:password")
    # A password made up here is shown once; one the user set is theirs and never printed.
    password_shown = "the one in FLOWER_BASIC_AUTH" if given else f"[bold]{password}[/]"
    embedded = settings.uses_embedded_broker
    if embedded:
        embedded_broker.forget_event_queues(settings, embedded_broker.stale_event_queues(settings))
        before = embedded_broker.event_queues(settings)
    # The credentials go to Flower through its environment, never on a command line (ps).
    env = child_process_env(settings, FLOWER_BASIC_AUTH=auth)
    command = [sys.executable, "-m", "celery", "-A", "worker", "flower",
               f"--address={address}", f"--port={port}"]  # fmt: skip
    proc = subprocess.Popen(command, env=env)
    shown = "localhost" if address in ("127.0.0.1", "0.0.0.0") else address
    console.print(
        f"Flower at http://{shown}:{port}/ — user [bold]{user}[/], password {password_shown} "
        "(Ctrl-C stops it)",
        highlight=False,
    )
    engine = get_engine(settings.effective_database_url)
    workers = check_workers(engine, settings, datetime.now(UTC))
    if not workers.detail.startswith("alive"):
        console.print(
            f"note: {workers.detail}. Flower lists the workers that are running: start one with "
            "'celery -A worker worker -B -E' on this setup (or 'studyplanner demo --keep-running')."
        )
    if embedded:
        console.print(
            "On the embedded folder broker Flower shows workers, tasks and events; its Broker "
            "page (queue lengths) needs Redis or RabbitMQ."
        )

    def forward(signum: int, _frame: object) -> None:
        proc.send_signal(signum)

    # Ctrl-C reaches Flower by itself (same process group); SIGTERM from a supervisor is passed
    # on, so Flower stops with us and its event queue is unbound below.
    signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:
                proc.send_signal(signal.SIGINT)
    finally:
        if embedded:
            ours = embedded_broker.event_queues(settings) - before
            embedded_broker.forget_event_queues(settings, ours)
    if code not in (0, -signal.SIGINT, -signal.SIGTERM):
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("flower")(flower_cmd)
