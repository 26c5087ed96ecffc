"""A student connects Notion: the public-integration OAuth flow, the choice (or creation) of the
task database, disconnect.

The bot token is stored with its workspace and bot ids as soon as the exchange succeeds; the
integration is enabled only once a task database is chosen and its columns are prepared (the
same `services.connect.connect_notion` the CLI uses).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.enums import IntegrationHealth
from db.models import IntegrationSettings, User
from db.session import session_scope
from integrations.errors import IntegrationError
from integrations.notion import oauth as notion_oauth
from integrations.notion.values import SharedItem
from planner.problems import InvalidInput
from services.connect import connect_notion, integration_of
from services.onboarding.errors import ConnectError
from services.onboarding.states import consume_state, issue_state
from services.settings import Settings
from services.sync.providers import notion_client

log = logging.getLogger(__name__)

CALLBACK_PATH = "/v1/connect/notion/callback"
NEW_DATABASE_TITLE = "Study plan"


def notion_app(settings: Settings) -> notion_oauth.NotionApp:
    if not settings.notion_client_id or settings.notion_client_secret is None:
        raise ConnectError(
            "not_configured",
            "Notion cannot be connected here yet: the server has no Notion OAuth client "
            "(STUDYPLANNER_NOTION_CLIENT_ID and _SECRET). Ask the administrator.",
            retry=False,
        )
    return notion_oauth.NotionApp(
        base_url=settings.notion_base_url,
        client_id=settings.notion_client_id,
        client_secret=settings.notion_client_secret.get_secret_value(),
    )


def start_notion(
    session: Session, settings: Settings, user_id: uuid.UUID, *, redirect_uri: str, now: datetime
) -> str:
    app = notion_app(settings)
    state = issue_state(
        session,
        settings,
        user_id=user_id,
        provider="notion",
        redirect_uri=redirect_uri,
        code_verifier=None,
        now=now,
    )
    return notion_oauth.authorize_url(app, redirect_uri=redirect_uri, state=state)


def finish_notion(
    engine: Engine,
    settings: Settings,
    user_id: uuid.UUID,
    params: Mapping[str, str],
    *,
    now: datetime,
) -> bool:
    """The callback. True when the task database is already settled (a reconnect to the same
    workspace), False when the student must choose it next."""
    app = notion_app(settings)
    with session_scope(engine) as session:
        pending = consume_state(
            session, settings, params.get("state"), user_id=user_id, provider="notion", now=now
        )
    error = params.get("error")
    if error == "access_denied":
        raise ConnectError(
            "denied",
            "You chose not to give the planner access to Notion, so nothing was connected. "
            "You can connect whenever you like.",
        )
    code = params.get("code")
    if error or not code:
        raise ConnectError(
            "exchange_failed",
            f"Notion did not complete the connection ({error or 'no code'}). Nothing was stored.",
        )
    try:
        grant = notion_oauth.exchange_code(app, code=code, redirect_uri=pending.redirect_uri)
    except notion_oauth.NotionOAuthError as exc:
        log.warning("Notion refused the code exchange for user %s: %s", user_id, exc.code)
        raise ConnectError(
            "exchange_failed",
            f"Notion refused the connection ({exc.code}). Nothing was stored; try again.",
        ) from None
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        row = integration_of(session, user)
        same_workspace = bool(row.notion_workspace_id) and row.notion_workspace_id == (
            grant.workspace_id
        )
        row.notion_access_token = grant.access_token
        row.notion_refresh_token = grant.refresh_token
        row.notion_bot_id = grant.bot_id or None
        row.notion_workspace_id = grant.workspace_id or None
        row.notion_workspace_name = grant.workspace_name or None
        row.notion_health = IntegrationHealth.OK
        settled = same_workspace and bool(row.notion_database_id and row.notion_data_source)
        if not settled:
            row.notion_enabled = False
        else:
            row.notion_enabled = True
        return settled


@dataclass(frozen=True)
class DatabaseChoices:
    databases: list[SharedItem]  # data sources already shared: an existing task database
    pages: list[SharedItem]  # shared pages: where a new one can be created
    current: str | None  # the data source in use now


def database_choices(session: Session, settings: Settings, user: User) -> DatabaseChoices:
    row = _connected(session, user)
    client = notion_client(settings, row)
    try:
        databases = client.shared_data_sources()
        pages = client.shared_pages()
    except IntegrationError as exc:
        raise ConnectError(
            "remote_failed", f"Notion did not answer ({exc.code or exc.status}); try again."
        ) from None
    finally:
        client.close()
    return DatabaseChoices(databases, pages, row.notion_data_source)


def choose_database(
    session: Session,
    settings: Settings,
    user: User,
    *,
    data_source_id: str | None = None,
    parent_page_id: str | None = None,
) -> IntegrationSettings:
    """Use a shared data source, or create a task database under a shared page; either way
    its columns are checked and the missing ones added."""
    choices = database_choices(session, settings, user)
    row = _connected(session, user)
    token = row.notion_access_token
    assert token is not None
    if data_source_id:
        chosen = next((d for d in choices.databases if d.id == data_source_id), None)
        if chosen is None or not chosen.database_id:
            raise ConnectError("bad_choice", "That database is not shared with the planner.")
        database_id, source = chosen.database_id, chosen.id
    elif parent_page_id:
        if parent_page_id not in {p.id for p in choices.pages}:
            raise ConnectError("bad_choice", "That page is not shared with the planner.")
        client = notion_client(settings, row)
        try:
            database_id = client.create_task_database(parent_page_id, NEW_DATABASE_TITLE)
        except IntegrationError as exc:
            raise ConnectError(
                "remote_failed",
                f"Notion did not create the database ({exc.code or exc.status}); try again.",
            ) from None
        finally:
            client.close()
        source = None
    else:
        raise ConnectError("bad_choice", "Pick a database, or a page to create one in.")
    try:
        return connect_notion(
            session, settings, user, token=token, database_id=database_id, data_source=source
        )
    except InvalidInput as exc:
        reasons = " ".join(p.reason for p in exc.problems)
        raise ConnectError(
            "bad_choice", f"That database cannot hold your tasks: {reasons}"
        ) from None


def _connected(session: Session, user: User) -> IntegrationSettings:
    row = integration_of(session, user)
    if not row.notion_access_token:
        raise ConnectError("not_connected", "Notion is not connected.")
    return row


def disconnect_notion(engine: Engine, settings: Settings, user_id: uuid.UUID) -> bool:
    """Forget the token (the pages stay in the student's Notion) and revoke it; True if Notion
    confirmed. The database id is kept: reconnecting the same workspace picks it up again."""
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        row = integration_of(session, user)
        token = row.notion_access_token
        oauth_token = bool(row.notion_bot_id)
        row.notion_access_token = None
        row.notion_refresh_token = None
        row.notion_enabled = False
        row.notion_health = IntegrationHealth.OK
    if not token or not oauth_token or not settings.notion_client_id:
        return False  # an internal integration's secret is revoked in Notion's settings
    try:
        app = notion_app(settings)
    except ConnectError:
        return False
    return notion_oauth.revoke(app, token)
