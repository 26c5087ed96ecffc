"""Users, preferences, health and the API's conventions, over a real server on SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid

from tests.e2e.api.conftest import Api


def field_paths(body: dict[str, object]) -> set[str]:
    error = body["error"]
    assert isinstance(error, dict)
    return {f["path"] for f in error["fields"]}


def test_health_reports_every_check_and_no_secret(api: Api) -> None:
    with api.client() as client:
        resp = client.get("/v1/health")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["ok"] is True
    names = [c["name"] for c in body["checks"]]
    assert names == ["database", "broker", "workers", "integrations", "secrets"]
    assert resp.headers["x-request-id"]
    if "postgres" in api.settings.effective_database_url:
        assert "postgresql" in body["checks"][0]["detail"]


def test_openapi_and_docs_are_served(api: Api) -> None:
    with api.client() as client:
        spec = client.get("/openapi.json").json()
        docs = client.get("/docs")
    assert "/v1/users/{user_id}/preferences" in spec["paths"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_me_names_the_tokens_user(api: Api) -> None:
    user_id = api.new_user(full_name="Grace Hopper")
    with api.client(api.token(user_id)) as client:
        resp = client.get("/v1/me")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["subject"] == str(user_id) and body["is_admin"] is False
    assert body["user"]["full_name"] == "Grace Hopper"


def test_patch_user_validates_with_the_products_rules(api: Api) -> None:
    user_id = api.new_user()
    with api.client(api.token(user_id)) as client:
        ok = client.patch(
            f"/v1/users/{user_id}", json={"full_name": "Ada L.", "timezone": "America/Chicago"}
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["timezone"] == "America/Chicago"
        bad = client.patch(
            f"/v1/users/{user_id}", json={"timezone": "Mars/Olympus", "language": "english"}
        )
        assert bad.status_code == 422
        assert field_paths(bad.json()) == {"body.timezone", "body.language"}
        assert "IANA" in str(bad.json()["error"]["fields"])
        email = client.patch(f"/v1/users/{user_id}", json={"email": "new@example.edu"})
        assert email.status_code == 422 and field_paths(email.json()) == {"body.email"}
        after = client.get(f"/v1/users/{user_id}").json()
    assert after["full_name"] == "Ada L." and after["timezone"] == "America/Chicago"
    assert after["email"].startswith("student-")


def test_sql_looking_strings_are_stored_literally(api: Api) -> None:
    user_id = api.new_user()
    name = "Robert'); DROP TABLE users;--"
    school = "1' OR '1'='1"
    with api.client(api.token(user_id)) as client:
        resp = client.patch(f"/v1/users/{user_id}", json={"full_name": name, "school_name": school})
        assert resp.status_code == 200, resp.text
        again = client.get(f"/v1/users/{user_id}").json()
        other = api.new_user()  # the users table is still there
        assert client.get(f"/v1/users/{other}").status_code == 404
    assert again["full_name"] == name and again["school_name"] == school


def test_malformed_json_is_422_with_the_error_shape(api: Api) -> None:
    user_id = api.new_user()
    with api.client(api.token(user_id)) as client:
        resp = client.patch(
            f"/v1/users/{user_id}",
            content=b'{"full_name": ',
            headers={"Content-Type": "application/json"},
        )
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["request_id"] == resp.headers["x-request-id"]
    assert error["fields"] and error["fields"][0]["path"].startswith("body")


def test_preferences_round_trip_and_refusals(api: Api) -> None:
    user_id = api.new_user()
    url = f"/v1/users/{user_id}/preferences"
    with api.client(api.token(user_id)) as client:
        defaults = client.get(url).json()
        assert defaults["max_hours_per_day"] == 4.0
        wanted = {
            "max_hours_per_day": 3,
            "preferred_block_length_min": 45,
            "weekly_availability": {"monday": [{"start": "09:00", "end": "12:00"}]},
            "enable_spaced_repetition": False,
        }
        put = client.put(url, json=wanted)
        assert put.status_code == 200, put.text
        bad = client.put(
            url,
            json={
                "max_hours_per_day": 20,
                "weekly_availability": {"funday": [], "monday": [{"start": "12:00", "end": "9"}]},
            },
        )
        assert bad.status_code == 422
        paths = field_paths(bad.json())
        assert "body.max_hours_per_day" in paths
        assert any(p.startswith("body.weekly_availability") for p in paths)
        stored = client.get(url).json()
    assert stored["max_hours_per_day"] == 3
    assert stored["weekly_availability"] == {"monday": [{"start": "09:00", "end": "12:00"}]}
    assert stored["enable_spaced_repetition"] is False


def test_admin_lists_every_user_page_by_page(api: Api) -> None:
    created = {api.new_user() for _ in range(3)}
    admin = api.new_user()
    seen: set[uuid.UUID] = set()
    with api.client(api.token(admin, admin=True)) as client:
        url: str | None = "/v1/users?limit=2"
        pages = 0
        while url is not None:
            page = client.get(url)
            assert page.status_code == 200, page.text
            body = page.json()
            assert len(body["items"]) <= 2
            seen |= {uuid.UUID(u["id"]) for u in body["items"]}
            url = body["next"]
            pages += 1
        assert pages >= 2
        assert client.get("/v1/users?limit=500").status_code == 422  # over the cap
        other = client.get(f"/v1/users/{next(iter(created))}")
        assert other.status_code == 200  # an admin sees every user
    assert created | {admin} <= seen
    with api.client(api.token(admin)) as client:
        assert client.get("/v1/users").status_code == 404  # not an admin: "no such route"


def test_unknown_paths_and_request_ids(api: Api) -> None:
    with api.client() as client:
        missing = client.get("/v1/nothing-here", headers={"X-Request-ID": "abc-123"})
        odd = client.get("/v1/health", headers={"X-Request-ID": "has spaces\tand tabs"})
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": "not found",
        "fields": [],
        "request_id": "abc-123",
    }
    assert missing.headers["x-request-id"] == "abc-123"
    assert odd.headers["x-request-id"] != "has spaces\tand tabs"
    assert len(odd.headers["x-request-id"]) == 32
