"""The API's database engines: one pool, two ways of using it.

- Connections are pinged only when they sat idle in the pool for `IDLE_PING_S` (a database
  restart or an idle timeout closes such connections). `pool_pre_ping` would cost a round trip
  on every request; a connection in steady use was used a moment ago. A connection broken while
  in steady use fails one statement, which invalidates the whole pool (SQLAlchemy's disconnect
  handling), so the next requests get fresh connections.
- The pool keeps up to POOL_SIZE connections per process, more than the SQLAlchemy default
  of 5 (uvicorn runs many requests of a process at once in its thread pool).
- Read-only routes (`api.deps.read_only`) use the same pool in autocommit mode: each SELECT runs
  on its own, without a BEGIN before and a COMMIT after it — two round trips fewer per request.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event, exc

from db.session import make_engine

IDLE_PING_S = 10.0
POOL_SIZE = 16
MAX_OVERFLOW = 16
_RETURNED_AT = "studyplanner_returned_at"


def api_engine(url: str) -> Engine:
    # hide_parameters: a failed statement's bound values (a student's data, a token) stay out
    # of exception messages and therefore out of the log.
    kwargs: dict[str, Any] = {"hide_parameters": True, "pool_pre_ping": False}
    if not url.startswith("sqlite"):
        # Room for every request a worker has in flight: past pool_size, each request opened a
        # connection and closed it again (a PostgreSQL backend started per request).
        kwargs |= {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}
    engine = make_engine(url, **kwargs)
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < IDLE_PING_S:
            return  # new (just connected) or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # the ping's implicit transaction
        except Exception as error:
            # The pool discards this connection and checks out (or opens) another.
            raise exc.DisconnectionError(
                f"idle connection is gone: {type(error).__name__}"
            ) from error

    return engine


def read_only_engine(engine: Engine) -> Engine:
    """`engine`'s pool, every connection in autocommit mode while it is checked out."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")
