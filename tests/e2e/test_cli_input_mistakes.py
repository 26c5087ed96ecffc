"""Input mistakes through the real CLI, on SQLite and on PostgreSQL: each is one `error:` line
naming the field, exit code 2, no traceback, and nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.e2e.cli import run_cli
from tests.scratch import create_scratch_postgres, drop_scratch_postgres

HUGE = "99999999999999999999"
EMAIL = "ada@example.edu"
BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(
            f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def home(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A data folder with one student and one course, migrated once for the module."""
    home = tmp_path_factory.mktemp("mistakes")
    env = {
        "STUDYPLANNER_VAR_DIR": str(home / "var"),
        "STUDYPLANNER_FERNET_KEYS": Fernet.generate_key().decode(),
    }
    base = url = ""
    if request.param == "postgres":
        base = str(request.getfixturevalue("postgres_base_url"))
        url = create_scratch_postgres(base)
        env["STUDYPLANNER_DATABASE_URL"] = url
    for args in (
        ("db", "upgrade"),
        ("user", "add", "--email", EMAIL, "--name", "Ada"),
        ("course", "add", "--user", EMAIL, "--code", "MATH1", "--name", "Calculus",
         "--semester", "Fall 2026", "--start", "2026-09-01", "--end", "2026-12-20"),
    ):  # fmt: skip
        done = run_cli(*args, cwd=home, env=env)
        assert done.returncode == 0, done.stderr
    yield home, env
    if url:
        drop_scratch_postgres(base, url)


def one_error(home: tuple[Path, dict[str, str]], *args: str) -> str:
    folder, env = home
    result = run_cli(*args, cwd=folder, env=env)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def topics(home: tuple[Path, dict[str, str]]) -> list[str]:
    folder, env = home
    listed = run_cli("progress", "--user", EMAIL, "--json", cwd=folder, env=env)
    assert listed.returncode == 0, listed.stderr
    return [name for course in json.loads(listed.stdout) for name in course["path"]]


def test_a_huge_order_index_on_the_command_line(home: tuple[Path, dict[str, str]]) -> None:
    line = one_error(
        home, "topic", "add", "--user", EMAIL, "--course", "MATH1", "--name", "Limits",
        "--order", HUGE,
    )  # fmt: skip
    assert "order_index" in line and "100000" in line
    assert "database is not ready" not in line


def test_a_huge_order_index_in_a_csv_file(home: tuple[Path, dict[str, str]]) -> None:
    folder, _ = home
    csv = folder / "topics.csv"
    csv.write_text(f"course_code,name,difficulty,order_index\nMATH1,Limits,easy,{HUGE}\n")
    line = one_error(home, "import", "topics", "--user", EMAIL, str(csv))
    assert "line 2" in line and "order_index" in line
    assert "Limits" not in topics(home)


def test_huge_numbers_in_a_grades_file(home: tuple[Path, dict[str, str]]) -> None:
    folder, _ = home
    csv = folder / "grades.csv"
    csv.write_text(
        f"assessment_name,score,max_score,date,time_spent_min\nQuiz 1,3,5,2026-10-01,{HUGE}\n"
    )
    line = one_error(home, "import", "grades", "--user", EMAIL, str(csv))
    assert "time_spent_min" in line and "10000" in line


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"max_hours_per_day: 3\nnotes: \xff\xfe\n", "is not UTF-8 text (byte 0xff at offset"),
        (b"max_hours_per_day: [3\n", "line 2, column 1: expected ',' or ']'"),
        (BILLION_LAUGHS.encode(), "line 2, column 8: YAML aliases (*name) are not allowed"),
    ],
    ids=["not-utf8", "syntax", "billion-laughs"],
)
def test_a_bad_preferences_file(
    home: tuple[Path, dict[str, str]], content: bytes, expected: str
) -> None:
    folder, _ = home
    prefs = folder / "prefs.yaml"
    prefs.write_bytes(content)
    line = one_error(
        home, "user", "add", "--email", "bo@example.edu", "--name", "Bo",
        "--preferences", str(prefs),
    )  # fmt: skip
    assert line.startswith("error: preferences: ") and expected in line, line
