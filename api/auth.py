"""Bearer tokens: verification (PyJWT), the principal a token stands for, and local minting.

Two modes (`STUDYPLANNER_API_AUTH_MODE`), each with its own fixed list of algorithms, so a
token can never choose how it is checked:

- `hs256`: one shared secret, HS256 only (`studyplanner api token` mints such tokens);
- `jwks`: a host app's asymmetric keys (RS256/ES256 by default) fetched from a JWKS URL. No HMAC
  algorithm is ever accepted there, which rules out the HS/RS confusion attack (an HS256 token
  "signed" with the RSA public key).

Every token must carry `exp`, `iss`, `aud` and `sub`, and they are checked (with a small leeway
for clock skew). The user claim (`sub` by default) names a user by id or by email; the admin
claim marks a principal who sees every user.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from jwt import PyJWKClient

from api.errors import ApiError
from services.settings import Settings

HS_ALGORITHMS = ("HS256",)
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's subject, the user it maps to, and whether it is an admin.

    An admin token of a host app may name no user of ours (a service account): `user_id` is
    then None and the principal sees every user but is none of them."""

    subject: str
    user_id: uuid.UUID | None
    is_admin: bool

    def may_access(self, user_id: uuid.UUID) -> bool:
        return self.is_admin or self.user_id == user_id

    @property
    def rate_key(self) -> str:
        return str(self.user_id) if self.user_id else f"sub:{self.subject}"


@dataclass(frozen=True, slots=True)
class Claims:
    subject: str
    user_ref: str  # the user claim's value: an id or an email, per STUDYPLANNER_API_USER_KEY
    is_admin: bool


def unauthorized(reason: str) -> ApiError:
    # RFC 6750: the challenge names the scheme, and the error when a token was sent.
    challenge = 'Bearer realm="studyplanner"'
    if reason != "no bearer token":
        challenge += ', error="invalid_token"'
    return ApiError(401, reason, headers={"WWW-Authenticate": challenge})


def _claim(payload: dict[str, Any], dotted: str) -> Any:
    value: Any = payload
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _is_admin(value: Any, wanted: str) -> bool:
    if value is True:
        return True
    if isinstance(value, str):
        return value == wanted
    if isinstance(value, list):
        return wanted in value
    return False


class TokenVerifier:
    """Checks a token and returns its claims; raises the 401 `ApiError` otherwise."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jwks: PyJWKClient | None = None
        self._key: str | None = None
        if settings.api_auth_mode == "hs256":
            self._algorithms = list(HS_ALGORITHMS)
            self._key = settings.api_jwt_secret_value()
        else:
            self._algorithms = jwks_algorithms(settings.api_jwt_algorithms)
            if not settings.api_jwks_url:
                raise ValueError("STUDYPLANNER_API_JWKS_URL is needed in jwks mode")
            self._jwks = PyJWKClient(settings.api_jwks_url, lifespan=300, timeout=5)

    @property
    def algorithms(self) -> list[str]:
        return list(self._algorithms)

    def verify(self, token: str) -> Claims:
        s = self._settings
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthorized("malformed token") from None
        # Checked before any key is looked up, so `alg: none` or a symmetric algorithm in
        # jwks mode never reaches a key at all.
        if header.get("alg") not in self._algorithms:
            raise unauthorized(
                f"token algorithm {header.get('alg')!r} is not accepted "
                f"(accepted: {', '.join(self._algorithms)})"
            )
        key: Any = self._key
        if self._jwks is not None:
            try:
                key = self._jwks.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientConnectionError:
                raise ApiError(
                    503, "the token keys (JWKS) cannot be fetched right now; try again",
                    code="auth_unavailable", headers={"Retry-After": "5"},
                ) from None  # fmt: skip
            except jwt.PyJWTError:
                raise unauthorized("no key matches the token's key id") from None
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=s.api_jwt_audience,
                issuer=s.api_jwt_issuer,
                leeway=s.api_jwt_leeway_s,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("token expired") from None
        except jwt.ImmatureSignatureError:
            raise unauthorized("token not valid yet") from None
        except jwt.InvalidAudienceError:
            raise unauthorized("token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise unauthorized("token is from another issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise unauthorized(f"token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise unauthorized("token signature is not valid") from None
        except jwt.PyJWTError:
            raise unauthorized("token is not valid") from None
        subject = payload.get("sub")
        user_ref = _claim(payload, s.api_user_claim)
        if not isinstance(subject, str) or not subject:
            raise unauthorized("token lacks the 'sub' claim")
        if not isinstance(user_ref, str) or not user_ref:
            raise unauthorized(f"token lacks the {s.api_user_claim!r} claim")
        is_admin = _is_admin(_claim(payload, s.api_admin_claim), s.api_admin_value)
        return Claims(subject=subject, user_ref=user_ref, is_admin=is_admin)


def jwks_algorithms(configured: str) -> list[str]:
    names = [a.strip() for a in configured.split(",") if a.strip()]
    refused = [a for a in names if a not in ASYMMETRIC_ALGORITHMS]
    if refused or not names:
        raise ValueError(
            f"STUDYPLANNER_API_JWT_ALGORITHMS may list only asymmetric algorithms "
            f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}); refused: {refused or 'an empty list'}"
        )
    return names


def mint_token(
    settings: Settings,
    *,
    user_id: uuid.UUID,
    email: str,
    admin: bool = False,
    ttl: timedelta = timedelta(hours=1),
    now: datetime | None = None,
) -> str:
    """An HS256 token for local use (the CLI, tests, benchmarks, a front end in development)."""
    if settings.api_auth_mode != "hs256":
        raise ValueError(
            "tokens are minted here only in hs256 mode; in jwks mode the host app issues them"
        )
    issued = now or datetime.now(UTC)
    ref = str(user_id) if settings.api_user_key == "id" else email
    claims: dict[str, Any] = {
        "sub": ref,
        "iss": settings.api_jwt_issuer,
        "aud": settings.api_jwt_audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
    }
    if settings.api_user_claim != "sub":
        _set_claim(claims, settings.api_user_claim, ref)
    if admin:
        _set_claim(claims, settings.api_admin_claim, settings.api_admin_value)
    return jwt.encode(claims, settings.api_jwt_secret_value(), algorithm="HS256")


def _set_claim(claims: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = claims
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
