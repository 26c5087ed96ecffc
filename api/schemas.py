"""What the API sends back. Input models are the product's own (db/schemas.py): the API applies
the same rules as the CLI by validating with the same classes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from db.enums import AcademicLevel
from db.models import User
from services.schemas import IanaZone


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    timezone: str
    school_name: str | None
    academic_level: AcademicLevel
    major: str | None
    language: str
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            timezone=user.timezone,
            school_name=user.school_name,
            academic_level=user.academic_level,
            major=user.major,
            language=user.language,
            is_active=user.is_active,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class UserPatch(BaseModel):
    """The fields of a user that PATCH may change; each is checked by `services.schemas.UserIn` once
    merged with the stored values. The email is the user's natural key (and may be what a host
    app's tokens name): it is not changed through the API."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: IanaZone | None = None
    school_name: str | None = Field(default=None, max_length=200)
    academic_level: AcademicLevel | None = None
    major: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")


class MeOut(BaseModel):
    subject: str
    is_admin: bool
    user: UserOut | None  # None for an admin service account that is no user of ours


class CheckOut(BaseModel):
    name: str
    ok: bool
    detail: str


class HealthOut(BaseModel):
    ok: bool
    checks: list[CheckOut]
