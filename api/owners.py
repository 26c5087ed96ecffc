"""What the resource routes share beyond api/deps.py: the student a request acts for when the
id is in the body or the query (not the path), rows reached through a course, and the
product's input problems placed where the client sent them.

The rule is the one of `owned`: another user's id answers 404, the same as an id that does not
exist, before anything is read or written for it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import owned
from api.errors import ApiError, FieldError
from db.models import Course, User
from planner.problems import InvalidInput


def acting_user(
    session: Session, principal: Principal, user_id: uuid.UUID | None, *, where: str
) -> User:
    """The user named by `user_id` (the caller when it is left out); 404 for another user's.

    `where` is the field's path (`body.user_id`, `query.user_id`) for the 422 an admin service
    account gets when it names nobody."""
    if user_id is None:
        if principal.user_id is None:
            raise ApiError(
                422,
                "the request is not valid",
                fields=[FieldError(path=where, reason="a token of no user must name the user")],
            )
        user_id = principal.user_id
    if not principal.may_access(user_id):
        raise ApiError(404, "user not found")
    return owned(session, principal, User, user_id, what="user", owner=lambda u: u.id)


def owned_course(session: Session, principal: Principal, course_id: uuid.UUID) -> Course:
    return owned(session, principal, Course, course_id, what="course")


_INDEX = re.compile(r"\[(\d+)\]")


def in_request(
    exc: InvalidInput, *, prefix: str = "body", rename: Mapping[str, str] | None = None
) -> ApiError:
    """A service's `InvalidInput` as the 422 of a JSON body: `tasks[0].topics` becomes
    `body.tasks.0.topics`, the way pydantic's own errors name a field."""
    fields = []
    for problem in exc.problems:
        name = (rename or {}).get(problem.field or "", problem.field)
        path = _INDEX.sub(r".\1", name) if name else ""
        where = f"{prefix}.{path}" if path else prefix
        fields.append(FieldError(path=where, reason=problem.reason))
    return ApiError(422, "the input is not valid; nothing was changed", fields=fields)


def _date_or_time(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"'{value[:40]}' is not a date (2027-01-11) or a date-time (2027-01-11T09:00[+01:00])"
        ) from None


# One answer for a bad value (a plain `date | datetime` reports the union's two branches).
DateOrTime = Annotated[date | datetime, BeforeValidator(_date_or_time)]


def local_instant(value: date | datetime, zone: str, *, end_of_day: bool = False) -> datetime:
    """A query's date or date-time as an instant: a bare date is that day in the student's
    zone (its start, or the start of the next day for the end of a range); a date-time without
    an offset is the student's local time."""
    tz = ZoneInfo(zone)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    day = value + timedelta(days=1) if end_of_day else value
    return datetime.combine(day, time(0, 0), tz)


def now_utc() -> datetime:
    return datetime.now(UTC)
