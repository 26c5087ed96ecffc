"""docker-compose.yml, the Dockerfile and .dockerignore, checked against each other and the code.

With the compose CLI available, the model comes from `docker compose config` (Docker's own
interpolation, merge keys and defaults). Without it (this machine has the docker client but no
compose plugin and no engine), the same model is built from the YAML here: anchors and merge
keys by the YAML loader, `${VAR:-default}` / `${VAR:?message}` / `$$` as compose interpolates
them. Every check below then runs on that one model: volumes, environment, commands,
healthchecks, dependencies, and the folders the image must create for them.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import typer
import yaml

from services.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_ENV = {
    "STUDYPLANNER_FERNET_KEYS": "x" * 43 + "=",
    "FLOWER_BASIC_AUTH": "admin:change-me",
}
APP_HOME = PurePosixPath("/home/studyplanner")
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


class MissingVariable(Exception):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation, for the forms this file uses."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2), match.group(3)
        current = env.get(name)
        if op in (":-", "-"):
            return current if current else (arg or "")
        if op in (":?", "?"):
            if not current:
                raise MissingVariable(f"{name}: {arg}")
            return current
        return current or ""

    return _VARIABLE.sub(one, value)


def _volumes(entries: list[Any]) -> list[dict[str, str]]:
    out = []
    for entry in entries:
        if isinstance(entry, dict):
            out.append({key: str(entry[key]) for key in ("type", "source", "target")})
            continue
        source, target = str(entry).split(":")[:2]
        kind = "bind" if source.startswith((".", "/")) else "volume"
        out.append({"type": kind, "source": source, "target": target})
    return out


def normalise(model: dict[str, Any]) -> dict[str, Any]:
    """Short and long syntax alike: commands and tests as lists, volumes and depends_on long."""
    for service in model["services"].values():
        if isinstance(service.get("command"), str):
            service["command"] = shlex.split(service["command"])
        service["volumes"] = _volumes(service.get("volumes", []))
        depends = service.get("depends_on", {})
        if isinstance(depends, list):
            depends = {name: {"condition": "service_started"} for name in depends}
        service["depends_on"] = depends
        service["environment"] = {str(k): str(v) for k, v in service.get("environment", {}).items()}
    model.setdefault("volumes", {})
    return model


def compose_cli_works() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return probe.returncode == 0


def load_model(env: dict[str, str]) -> tuple[dict[str, Any], str]:
    if compose_cli_works():
        done = subprocess.run(
            ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config",
             "--format", "json"],
            capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin", **env},
        )  # fmt: skip
        return normalise(json.loads(done.stdout)), "docker compose config"
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    raw = {k: v for k, v in raw.items() if not k.startswith("x-")}
    return normalise(interpolate(raw, env)), "the YAML"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    model, _source = load_model(COMPOSE_ENV)
    return model


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def cli_commands() -> set[tuple[str, ...]]:
    """Every `studyplanner …` command path the CLI has."""
    from worker.cli import app

    root = typer.main.get_command(app)
    paths: set[tuple[str, ...]] = set()

    def walk(command: Any, prefix: tuple[str, ...]) -> None:
        paths.add(prefix)
        # typer bundles its own click: a group is whatever has sub-commands
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*prefix, name))

    walk(root, ())
    return paths


def dockerfile_created_folders() -> dict[str, str]:
    """Folders the Dockerfile creates with `mkdir -p`, and the owner it gives them."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    folders = {path: "root" for path in re.findall(r"mkdir -p (\S+)", text)}
    for owner, path in re.findall(r"chown (\S+?):\S+ (\S+)", text):
        folders[path] = owner
    return folders


# --- the checks -----------------------------------------------------------------------------------


def test_services_and_roles(compose: dict[str, Any]) -> None:
    svc = services(compose)
    assert set(svc) == {"postgres", "redis", "migrate", "worker", "beat", "flower"}
    assert svc["migrate"]["command"] == ["studyplanner", "db", "upgrade"]
    assert svc["migrate"]["restart"] == "no"
    assert svc["worker"]["command"][:4] == ["celery", "-A", "worker", "worker"]
    assert "-E" in svc["worker"]["command"]  # task events for Flower
    assert svc["beat"]["command"][:4] == ["celery", "-A", "worker", "beat"]
    assert svc["flower"]["command"][:4] == ["celery", "-A", "worker", "flower"]


def test_worker_scales_and_beat_does_not(compose: dict[str, Any]) -> None:
    worker, beat = services(compose)["worker"], services(compose)["beat"]
    assert "container_name" not in worker and "ports" not in worker  # --scale worker=N works
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert "-B" not in worker["command"]  # beat never embedded in workers


def test_commands_exist_in_the_image(compose: dict[str, Any]) -> None:
    from tasks.celery_app import MAINTENANCE_QUEUE, SYNC_QUEUE

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    scripts = set(project["project"]["scripts"])
    known = cli_commands()
    for name, service in services(compose).items():
        command = service.get("command")
        if command is None or ("image" in service and "build" not in service):
            continue  # postgres/redis: their images' own entry points
        program, *args = command
        assert program in scripts | {"celery"}, f"{name}: {program} is not installed"
        if program == "studyplanner":
            path = tuple(a for a in args if not a.startswith("-"))
            assert path in known, f"{name}: 'studyplanner {' '.join(path)}' does not exist"
        else:
            assert args[:2] == ["-A", "worker"] and args[2] in {"worker", "beat", "flower"}
            if "-Q" in args:
                queues = set(args[args.index("-Q") + 1].split(","))
                assert queues <= {SYNC_QUEUE, MAINTENANCE_QUEUE}, f"{name}: unknown queue"


