"""Token minting and verification without a server: claims by id or email, dotted admin
claims, the algorithm lists, and the embedded secret made once even when processes race."""

from __future__ import annotations

import multiprocessing
import uuid
from pathlib import Path

import pytest

from api.auth import TokenVerifier, _claim, _is_admin, jwks_algorithms, mint_token
from api.errors import ApiError
from services.settings import Settings

SECRET = "unit-secret-" + "q" * 30


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path, api_jwt_secret=SECRET, **values)  # type: ignore[arg-type]


def test_a_minted_token_verifies_and_names_the_user(tmp_path: Path) -> None:
    s = settings(tmp_path)
    user_id = uuid.uuid4()
    claims = TokenVerifier(s).verify(mint_token(s, user_id=user_id, email="a@example.edu"))
    assert claims.user_ref == str(user_id) and claims.subject == str(user_id)
    assert claims.is_admin is False


def test_email_user_claims_and_nested_admin_claims(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        api_user_claim="email",
        api_user_key="email",
        api_admin_claim="app_metadata.roles",
    )
    token = mint_token(s, user_id=uuid.uuid4(), email="a@example.edu", admin=True)
    claims = TokenVerifier(s).verify(token)
    assert claims.user_ref == "a@example.edu" and claims.is_admin is True


def test_a_token_for_one_issuer_fails_under_another(tmp_path: Path) -> None:
    token = mint_token(settings(tmp_path), user_id=uuid.uuid4(), email="a@example.edu")
    other = TokenVerifier(settings(tmp_path, api_jwt_issuer="someone-else"))
    with pytest.raises(ApiError) as refused:
        other.verify(token)
    assert refused.value.status == 401 and "issuer" in refused.value.message


def test_claim_helpers() -> None:
    payload = {"app_metadata": {"role": "admin", "roles": ["x", "admin"]}, "admin": True}
    assert _claim(payload, "app_metadata.role") == "admin"
    assert _claim(payload, "app_metadata.missing.deeper") is None
    assert _is_admin(_claim(payload, "app_metadata.roles"), "admin")
    assert _is_admin(True, "admin") and not _is_admin("authenticated", "admin")
    assert not _is_admin(1, "admin")  # only true, the value, or a list holding it


def test_jwks_algorithm_lists() -> None:
    assert jwks_algorithms(" RS256, ES256 ") == ["RS256", "ES256"]
    for bad in ("HS256", "RS256,none", ""):
        with pytest.raises(ValueError, match="only asymmetric"):
            jwks_algorithms(bad)


def _read_secret(var_dir: str) -> str:
    return Settings(_env_file=None, var_dir=Path(var_dir)).api_jwt_secret_value()


def test_the_embedded_secret_is_made_once_even_when_processes_race(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        secrets = pool.map(_read_secret, [str(tmp_path)] * 8)
    assert len(set(secrets)) == 1 and len(secrets[0]) >= 32
    assert (tmp_path / "api-jwt.secret").read_text().strip() == secrets[0]
    assert (tmp_path / "api-jwt.secret").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["api-jwt.secret"]  # no temp file left
