"""A sync that cannot decrypt the student's stored tokens: the Fernet key changed.

A regenerated or replaced key file, a STUDYPLANNER_FERNET_KEYS that lost the old key: every
token written with the old key is unreadable and no retry can help. The sync records it like
any permanent failure — a failed `sync_runs` row, one `sync_errors` row per connected provider
(code `decryption_failed`), the providers marked *needs attention* so beat stops dispatching
the student — and the CLI shows one line. Once the right key is back, the next sync that reads
the tokens clears the mark (`clear_when_readable`); a key that is lost for good means
reconnecting, which writes new tokens and sets the health back too.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.enums import IntegrationHealth, Provider, SyncOutcome
from db.models import IntegrationSettings, SyncError, SyncRun
from db.session import session_scope
from integrations.errors import PermanentError
from services.sync.report import RecordedError, SyncOptions, SyncReport, record

UNREADABLE = "decryption_failed"
HOW_TO_FIX = (
    "the stored {provider} tokens cannot be decrypted with the configured keys (the Fernet key "
    "changed: STUDYPLANNER_FERNET_KEYS, or fernet.key in the data folder): put back the key "
    "they were written with and sync again, or reconnect {provider}"
)
_PROVIDERS = (Provider.GOOGLE, Provider.NOTION)


class SecretsUnreadable(PermanentError):
    def __init__(self, provider: Provider) -> None:
        super().__init__(
            HOW_TO_FIX.format(provider=provider.value.capitalize()),
            provider=provider.value,
            operation="decrypt",
            code=UNREADABLE,
        )


def is_unreadable(report: SyncReport) -> bool:
    return any(isinstance(e.error, SecretsUnreadable) for e in report.errors)


def record_unreadable(
    engine: Engine, user_id: uuid.UUID, options: SyncOptions, now: datetime
) -> SyncReport:
    """The failed run, its errors and the attention mark; a dry run only reports it."""
    report = SyncReport(user_id, SyncOutcome.FAILED)
    with session_scope(engine) as session:
        # Columns only: loading the row would decrypt its tokens again.
        enabled = session.execute(
            select(IntegrationSettings.google_calendar_enabled, IntegrationSettings.notion_enabled)
            .where(IntegrationSettings.user_id == user_id)
        ).first()  # fmt: skip
        providers = [p for p, on in zip(_PROVIDERS, enabled or (), strict=False) if on]
        for provider in providers or [Provider.GOOGLE]:
            exc = SecretsUnreadable(provider)
            report.errors.append(RecordedError(provider, "decrypt", exc, message=exc.message))
        if options.dry_run:
            return report
        run = SyncRun(
            user_id=user_id,
            providers=[p.value for p in providers],
            trigger=options.trigger,
            started_at=now,
        )
        session.add(run)
        session.flush()
        report.run_id = run.id
        if providers:
            session.execute(
                update(IntegrationSettings)
                .where(IntegrationSettings.user_id == user_id)
                .values({f"{p.value}_health": IntegrationHealth.NEEDS_ATTENTION for p in providers})
            )
    record(engine, report, now)
    return report


def clear_when_readable(session: Session, integration: IntegrationSettings, now: datetime) -> None:
    """The tokens of `integration` were just decrypted: a mark an unreadable key left goes.

    Asks the database only when a provider needs attention, so an ordinary sync costs nothing.
    """
    attention = IntegrationHealth.NEEDS_ATTENTION
    marked = [p for p in _PROVIDERS if getattr(integration, f"{p.value}_health") == attention]
    if not marked:
        return
    mine = (
        SyncError.user_id == integration.user_id,
        SyncError.error_code == UNREADABLE,
        SyncError.resolved_at.is_(None),
    )
    cleared = set(session.scalars(select(SyncError.provider).where(*mine).distinct()))
    if not cleared:
        return
    session.execute(update(SyncError).where(*mine).values(resolved_at=now))
    back = {f"{p.value}_health": IntegrationHealth.OK for p in marked if p in cleared}
    if back:
        session.execute(
            update(IntegrationSettings)
            .where(IntegrationSettings.user_id == integration.user_id)
            .values(back)
        )
        for name, value in back.items():
            setattr(integration, name, value)