def test_every_service_has_a_healthcheck_that_can_run(compose: dict[str, Any]) -> None:
    known = cli_commands()
    for name, service in services(compose).items():
        check = service.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        test = check["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test {test}"
        words = shlex.split(test[1]) if test[0] == "CMD-SHELL" else test[1:]
        if words[0] == "studyplanner":
            assert tuple(w for w in words[1:] if not w.startswith("-")) in known, name
        if words[:2] == ["python", "-c"]:
            compile(words[2], f"{name} healthcheck", "exec")
    flower = services(compose)["flower"]
    port = next(a.split("=")[1] for a in flower["command"] if a.startswith("--port="))
    assert f"127.0.0.1:{port}/healthcheck" in " ".join(flower["healthcheck"]["test"])
    assert f"{port}:{port}" in [str(p) for p in flower.get("ports", [])] or any(
        isinstance(p, dict) and str(p.get("target")) == port for p in flower.get("ports", [])
    )
    # The worker's check asks the worker itself over the broker, by its own node name.
    worker_test = " ".join(services(compose)["worker"]["healthcheck"]["test"])
    assert "inspect ping" in worker_test and "celery@$HOSTNAME" in worker_test


def test_dependencies_wait_for_what_they_need(compose: dict[str, Any]) -> None:
    svc = services(compose)
    for name, service in svc.items():
        for target, rule in service["depends_on"].items():
            assert target in svc, f"{name} depends on unknown {target}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in svc[target], f"{name} waits on {target}'s healthcheck"
            if rule["condition"] == "service_completed_successfully":
                assert svc[target].get("restart") == "no", f"{target} must be one-shot"
    assert svc["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("worker", "beat"):
        depends = svc[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"


def test_volumes_are_declared_and_writable_where_they_are_used(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used: set[str] = set()
    created = dockerfile_created_folders()
    for name, service in services(compose).items():
        for mount in service["volumes"]:
            if mount["type"] != "volume":
                continue
            used.add(mount["source"])
            assert mount["source"] in declared, f"{name} mounts undeclared {mount['source']}"
            target = PurePosixPath(mount["target"])
            if APP_HOME in target.parents or target == APP_HOME:
                # A named volume takes the owner of the image's folder: it must exist and be
                # the app user's, or the non-root process cannot write into it.
                assert created.get(str(target)) == "studyplanner", f"{target} not made writable"
    assert used == declared, f"declared but unused volumes: {declared - used}"


def test_beats_schedule_lives_in_a_volume(compose: dict[str, Any]) -> None:
    beat = services(compose)["beat"]
    schedule = next(a.split("=", 1)[1] for a in beat["command"] if a.startswith("--schedule="))
    mounted = [PurePosixPath(m["target"]) for m in beat["volumes"] if m["type"] == "volume"]
    folder = PurePosixPath(schedule).parent
    assert folder in mounted, f"beat writes {schedule}, outside every volume ({mounted})"
    assert "celerybeat-schedule" in " ".join(beat["healthcheck"]["test"])


def test_beats_healthcheck_fails_without_a_fresh_schedule(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    import os
    import sys
    import time

    test = services(compose)["beat"]["healthcheck"]["test"]
    code = test[test.index("-c") + 1].replace(str(APP_HOME / "var"), str(tmp_path))

    def healthy() -> bool:
        return subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

    assert not healthy()  # beat never wrote its schedule
    schedule = tmp_path / "celerybeat-schedule.dat"
    schedule.write_bytes(b"")
    assert healthy()
    stale = time.time() - 3600
    os.utime(schedule, (stale, stale))
    assert not healthy()  # beat stopped writing an hour ago


def test_environment_references(compose: dict[str, Any]) -> None:
    fields = {f"STUDYPLANNER_{name.upper()}" for name in Settings.model_fields}
    for name, service in services(compose).items():
        for key in service["environment"]:
            if key.startswith("STUDYPLANNER_"):
                assert key in fields, f"{name} sets {key}, which no setting reads"
    app_env = services(compose)["worker"]["environment"]
    assert app_env["STUDYPLANNER_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert app_env["STUDYPLANNER_BROKER_URL"].startswith("redis://")
    assert app_env["STUDYPLANNER_FERNET_KEYS"] == COMPOSE_ENV["STUDYPLANNER_FERNET_KEYS"]
    assert services(compose)["flower"]["environment"]["FLOWER_BASIC_AUTH"] == "admin:change-me"
    # Every variable the file reads from the operator's shell is in the README.
    readme = (ROOT / "README.md").read_text()
    text = (ROOT / "docker-compose.yml").read_text()
    for variable in set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text)):
        assert variable in readme, f"README does not mention {variable}"


@pytest.mark.parametrize("missing", sorted(COMPOSE_ENV))
def test_required_secrets_must_be_set(missing: str) -> None:
    env = {k: v for k, v in COMPOSE_ENV.items() if k != missing}
    if compose_cli_works():
        with pytest.raises(subprocess.CalledProcessError):
            load_model(env)
        return
    with pytest.raises(MissingVariable, match=missing):
        load_model(env)


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"STUDYPLANNER_{name.upper()}"
        for name in Settings.model_fields
        if f"STUDYPLANNER_{name.upper()}" not in readme
    ]
    assert not missing, f"README's configuration table lacks {missing}"


def test_dockerfile_copies_every_package_and_dockerignore_keeps_them() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile, f"Dockerfile misses {package}/"
    assert '".[flower]"' in dockerfile  # the flower service's command is installed
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for local_state in (".venv", "var", ".git", ".env"):
        assert local_state in ignored, f".dockerignore lets {local_state} into the build context"
    copied = re.findall(r"^COPY (.+?) \./", dockerfile, flags=re.MULTILINE)
    for source in " ".join(copied).split():
        assert source not in ignored, f".dockerignore drops {source}, which the image copies"
