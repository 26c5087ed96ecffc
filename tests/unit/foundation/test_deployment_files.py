"""docker-compose.yml cannot run here (no Docker engine): check that it parses and agrees with
the code — services, commands, the settings it sets, exactly one beat, scalable workers."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from worker.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def service_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment must be a mapping"
    return {str(k): str(v) for k, v in env.items()}


def test_services_and_roles(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker", "beat", "flower"}
    assert services["migrate"]["command"] == ["studyplanner", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["worker"]["command"][:4] == ["celery", "-A", "worker", "worker"]
    assert "-E" in services["worker"]["command"]  # task events for Flower
    assert services["beat"]["command"][:4] == ["celery", "-A", "worker", "beat"]
    assert services["flower"]["command"][:4] == ["celery", "-A", "worker", "flower"]
    api = services["api"]["command"]
    assert api[:3] == ["uvicorn", "--factory", "api.app:app_from_env"]
    assert "--proxy-headers" in api


def test_worker_scales_and_beat_does_not(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker  # --scale worker=N works
    beat = compose["services"]["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert not any(part == "-B" for part in worker["command"])  # beat never embedded in workers


def test_app_services_wait_for_a_migrated_database(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    for name in ("postgres", "redis", "api", "worker", "flower"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    assert "/v1/health" in " ".join(services["api"]["healthcheck"]["test"])


def test_every_studyplanner_variable_is_a_setting(compose: dict[str, Any]) -> None:
    fields = {f"STUDYPLANNER_{name.upper()}" for name in Settings.model_fields}
    for name, service in compose["services"].items():
        for key in service_env(service):
            if key.startswith("STUDYPLANNER_"):
                assert key in fields, f"{name} sets {key}, which no setting reads"
    app_env = service_env(compose["services"]["worker"])
    assert app_env["STUDYPLANNER_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert app_env["STUDYPLANNER_BROKER_URL"].startswith("redis://")
    assert "STUDYPLANNER_FERNET_KEYS" in app_env
    api_env = service_env(compose["services"]["api"])
    assert api_env["STUDYPLANNER_API_JWT_SECRET"].startswith("${STUDYPLANNER_API_JWT_SECRET:?")


def test_flower_requires_basic_auth(compose: dict[str, Any]) -> None:
    env = service_env(compose["services"]["flower"])
    assert re.fullmatch(r"\$\{FLOWER_BASIC_AUTH:\?.+\}", env["FLOWER_BASIC_AUTH"])


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"STUDYPLANNER_{name.upper()}"
        for name in Settings.model_fields
        if f"STUDYPLANNER_{name.upper()}" not in readme
    ]
    assert not missing, f"README's configuration table lacks {missing}"


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = project["tool"]["setuptools"]["packages"]["find"]["include"]
    for pattern in packages:
        package = pattern.rstrip("*")
        assert f"COPY {package} ./{package}" in dockerfile, f"Dockerfile misses {package}/"
