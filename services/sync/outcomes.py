"""What one provider's push did, and the task rows the push steps read."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import StudyTask
from integrations.errors import IntegrationError
from integrations.notion.transients import Recovered


@dataclass
class PushOutcome:
    writes: int = 0
    failed: int = 0
    errors: list[IntegrationError] = field(default_factory=list)
    failed_objects: list[str] = field(default_factory=list)
    recovered: list[tuple[str | None, Recovered]] = field(default_factory=list)

    def fail(self, object_id: str, error: IntegrationError) -> None:
        self.failed += 1
        self.errors.append(error)
        self.failed_objects.append(object_id)


def tasks_of(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, StudyTask]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {t.id: t for t in session.scalars(select(StudyTask).where(StudyTask.id.in_(wanted)))}
