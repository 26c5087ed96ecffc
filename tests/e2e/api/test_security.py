"""Tokens the API must refuse, in both auth modes: forged, expired, not yet valid, `alg: none`,
HS/RS confusion, another audience or issuer, missing claims, unknown keys and users. JWKS mode
reads its keys from a small JWKS server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from api.app import create_api
from db.models import User
from db.session import session_scope
from tests.e2e.api.conftest import SECRET, Api, api_settings, running_api

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ISSUER = "https://auth.example.test/auth/v1"
AUDIENCE = "authenticated"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(payload, default=str).encode())
    return f"{head}.{body}"


def hs256_with_raw_key(payload: dict[str, Any], key: bytes, kid: str | None = None) -> str:
    """HS256 by hand: PyJWT itself refuses a PEM public key as an HMAC secret, an attacker
    does not."""
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = unsigned(header, payload)
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def claims(**extra: Any) -> dict[str, Any]:
    """Valid time claims plus `extra`; a None in `extra` leaves that claim out."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=10),
    }
    for key, value in extra.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def get_me(api: Api, token: str) -> httpx.Response:
    with api.client(token) as client:
        return client.get("/v1/me")


def assert_refused(resp: httpx.Response, reason: str) -> None:
    assert resp.status_code == 401, resp.text
    assert resp.headers["www-authenticate"].startswith("Bearer")
    error = resp.json()["error"]
    assert error["code"] == "unauthorized"
    assert reason in error["message"], error["message"]
    assert error["request_id"] == resp.headers["x-request-id"]


# --- hs256 (the embedded default) -----------------------------------------------------------------


def hs(subject: str, secret: str = SECRET, **extra: Any) -> str:
    defaults = {"sub": subject, "iss": "studyplanner", "aud": "studyplanner-api"}
    payload = claims(**(defaults | extra))
    return jwt.encode(payload, secret, algorithm="HS256")


