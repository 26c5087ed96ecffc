"""Alembic environment: the models' metadata, batch mode on SQLite, type comparison on.

The database is the product's: a connection handed in (`db.migrate`, the tests), else
`alembic -x url=…`, else `sqlalchemy.url`, else the settings (`STUDYPLANNER_DATABASE_URL`, or the
embedded SQLite file under `STUDYPLANNER_VAR_DIR`) — so `alembic upgrade head` from a checkout
migrates the same database `studyplanner db upgrade` would.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, pool

from db.models import Base
from db.session import make_engine

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if url:
        return url
    from services.settings import get_settings

    settings = get_settings()
    if not settings.database_url:
        # The embedded file's folder, and its key made together with the database (a folder
        # whose database exists without its key is refused later, as a lost key).
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        settings.fernet_key_list()
    return settings.effective_database_url


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
