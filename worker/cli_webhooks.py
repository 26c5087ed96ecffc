"""`studyplanner webhooks …`: what the admin needs to set up Notion's webhook subscription."""

from __future__ import annotations

from typing import Annotated

import typer

from worker.cli_common import console, start, unit_of_work

webhooks_app = typer.Typer(help="Real-time sync: webhook set-up.", no_args_is_help=True)


@webhooks_app.command("notion-token")
def notion_token(
    reset: Annotated[
        bool,
        typer.Option(
            help="Forget the stored token, so Notion's next verification request "
            "is accepted (after re-creating the subscription)."
        ),
    ] = False,
) -> None:
    """Show the verification token Notion sent, to paste into the integration's webhook
    settings. It is a secret: it signs every event."""
    from services.realtime.notion import forget_notion_token, notion_hook_state

    settings = start()
    address = (
        settings.webhook_url("notion")
        if settings.public_base_url
        else "<public_base_url>/v1/webhooks/notion"
    )
    with unit_of_work() as session:
        if reset:
            forgot = forget_notion_token(session)
            console.print(
                "token forgotten: the next verification request is accepted"
                if forgot
                else "no token was stored"
            )
            return
        state = notion_hook_state(session)
    if state is None:
        console.print(
            "no verification request received yet: in the integration's settings create a "
            f"webhook subscription with the URL {address} (push must be on: "
            "STUDYPLANNER_PUSH_ENABLED=true)",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    # The token itself goes to stdout alone, so `$(studyplanner webhooks notion-token)` works.
    print(state.token)
    when = state.received_at.isoformat(timespec="seconds")
    if state.active:
        last = state.last_event_at.isoformat(timespec="seconds") if state.last_event_at else ""
        note = f"received {when}; subscription active (last signed event {last})"
    else:
        note = f"received {when}; paste it into Notion to activate the subscription ({address})"
    typer.echo(note, err=True)
    if state.refused_count:
        refused = (
            state.last_refused_at.isoformat(timespec="seconds") if state.last_refused_at else ""
        )
        typer.echo(
            f"{state.refused_count} later verification request(s) with another token were "
            f"refused (last {refused}); --reset accepts the next one",
            err=True,
        )


def register(app: typer.Typer) -> None:

    app.add_typer(webhooks_app, name="webhooks")
