"""Users and their preferences: `/v1/me`, `/v1/users` (admin), `/v1/users/{user_id}` and
`/v1/users/{user_id}/preferences`. Writes go through db/catalog.py, the functions the CLI's
`studyplanner user add` uses, after validation by the same db/schemas.py models."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy import select

from api.deps import AdminPrincipal, CurrentPrincipal, DbSession, OwnedUser, read_only
from api.errors import COMMON_RESPONSES, ApiError, pydantic_fields
from api.pagination import Page, Pagination, paginate
from api.schemas import MeOut, UserOut, UserPatch
from db.models import User, UserPreferences
from services import catalog
from services.schemas import PreferencesIn, UserIn

router = APIRouter(tags=["users"], responses=COMMON_RESPONSES)


@router.get("/me", response_model=MeOut, summary="Who the token stands for")
def me(principal: CurrentPrincipal, session: DbSession) -> MeOut:
    user = session.get(User, principal.user_id) if principal.user_id else None
    return MeOut(
        subject=principal.subject,
        is_admin=principal.is_admin,
        user=UserOut.of(user) if user else None,
    )


@router.get("/users", response_model=Page[UserOut], summary="Every user (admins only)")
def list_users(
    _admin: AdminPrincipal, session: DbSession, page: Pagination, request: Request
) -> Page[UserOut]:
    stmt = select(User).order_by(User.created_at, User.id)
    return paginate(session, stmt, page, request, UserOut.of)


@router.get("/users/{user_id}", response_model=UserOut, summary="One user")
@read_only
async def get_user(user: OwnedUser) -> UserOut:  # the row is loaded: no I/O left, no thread
    return UserOut.of(user)


@router.patch("/users/{user_id}", response_model=UserOut, summary="Change a user's profile")
def patch_user(user: OwnedUser, patch: UserPatch, session: DbSession) -> UserOut:
    current = {
        "email": user.email,
        "full_name": user.full_name,
        "timezone": user.timezone,
        "school_name": user.school_name,
        "academic_level": user.academic_level,
        "major": user.major,
        "language": user.language,
    }
    merged = current | patch.model_dump(exclude_unset=True)
    try:
        data = UserIn.model_validate(merged)
    except ValidationError as exc:
        fields = pydantic_fields({**e, "loc": ("body", *e["loc"])} for e in exc.errors())
        raise ApiError(422, "the request is not valid", fields=fields) from None
    catalog.upsert_user(session, data)
    session.refresh(user)
    return UserOut.of(user)


def _preferences_of(session: DbSession, user: User) -> PreferencesIn:
    row = session.scalars(select(UserPreferences).where(UserPreferences.user_id == user.id)).first()
    if row is None:
        return PreferencesIn()
    return PreferencesIn.model_validate(
        {
            "max_hours_per_day": row.max_hours_per_day,
            "preferred_block_length_min": row.preferred_block_length_min,
            "break_length_min": row.break_length_min,
            "earliest_start_time": row.earliest_start_time,
            "latest_end_time": row.latest_end_time,
            "weekly_availability": row.weekly_availability,
            "difficulty_curve": row.difficulty_curve,
            "study_mode_preferences": row.study_mode_preferences,
            "enable_spaced_repetition": row.enable_spaced_repetition,
            "min_review_interval_days": row.min_review_interval_days,
        }
    )


@router.get(
    "/users/{user_id}/preferences", response_model=PreferencesIn, summary="Study preferences"
)
def get_preferences(user: OwnedUser, session: DbSession) -> PreferencesIn:
    return _preferences_of(session, user)


@router.put(
    "/users/{user_id}/preferences",
    response_model=PreferencesIn,
    summary="Replace the study preferences (fields left out take their defaults)",
)
def put_preferences(user: OwnedUser, prefs: PreferencesIn, session: DbSession) -> PreferencesIn:
    catalog.upsert_preferences(session, user, prefs)
    session.flush()
    return _preferences_of(session, user)
