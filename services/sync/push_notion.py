"""The Notion half of the push step: dirty pages out, outcomes back (see `push.py`).

Notion has no ETag: updates send only the properties that changed since our last push. A create
is marked in flight (committed) before it is sent; only a create still marked from an earlier
push — the worker died, or the answer was lost — is looked up by Task ID before it is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from db.models import Assessment, Course, NotionTask, StudyTask, Topic
from db.session import session_scope
from integrations.errors import IntegrationError
from integrations.notion import NotionClient, NotionStatus, NotionTaskContent, content_hash_of
from integrations.notion.errors import is_ambiguous_write
from services.sync.outcomes import PushOutcome, tasks_of
from sync.reconcile import NOTION_OF_STATUS


def notion_content(task: StudyTask, course_code: str) -> NotionTaskContent:
    return NotionTaskContent(
        task_id=str(task.id),
        title=task.title,
        status=NotionStatus(NOTION_OF_STATUS[task.status]),
        scheduled_start=task.scheduled_start,
        scheduled_end=task.scheduled_end,
        due=None,
        course=course_code or None,
        task_type=task.task_type.value,
        minutes=task.estimated_duration_min,
        priority=round(task.priority_score, 3),
        topics=(),
        description=task.plan_reason,
    )


def push_notion(
    engine: Engine,
    client: NotionClient,
    user_id: uuid.UUID,
    data_source_id: str,
    *,
    now: datetime,
    due_of: Callable[[StudyTask], datetime | None] = lambda _t: None,
    topics_of: Callable[[StudyTask], tuple[str, ...]] = lambda _t: (),
) -> PushOutcome:
    """Three steps, so the database work does not grow with the pages: load every dirty page
    (and mark the creates in flight, committed before any call), call Notion page by page, write
    every outcome back in one transaction. A worker killed in between loses only write-backs:
    the in-flight mark makes the retry look a created page up by Task ID, and updates and trashes
    are safe to send again. Only a create still marked from an earlier push is looked up first:
    a first push of N pages costs N calls, not 2N."""
    outcome = PushOutcome()
    with session_scope(engine) as session:
        pages = list(
            session.scalars(
                select(NotionTask).where(
                    NotionTask.user_id == user_id,
                    NotionTask.is_dirty.is_(True),
                    NotionTask.is_trashed.is_(False),
                )
            )
        )
        if not pages:
            return outcome
        tasks = tasks_of(session, (p.study_task_id for p in pages))
        courses = dict(
            session.execute(select(Course.id, Course.code).where(Course.user_id == user_id)).all()
        )
        unconfirmed = {p.id for p in pages if _creates(p) and _in_flight(p.sync_error)}
        before = {p.id: p.sync_error for p in pages if _creates(p) and p.id not in unconfirmed}
        if before:
            session.execute(
                update(NotionTask)
                .where(NotionTask.id.in_(list(before)))
                .values(sync_error=CREATE_IN_FLIGHT)
                .execution_options(synchronize_session=False)
            )
    written: dict[uuid.UUID, dict[str, Any]] = {}
    for page in pages:
        task = tasks[page.study_task_id]
        try:
            written[page.id] = _push_page(
                client,
                page,
                task,
                data_source_id,
                _with_extras(
                    notion_content(task, courses.get(task.course_id, "")),
                    due_of(task),
                    topics_of(task),
                ),
                retrying=page.id in unconfirmed,
            )
            outcome.writes += written[page.id].pop("_wrote")
        except IntegrationError as error:
            may_exist = _creates(page) and _may_have_landed(error)
            text = f"{CREATE_IN_FLIGHT}; {error}" if may_exist else str(error)
            written[page.id] = {"sync_error": text[:2000]}
            outcome.fail(str(page.id), error)
            if not error.retryable:
                break
        finally:
            outcome.recovered += [(str(page.id), r) for r in client.take_recovered()]
    for page_id, previous in before.items():
        written.setdefault(page_id, {"sync_error": previous})  # never sent: the mark goes
    with session_scope(engine) as session:
        rows = {
            p.id: p
            for p in session.scalars(select(NotionTask).where(NotionTask.id.in_(list(written))))
        }
        owners = tasks_of(session, (p.study_task_id for p in rows.values()))
        for page_id, values in written.items():
            row = rows.get(page_id)
            if row is None:
                continue
            for column, value in values.items():
                setattr(row, column, value)
            if values.get("notion_page_id"):
                owners[row.study_task_id].notion_page_id = values["notion_page_id"]
            if "content_hash" in values:
                row.last_sync_at = now
    return outcome


def _creates(page: NotionTask) -> bool:
    return not page.notion_page_id and not page.pending_trash


def _in_flight(sync_error: str | None) -> bool:
    """Marked by an earlier push that never learnt whether its create landed."""
    return bool(sync_error and sync_error.startswith(CREATE_IN_FLIGHT))


def _may_have_landed(error: IntegrationError) -> bool:
    # A refused create (429, 400) created nothing; an ambiguous one, or a failed lookup or
    # adoption after one, may have: keep the mark so the next push looks before creating.
    return is_ambiguous_write(error) or error.operation != "create_page"


def _push_page(
    client: NotionClient,
    page: NotionTask,
    task: StudyTask,
    data_source_id: str,
    content: NotionTaskContent,
    *,
    retrying: bool,
) -> dict[str, Any]:
    """One page's call; returns the columns to write back (and `_wrote`: 1 if Notion changed)."""
    done: dict[str, Any] = {"is_dirty": False, "sync_error": None}
    if page.pending_trash:
        if page.notion_page_id:
            client.trash_page(page.notion_page_id)
        return {**done, "is_trashed": True, "_wrote": int(bool(page.notion_page_id))}
    if page.notion_page_id:
        result = client.update_changed(
            page.notion_page_id, content, page.notion_properties, data_source_id=data_source_id
        )
        if result is None:  # nothing we own differs from what we sent last
            return {**done, "_wrote": 0}
    else:
        result = client.create_page(data_source_id, content, check_existing=retrying)
    return {
        **done,
        "notion_page_id": result.page_id,
        # Agree on what WE sent, not on what came back: if the student edited the page in
        # between, the page differs from this hash and the next pull takes their edit.
        "content_hash": content_hash_of(content),
        "notion_properties": dict(result.properties),
        "is_synced": True,
        "_wrote": 1,
    }


CREATE_IN_FLIGHT = "create sent, outcome not recorded (the next push looks the page up first)"


def _with_extras(
    content: NotionTaskContent, due: datetime | None, topics: tuple[str, ...]
) -> NotionTaskContent:
    from dataclasses import replace

    return replace(content, due=due, topics=topics)


def notion_extras(engine: Engine, user_id: uuid.UUID) -> tuple[Any, Any]:
    with session_scope(engine) as session:
        due = dict(
            session.execute(
                select(Assessment.id, Assessment.due_date)
                .join(Course)
                .where(Course.user_id == user_id)
            ).all()
        )
        names = {
            str(t.id): t.name
            for t in session.scalars(select(Topic).join(Course).where(Course.user_id == user_id))
        }
    return (
        lambda task: due.get(task.assessment_id) if task.assessment_id else None,
        lambda task: tuple(names[t] for t in task.topic_ids if t in names),
    )