def test_no_token_or_another_scheme(api: Api) -> None:
    with api.client() as client:
        missing = client.get("/v1/me")
        basic = client.get("/v1/me", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert_refused(missing, "no bearer token")
    assert missing.headers["www-authenticate"] == 'Bearer realm="studyplanner"'
    assert_refused(basic, "no bearer token")


def test_hs256_refusals(api: Api) -> None:
    user = str(api.new_user())
    past = datetime.now(UTC) - timedelta(hours=1)
    future = datetime.now(UTC) + timedelta(hours=1)
    cases = {
        "not-a-jwt": "malformed token",
        hs(user, secret="another-secret-" + "y" * 40): "signature is not valid",
        hs(user, exp=past, iat=past - timedelta(hours=1), nbf=past): "expired",
        hs(user, nbf=future): "not valid yet",
        hs(user, aud="someone-else"): "another audience",
        hs(user, iss="https://evil.example"): "another issuer",
        hs(user, sub=None): "'sub'",
        hs(user, exp=None): "'exp'",
        hs(user, aud=None): "'aud'",
        hs(str(uuid.uuid4())): "no user",
        hs("ada@example.edu"): "no user",
        unsigned({"alg": "none", "typ": "JWT"}, claims(sub=user, iss="studyplanner", aud="x"))
        + ".":
        # a token that asks not to be checked
        "'none' is not accepted",
        jwt.encode(
            claims(sub=user, iss="studyplanner", aud="studyplanner-api"), RSA_KEY, algorithm="RS256"
        ): "'RS256' is not accepted",
    }
    for token, reason in cases.items():
        resp = get_me(api, token)
        assert_refused(resp, reason)
        assert 'error="invalid_token"' in resp.headers["www-authenticate"]
    assert get_me(api, hs(user)).status_code == 200  # the same claims, correctly signed


def test_a_deactivated_user_is_refused(api: Api) -> None:
    user_id = api.new_user()
    token = api.token(user_id)
    assert get_me(api, token).status_code == 200
    with session_scope(api.engine) as session:
        row = session.get(User, user_id)
        assert row is not None
        row.is_active = False
    assert_refused(get_me(api, token), "not active")


# --- jwks (a host app's keys) ---------------------------------------------------------------------


class JwksServer:
    def __init__(self, keys: list[dict[str, Any]]) -> None:
        body = json.dumps({"keys": keys}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def jwk(public_key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = RSAAlgorithm if alg.startswith("RS") else ECAlgorithm
    data: dict[str, Any] = algorithm.to_jwk(public_key, as_dict=True)
    return data | {"kid": kid, "alg": alg, "use": "sig"}


@pytest.fixture(scope="module")
def jwks_api(api_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    server = JwksServer(
        [
            jwk(RSA_KEY.public_key(), "rsa-1", "RS256"),
            jwk(EC_KEY.public_key(), "ec-1", "ES256"),
        ]
    )
    settings = api_settings(
        tmp_path_factory.mktemp("jwks-var"),
        api_database_url,
        api_auth_mode="jwks",
        api_jwks_url=server.url,
        api_jwt_issuer=ISSUER,
        api_jwt_audience=AUDIENCE,
        api_user_claim="email",
        api_user_key="email",
        api_admin_claim="app_metadata.role",
    )
    try:
        with running_api(settings) as running:
            yield running
    finally:
        server.stop()


def host_token(address: str, key: Any, alg: str, kid: str, **extra: Any) -> str:
    defaults = {"sub": f"host-{uuid.uuid4()}", "iss": ISSUER, "aud": AUDIENCE, "email": address}
    payload = claims(**(defaults | extra))
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def new_host_user(api: Api) -> str:
    email = f"host-{uuid.uuid4().hex[:8]}@example.edu"
    api.new_user(email=email)
    return email


def test_jwks_accepts_the_host_apps_rs256_and_es256_tokens(jwks_api: Api) -> None:
    email = new_host_user(jwks_api)
    for token in (
        host_token(email, RSA_KEY, "RS256", "rsa-1"),
        host_token(email.upper(), EC_KEY, "ES256", "ec-1"),
    ):
        resp = get_me(jwks_api, token)
        assert resp.status_code == 200, resp.text
        assert resp.json()["user"]["email"] == email


def test_jwks_refusals(jwks_api: Api) -> None:
    email = new_host_user(jwks_api)
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    good = claims(sub="host-1", iss=ISSUER, aud=AUDIENCE, email=email)
    cases = {
        # HS/RS confusion: the RSA public key (which anyone can fetch) used as an HMAC secret.
        hs256_with_raw_key(good, public_pem, kid="rsa-1"): "'HS256' is not accepted",
        hs256_with_raw_key(good, SECRET.encode()): "'HS256' is not accepted",
        host_token(email, OTHER_RSA_KEY, "RS256", "rsa-1"): "signature is not valid",
        host_token(email, RSA_KEY, "RS256", "unknown-kid"): "no key matches",
        host_token(email, RSA_KEY, "RS384", "rsa-1"): "'RS384' is not accepted",
        host_token(email, RSA_KEY, "RS256", "rsa-1", aud="studyplanner-api"): "another audience",
        host_token(email, RSA_KEY, "RS256", "rsa-1", iss="https://other.example"): "issuer",
        host_token(email, EC_KEY, "ES256", "ec-1", email=None): "'email'",
        host_token("nobody@example.edu", RSA_KEY, "RS256", "rsa-1"): "no user",
        unsigned({"alg": "none", "kid": "rsa-1"}, good) + ".": "'none' is not accepted",
    }
    for token, reason in cases.items():
        assert_refused(get_me(jwks_api, token), reason)


def test_jwks_admin_claim_and_service_accounts(jwks_api: Api) -> None:
    student = jwks_api.new_user()
    admin_meta = {"role": "admin"}
    service = host_token(
        "orchestrator@service.test", RSA_KEY, "RS256", "rsa-1", app_metadata=admin_meta
    )
    me = get_me(jwks_api, service).json()
    assert me["is_admin"] is True and me["user"] is None
    with jwks_api.client(service) as client:
        assert client.get(f"/v1/users/{student}").status_code == 200
    plain = host_token(new_host_user(jwks_api), RSA_KEY, "RS256", "rsa-1")
    with jwks_api.client(plain) as client:
        assert client.get(f"/v1/users/{student}").status_code == 404


def test_jwks_unreachable_is_503_not_401(api_database_url: str, tmp_path: Path) -> None:
    settings = api_settings(
        tmp_path,
        api_database_url,
        api_auth_mode="jwks",
        api_jwks_url="http://127.0.0.1:9/jwks.json",  # the discard port: nothing listens
        api_jwt_issuer=ISSUER,
        api_jwt_audience=AUDIENCE,
    )
    with running_api(settings) as running:
        resp = get_me(running, host_token("a@example.edu", RSA_KEY, "RS256", "rsa-1"))
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "auth_unavailable"


def test_symmetric_algorithms_cannot_be_configured_for_jwks(tmp_path: Path) -> None:
    settings = api_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'x.sqlite3'}",
        api_auth_mode="jwks",
        api_jwks_url="http://127.0.0.1:9/jwks.json",
        api_jwt_algorithms="RS256,HS256",
    )
    with pytest.raises(ValueError, match="only asymmetric"):
        create_api(settings)
