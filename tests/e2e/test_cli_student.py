"""A student's life through the `studyplanner` command, as a user runs it — and a new user's
road in the README's order: the demo, the same data from the command line, Flower; then their
own data: imports, progress, history, connecting both emulators, syncing, status and the plan."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from cryptography.fernet import Fernet

from emulators.google import GoogleEmulator, start_google_emulator
from emulators.notion import NotionEmulator, start_notion_emulator
from tests.e2e.cli import STUDYPLANNER, run_cli
from tests.e2e.cli_daily_use import check_daily_use
from tests.scratch import create_scratch_postgres, drop_scratch_postgres

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "cli.student@example.edu"


@pytest.fixture(scope="module")
def emulators() -> Iterator[tuple[GoogleEmulator, NotionEmulator]]:
    google = start_google_emulator("127.0.0.1", 0)
    notion = start_notion_emulator("127.0.0.1", 0, rate_per_s=100.0, burst=20.0)
    yield google, notion
    google.stop()
    notion.stop()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The embedded default (no variable), or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield {}
        return
    base = str(request.getfixturevalue("postgres_base_url"))
    url = create_scratch_postgres(base)
    yield {"STUDYPLANNER_DATABASE_URL": url}
    drop_scratch_postgres(base, url)


@pytest.fixture
def google_grant(emulators: tuple[GoogleEmulator, NotionEmulator]) -> dict[str, Any]:
    """A Google account of this test's own (the emulator is shared by the module)."""
    email = f"cli-{uuid.uuid4().hex[:8]}@example.edu"
    return dict(emulators[0].admin.add_user(email, time_zone="America/Chicago"))


@pytest.fixture
def env(
    home: Path,
    emulators: tuple[GoogleEmulator, NotionEmulator],
    database_env: dict[str, str],
    google_grant: dict[str, Any],
) -> dict[str, str]:
    google, notion = emulators
    grant = google_grant
    values = {
        **database_env,
        "STUDYPLANNER_VAR_DIR": str(home / "var"),
        "STUDYPLANNER_FERNET_KEYS": Fernet.generate_key().decode(),
        "STUDYPLANNER_GOOGLE_API_ENDPOINT": google.base_url,
        "STUDYPLANNER_GOOGLE_TOKEN_URI": google.token_uri,
        "STUDYPLANNER_GOOGLE_CLIENT_ID": grant["client_id"],
        "STUDYPLANNER_GOOGLE_CLIENT_SECRET": grant["client_secret"],
        "STUDYPLANNER_NOTION_BASE_URL": notion.base_url,
        "STUDYPLANNER_NOTION_RATE_PER_S": "50",
    }
    (home / "token.json").write_text(
        json.dumps(
            {
                "token": grant["access_token"],
                "refresh_token": grant["refresh_token"],
                "expiry": grant["token_expiry"],
            }
        )
    )
    return values


def clean_env(env: dict[str, str]) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("STUDYPLANNER_")}, **env}


