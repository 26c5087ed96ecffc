"""The OAuth state and the sign-in link on a real database (SQLite and PostgreSQL): signed,
bound to one student, used at most once, short-lived; only hashes stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.models import OAuthState, SignInLink, User, WebSession
from services.catalog import upsert_user
from services.onboarding import signin
from services.onboarding.errors import ConnectError, SignInError
from services.onboarding.states import consume_state, issue_state
from services.schemas import UserIn
from services.settings import Settings

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path, api_jwt_secret="s" * 40)


def student(session: Session) -> User:
    email = f"s{uuid.uuid4().hex[:8]}@example.edu"
    data = UserIn.model_validate({"email": email, "full_name": "Ada", "timezone": "UTC"})
    user = session.get(User, upsert_user(session, data).id)
    assert user is not None
    return user


def started(session: Session, settings: Settings, user: User, provider: str = "google") -> str:
    return issue_state(
        session,
        settings,
        user_id=user.id,
        provider=provider,
        redirect_uri="http://127.0.0.1/cb",
        code_verifier="v" * 64,
        now=NOW,
    )


def test_a_state_is_used_once_and_only_its_hash_and_an_encrypted_verifier_are_stored(
    session: Session, settings: Settings
) -> None:
    user = student(session)
    state = started(session, settings, user)
    nonce = state.split(".")[0]
    raw = session.execute(text("SELECT nonce_hash, code_verifier FROM oauth_states")).all()
    assert all(nonce not in str(row[0]) for row in raw)
    assert all(b"v" * 64 not in bytes(row[1]) for row in raw if row[1] is not None)
    flow = consume_state(session, settings, state, user_id=user.id, provider="google", now=NOW)
    assert flow.code_verifier == "v" * 64 and flow.redirect_uri == "http://127.0.0.1/cb"
    with pytest.raises(ConnectError) as replay:
        consume_state(session, settings, state, user_id=user.id, provider="google", now=NOW)
    assert replay.value.problem == "state_replayed"


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda s: s.split(".")[0] + "." + "0" * 64, "state_invalid"),
        (lambda s: "x" + s, "state_invalid"),
        (lambda s: "", "state_invalid"),
        (lambda s: s.split(".")[0], "state_invalid"),
    ],
)
def test_a_forged_state_is_refused_and_stays_usable_for_its_owner(
    session: Session, settings: Settings, tamper: object, problem: str
) -> None:
    user = student(session)
    state = started(session, settings, user)
    with pytest.raises(ConnectError) as refused:
        consume_state(
            session,
            settings,
            tamper(state),  # type: ignore[operator]
            user_id=user.id,
            provider="google",
            now=NOW,
        )
    assert refused.value.problem == problem
    consume_state(session, settings, state, user_id=user.id, provider="google", now=NOW)


def test_a_state_of_another_student_another_provider_or_too_old_is_refused(
    session: Session, settings: Settings
) -> None:
    owner, other = student(session), student(session)
    state = started(session, settings, owner)
    with pytest.raises(ConnectError) as foreign:
        consume_state(session, settings, state, user_id=other.id, provider="google", now=NOW)
    assert foreign.value.problem == "state_foreign"
    with pytest.raises(ConnectError) as wrong_provider:
        consume_state(session, settings, state, user_id=owner.id, provider="notion", now=NOW)
    assert wrong_provider.value.problem == "state_invalid"
    late = NOW + timedelta(minutes=settings.oauth_state_minutes, seconds=1)
    with pytest.raises(ConnectError) as expired:
        consume_state(session, settings, state, user_id=owner.id, provider="google", now=late)
    assert expired.value.problem == "state_expired"
    row = session.scalars(select(OAuthState).where(OAuthState.user_id == owner.id)).one()
    assert row.used_at is None  # none of the refusals used it up


def test_a_state_signed_with_another_key_is_refused(session: Session, settings: Settings) -> None:
    user = student(session)
    state = started(session, settings, user)
    other_key = settings.model_copy(update={"web_secret": SecretStr("k" * 40)})
    with pytest.raises(ConnectError) as refused:
        consume_state(session, other_key, state, user_id=user.id, provider="google", now=NOW)
    assert refused.value.problem == "state_invalid"


def test_a_sign_in_link_works_once_within_its_time(session: Session, settings: Settings) -> None:
    user = student(session)
    token = signin.create_invite(session, settings, user, now=NOW)
    assert session.scalars(select(SignInLink.token_hash)).all() != [token]
    assert signin.peek_invite(session, token, now=NOW).id == user.id  # looking uses nothing
    assert signin.redeem_invite(session, token, now=NOW) == user.id
    with pytest.raises(SignInError, match="already used"):
        signin.redeem_invite(session, token, now=NOW)
    late = signin.create_invite(session, settings, user, now=NOW)
    after = NOW + timedelta(minutes=settings.web_invite_minutes, seconds=1)
    with pytest.raises(SignInError, match="expired"):
        signin.redeem_invite(session, late, now=after)
    with pytest.raises(SignInError, match="not valid"):
        signin.redeem_invite(session, "made-up", now=NOW)


def test_a_session_lives_until_it_ends_or_expires(session: Session, settings: Settings) -> None:
    user = student(session)
    cookie = signin.start_session(session, settings, user.id, origin="invite", now=NOW)
    found = signin.find_session(session, settings, cookie, now=NOW)
    assert found is not None and found.user_id == user.id
    assert signin.csrf_ok(settings, cookie, found.csrf)
    assert not signin.csrf_ok(settings, cookie, "forged")
    assert not signin.csrf_ok(settings, "another-cookie", found.csrf)
    assert session.scalars(select(WebSession.token_hash)).all() != [cookie]
    later = NOW + timedelta(hours=settings.web_session_hours, seconds=1)
    assert signin.find_session(session, settings, cookie, now=later) is None
    signin.end_session(session, cookie, now=NOW)
    assert signin.find_session(session, settings, cookie, now=NOW) is None
