"""What one event write came to, after Google's answer and, on a conflict, a fresh read."""

from __future__ import annotations

from integrations.errors import ConflictError, IntegrationError
from integrations.google_calendar.errors import PROVIDER, map_status
from integrations.google_calendar.values import BLOCK_ID_PROPERTY, EventWrite, EventWriteResult
from integrations.google_calendar.wire import JsonDict, parse_event


def after_refetch(
    first: EventWriteResult, payload: JsonDict | None, error: IntegrationError | None
) -> EventWriteResult:
    op, event_id = first.op, first.event_id
    if error is not None or payload is None:
        return first  # keep the conflict; the next sync re-reads the event
    current = parse_event(payload)
    if current.cancelled:
        # The user deleted it (409 on insert, 412 on patch/delete): a tombstone, never recreate.
        return EventWriteResult(op, event_id, "user_deleted", event=current)
    if op.kind != "insert":
        return EventWriteResult(op, event_id, "error", event=current, error=first.error)
    if current.private_props.get(BLOCK_ID_PROPERTY) == str(op.block_id):
        return EventWriteResult(op, event_id, "adopted", event=current)
    conflict = ConflictError(
        "the event id is taken by an event that is not ours",
        provider=PROVIDER,
        operation="events.insert",
        status=409,
        code="duplicate",
    )
    return EventWriteResult(op, event_id, "error", event=current, error=conflict)


def failed(op: EventWrite, event_id: str, error: IntegrationError) -> EventWriteResult:
    return EventWriteResult(op, event_id, "error", error=error)


def permanent(message: str, op: EventWrite) -> IntegrationError:
    return map_status(400, "invalid", message, operation=operation(op))


def operation(op: EventWrite) -> str:
    return f"events.{op.kind}"