def compose_studyplanner_commands() -> list[list[str]]:
    """The `studyplanner …` commands docker-compose.yml runs (commands and healthchecks)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    found = []
    for service in compose["services"].values():
        for command in (service.get("command"), service.get("healthcheck", {}).get("test")):
            if command and "studyplanner" in command:
                found.append(command[command.index("studyplanner") + 1 :])
    return found


def cli(home: Path, env: dict[str, str], *args: str) -> str:
    result = run_cli(*args, cwd=home, env=env)
    assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stdout


def read_env_file(path: Path) -> dict[str, str]:
    """The `export NAME=value` lines the demo writes, as a shell would read them."""
    env = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = shlex.split(value)[0] if value else ""
    return env


@pytest.fixture
def running_demo(home: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """`studyplanner demo --keep-running` in its own shell, until the test is done with it."""
    log = home / "demo.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYPLANNER_")}
    env["COLUMNS"] = "200"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [STUDYPLANNER, "demo", "--keep-running", "--timeout", "150"],
            cwd=home, env=env, stdout=sink, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 200
        while "until you press Ctrl-C" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"the demo did not get there:\n{log.read_text()}"
            time.sleep(0.5)
        yield proc, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)


@pytest.mark.slow
def test_a_new_user_from_the_demo_to_the_command_line(
    home: Path, running_demo: tuple[subprocess.Popen[str], Path]
) -> None:
    proc, log = running_demo
    out = " ".join(log.read_text().split())
    # The demo names its student where a user looks, and says how to go on.
    assert "maya.chen@example.edu" in out
    demo_dir = home / "var" / "demo"
    assert f"export STUDYPLANNER_VAR_DIR={demo_dir}" in out
    env = read_env_file(demo_dir / "env.sh")
    assert env["STUDYPLANNER_VAR_DIR"] == str(demo_dir)
    # One key per data folder: the demo's own, and none made next to it in ./var.
    assert (demo_dir / "fernet.key").exists() and not (home / "var" / "fernet.key").exists()

    users = json.loads(cli(home, env, "user", "list", "--json"))
    assert [u["email"] for u in users] == ["maya.chen@example.edu"]
    maya = users[0]
    assert maya["google"] and maya["notion"] and maya["timezone"] == "America/New_York"

    # The id `status` shows (its first 8 characters) is accepted by --user.
    status = " ".join(cli(home, env, "status").split())
    short = maya["id"][:8]
    assert short in status
    plan = json.loads(cli(home, env, "plan", "--user", short, "--json"))
    assert plan["tasks"]
    assert json.loads(cli(home, env, "plan", "--user", maya["id"], "--json")) == plan
    unknown = run_cli("plan", "--user", "0000ffff", cwd=home, env=env)
    assert unknown.returncode == 2 and "studyplanner user list" in unknown.stderr
    # The README's next steps: her times, her reviews, a task's timeline, her week.
    check_daily_use(lambda *a: cli(home, env, *a), maya["email"], maya["timezone"], demo_dir)

    # With the demo kept running, the second shell syncs against its emulators ...
    synced = " ".join(cli(home, env, "sync", "--user", "maya.chen@example.edu").split())
    assert synced.startswith("ok")
    # ... and watches its worker in Flower, on the folder broker.
    watch_in_flower(home, env, demo_dir)

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0, log.read_text()[-3000:]


def watch_in_flower(home: Path, env: dict[str, str], demo_dir: Path) -> None:
    from tests.e2e.test_flower import free_port, http_get

    port = free_port()
    log = home / "flower.out"
    own = ("STUDYPLANNER_", "FLOWER_")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    with log.open("w") as sink:
        flower = subprocess.Popen(
            [STUDYPLANNER, "flower", "--port", str(port)],
            cwd=home, env={**full_env, **env, "COLUMNS": "200"}, stdout=sink,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    table = demo_dir / "broker" / "control" / "celeryev.exchange"
    before = table.read_text() if table.exists() else "[]"
    try:
        deadline = time.monotonic() + 60
        workers: dict[str, bool] = {}
        while not any(host.startswith("demo@") and up for host, up in workers.items()):
            assert flower.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no worker in Flower:\n{log.read_text()}"
            time.sleep(0.5)
            printed = " ".join(log.read_text().split())
            if "password " not in printed:
                continue
            password = printed.split("password ", 1)[1].split()[0]
            assert f"http://localhost:{port}/" in printed and "user admin" in printed
            try:
                reply = http_get(
                    f"http://127.0.0.1:{port}/api/workers?status=true", auth=("admin", password)
                )
            except OSError:  # not listening yet
                continue
            workers = reply.json() if reply.status == 200 else {}
        # The one page the folder broker cannot feed, as the command says.
        assert http_get(f"http://127.0.0.1:{port}/broker", auth=("admin", password)).status == 404
        assert "Broker page (queue lengths) needs Redis" in " ".join(log.read_text().split())
        assert http_get(f"http://127.0.0.1:{port}/api/workers").status == 401
    finally:
        flower.send_signal(signal.SIGTERM)
        flower.wait(timeout=30)
    # Flower's event queue is unbound when it stops: workers stop writing events for it.
    assert json.loads(table.read_text()) == json.loads(before)


def test_a_data_folder_keeps_one_key(home: Path) -> None:
    env = {"STUDYPLANNER_VAR_DIR": str(home / "var")}
    key = Fernet.generate_key().decode()
    cli(home, {**env, "STUDYPLANNER_FERNET_KEYS": key}, "db", "upgrade")
    # Without the key it was written with, no second key is made next to the database.
    refused = run_cli("status", cwd=home, env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "studyplanner.sqlite3 exists but its key" in refused.stderr
    assert not (home / "var" / "fernet.key").exists()


def test_a_student_from_import_to_plan(
    home: Path,
    env: dict[str, str],
    emulators: tuple[GoogleEmulator, NotionEmulator],
    google_grant: dict[str, Any],
) -> None:
    _, notion = emulators
    # The ecosystem's own command, from the checkout, on the product's database setting ...
    alembic = subprocess.run(
        [str(Path(STUDYPLANNER).parent / "alembic"), "upgrade", "head"],
        cwd=ROOT, env=clean_env(env), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert alembic.returncode == 0, alembic.stderr
    # ... so what compose's migrate service and its healthcheck run finds the schema at head.
    for command in compose_studyplanner_commands():
        cli(home, env, *command)
    assert "database at revision" in cli(home, env, "db", "upgrade")
    current, head = cli(home, env, "db", "current").split(", ")
    assert current.split()[-1] == head.split()[-1] != "empty"
    # Seed 004's names: the zone in the preferences file, `due_date` in the assessments file.
    prefs = home / "preferences.yaml"
    prefs.write_text(
        "timezone: America/Chicago\n" + (ROOT / "examples/preferences.yaml").read_text()
    )
    cli(home, env, "user", "add", "--email", EMAIL, "--name", "Cli Student",
        "--preferences", str(prefs))  # fmt: skip
    users = json.loads(cli(home, env, "user", "list", "--json"))
    assert [(u["email"], u["timezone"]) for u in users] == [(EMAIL, "America/Chicago")]
    clash = run_cli("user", "add", "--email", EMAIL, "--name", "Cli Student", "--timezone",
                    "Europe/Berlin", "--preferences", str(prefs), cwd=home, env=env)  # fmt: skip
    assert clash.returncode == 2 and "differ" in clash.stderr
    seed_named = home / "assessments.csv"
    header, rest = (ROOT / "examples/assessments.csv").read_text().split("\n", 1)
    seed_named.write_text(header.replace(",due,", ",due_date,") + "\n" + rest)
    files = {kind: ROOT / f"examples/{kind}.csv" for kind in ("courses", "topics", "grades")}
    files["assessments"] = seed_named
    for kind in ("courses", "topics", "assessments", "grades"):
        out = cli(home, env, "import", kind, str(files[kind]), "--user", EMAIL)
        assert "created" in out

    bad = run_cli(
        "import", "topics", str(ROOT / "examples/courses.csv"), "--user", EMAIL, cwd=home, env=env
    )
    assert bad.returncode == 2 and "missing column(s) course_code" in bad.stderr
    # Every problem of a file in one pass: a bad date, a bad type in the same row, and an unknown
    # course code (a check against her data) together.
    broken = home / "broken.csv"
    broken.write_text(
        "course_code,name,type,weight_percent,due_date,estimated_duration_min\n"
        "MATH 2413,Quiz 7,quizz,5,2026-13-45,45\nMATH 9999,Quiz 8,quiz,5,2026-12-01,45\n"
    )
    failed = run_cli("import", "assessments", str(broken), "--user", EMAIL, cwd=home, env=env)
    lines = failed.stderr.strip().splitlines()
    assert failed.returncode == 2 and len(lines) == 3, failed.stderr
    assert "line 2, column due" in lines[0] and "line 2, column type" in lines[1]
    assert "line 3, column course_code: unknown course code 'MATH 9999'" in lines[2]

    # A term paper due in 20 days: beyond the 14-day window that is written to her calendar,
    # inside what is planned (every known deadline).
    today = datetime.now(ZoneInfo("America/Chicago")).date()
    cli(home, env, "course", "add", "--user", EMAIL, "--code", "HIST 1301", "--name", "History",
        "--semester", "Term", "--start", str(today - timedelta(days=30)),
        "--end", str(today + timedelta(days=60)))  # fmt: skip
    cli(home, env, "assessment", "add", "--user", EMAIL, "--course", "HIST 1301", "--name",
        "Term paper", "--type", "project", "--weight", "40", "--minutes", "900",
        "--due", str(today + timedelta(days=20)))  # fmt: skip

    progress = json.loads(cli(home, env, "progress", "--user", EMAIL, "--json"))
    math = next(p for p in progress if p["course"] == "MATH 2413")
    assert math["status"] == "in_progress" and "Limits and Continuity" in math["completed_topics"]
    assert math["path"][0] == "Limits and Continuity"

    workspace = notion.admin.create_workspace()
    # Her class schedule lives in a second calendar: every weekday evening 18:00–20:00 for three
    # weeks. Nothing names it; it is read because she owns it.
    google = emulators[0]
    classes = google.admin.add_calendar(
        "Classes", user=google_grant["email"], time_zone="America/Chicago"
    )
    chicago = ZoneInfo("America/Chicago")
    today = datetime.now(chicago).date()
    lectures = []
    for day in range(21):
        start = datetime.combine(today + timedelta(days=day), dtime(18), chicago)
        lectures.append((start, start + timedelta(hours=2)))
        google.admin.add_busy_event(classes, *lectures[-1], summary="Lecture")
    connected = " ".join(
        cli(home, env, "connect", "google", "--user", EMAIL,
            "--token-file", str(home / "token.json")).split()
    )  # fmt: skip
    assert "your calendars" in connected and "Classes" in connected
    assert "yes — yours" in connected and "owner" in connected
    secret_file = home / "notion.secret"
    secret_file.write_text(workspace.token + "\n")
    out = cli(
        home,
        env,
        "connect",
        "notion",
        "--user",
        EMAIL,
        "--token-file",
        str(secret_file),
        "--database",
        workspace.database_id,
    )
    assert "Notion connected" in out

    dry = cli(home, env, "sync", "--user", EMAIL, "--dry-run")
    assert "dry run: nothing was written" in dry
    assert notion.admin.pages(data_source_id=workspace.data_source_id) == []

    first = " ".join(cli(home, env, "sync", "--user", EMAIL).split())
    assert first.startswith("ok") and "google_writes" in first
    assert "busy_calendars 2" in first  # primary and Classes
    again = " ".join(
        cli(home, env, "connect", "google", "--user", EMAIL,
            "--token-file", str(home / "token.json")).split()
    )  # fmt: skip
    assert "Study plan" in again and "no — our study calendar" in again
    second = " ".join(cli(home, env, "sync", "--user", EMAIL).split())
    assert second.startswith("ok") and "google_writes" not in second  # nothing to push

    plan = json.loads(cli(home, env, "plan", "--user", EMAIL, "--json"))
    assert plan["tasks"] and all(t["reason"] for t in plan["tasks"])
    # Planned to the last deadline, written for the near window: the paper's later blocks are
    # planned (not "at risk", not deferred), and only the near ones are in her calendar.
    later = plan["later"]
    window_end = datetime.fromisoformat(later["window_end"])
    assert later["block_count"] > 0 and later["plan_days"] >= 20
    assert all(datetime.fromisoformat(b["start"]) >= window_end for b in later["blocks"])
    assert all(datetime.fromisoformat(t["start"]) < window_end for t in plan["tasks"])
    assert not [r for r in plan["at_risk"] if r["reason_code"] == "after_horizon"]
    shown = " ".join(cli(home, env, "plan", "--user", EMAIL).split())
    assert (
        "when (Chicago)" in shown and "later: " in shown and "fit before their deadlines" in shown
    )
    assert "…" not in shown  # reasons whole (wrapped), not cut
    for task in plan["tasks"]:
        start, end = datetime.fromisoformat(task["start"]), datetime.fromisoformat(task["end"])
        assert all(end <= a or start >= b for a, b in lectures), task["title"]
    live_pages = [p for p in notion.admin.pages(data_source_id=workspace.data_source_id)]
    assert len(live_pages) == len(plan["tasks"])

    status = " ".join(cli(home, env, "status", "--user", EMAIL).split())
    assert "sync runs" in status and "ok" in status
    check_daily_use(lambda *a: cli(home, env, *a), EMAIL, "America/Chicago", home / "var")

    exported = cli(home, env, "tasks", "--user", EMAIL, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["status"] for r in rows} == {"scheduled"} and len(rows) == len(plan["tasks"])
    timeline = " ".join(cli(home, env, "tasks", "events", rows[0]["id"], "--user", EMAIL).split())
    assert "created" in timeline and "scheduled" in timeline
    summary = json.loads(cli(home, env, "tasks", "--user", EMAIL, "--summary", "--format", "json"))
    assert summary["counts_by_status"]["scheduled"] == len(rows)
    assert summary["accuracy_by_topic"]["Limits and Continuity"] == 75.0
