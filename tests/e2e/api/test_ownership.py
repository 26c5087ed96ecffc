"""Every route under /v1, from the app's own OpenAPI document: without a token it answers 401;
with another student's token on this student's ids it answers 404 and the database is
unchanged; with the owner's token it works. A route missing from `ROUTES` fails the test, so a
new route cannot ship without its ownership check.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from sqlalchemy import Engine, select

from api.app import create_api
from api.routes import PUBLIC_ROUTES
from db.models import Base
from services.settings import Settings
from tests.e2e.api.conftest import SECRET, Api

Kind = Literal["owned", "self", "admin"]


@dataclass(frozen=True)
class Call:
    """How to call a route. `kind`: "owned" — the path (or body) names the victim's rows;
    "self" — the route serves whoever calls it (no ids to steal); "admin" — admins only.
    Strings in `json` may hold `{user_id}`-style placeholders for the victim's ids."""

    kind: Kind = "owned"
    json: dict[str, Any] | None = None
    ok: set[int] = field(default_factory=lambda: {200})


# ---- the table: one row per (method, path) under /v1 --------------------------------------------
ROUTES: dict[tuple[str, str], Call] = {
    ("GET", "/v1/me"): Call(kind="self"),
    ("GET", "/v1/users"): Call(kind="admin"),
    ("GET", "/v1/users/{user_id}"): Call(),
    ("PATCH", "/v1/users/{user_id}"): Call(json={"full_name": "Mallory was here"}),
    ("GET", "/v1/users/{user_id}/preferences"): Call(),
    ("PUT", "/v1/users/{user_id}/preferences"): Call(json={"max_hours_per_day": 9}),
}


@dataclass(frozen=True)
class Victim:
    ids: dict[str, str]  # path parameter name -> the victim's id for it


# How each path parameter is filled from the victim's data. Add a builder for a new parameter.
PARAMETERS: dict[str, Callable[[Api, uuid.UUID], str]] = {
    "user_id": lambda api, user_id: str(user_id),
}


def api_routes() -> set[tuple[str, str]]:
    settings = Settings(_env_file=None, api_jwt_secret=SECRET, database_url="sqlite://")
    spec = create_api(settings).openapi()
    return {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if path.startswith("/v1/")
    }


def test_the_table_lists_every_route() -> None:
    routes = api_routes()
    missing = sorted(routes - PUBLIC_ROUTES - set(ROUTES))
    stale = sorted(set(ROUTES) - routes)
    assert not missing, f"routes without an ownership row in ROUTES: {missing}"
    assert not stale, f"ROUTES lists routes the app does not have: {stale}"
    assert routes >= PUBLIC_ROUTES


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: "nothing written" means this does not change."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in conn.execute(select(table))), key=repr
            )
            for table in Base.metadata.sorted_tables
        }


def fill(template: str, victim: Victim) -> str:
    return template.format(**victim.ids)


def fill_json(value: Any, victim: Victim) -> Any:
    if isinstance(value, str):
        return fill(value, victim)
    if isinstance(value, dict):
        return {k: fill_json(v, victim) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_json(v, victim) for v in value]
    return value


def make_victim(api: Api) -> tuple[uuid.UUID, Victim]:
    user_id = api.new_user(full_name="Victoria Victim")
    return user_id, Victim({name: build(api, user_id) for name, build in PARAMETERS.items()})


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_route_checks_ownership(api: Api, route: tuple[str, str]) -> None:
    method, template = route
    call = ROUTES[route]
    victim_id, victim = make_victim(api)
    attacker_id = api.new_user(full_name="Mallory")
    path = fill(template, victim)
    body = fill_json(call.json, victim) if call.json is not None else None

    with api.client() as anonymous:
        resp = anonymous.request(method, path, json=body)
    assert resp.status_code == 401, f"{method} {template} without a token: {resp.status_code}"

    before = snapshot(api.engine)
    with api.client(api.token(attacker_id)) as attacker:
        resp = attacker.request(method, path, json=body)
    if call.kind == "self":
        assert resp.status_code in call.ok
        assert str(victim_id) not in resp.text
    else:
        assert resp.status_code == 404, f"{method} {template} as another user: {resp.text}"
        assert resp.json()["error"]["code"] == "not_found"
    assert snapshot(api.engine) == before, f"{method} {template} wrote for another user"

    owner = api.token(victim_id, admin=call.kind == "admin")
    with api.client(owner) as client:
        resp = client.request(method, path, json=body)
    assert resp.status_code in call.ok, f"{method} {template} as its owner: {resp.text}"
