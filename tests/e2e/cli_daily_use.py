"""The README's daily-use steps after `plan`, as a new user runs them (test_cli_student.py calls
this for the demo's student and for a student of their own): every time in the student's zone,
each spaced review planned or explained in `plan`'s words, a task's timeline by the id `tasks`
shows, and the week view written with whole titles and a now line."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REVIEW_STATES = {"planned", "done", "later", "at risk", "missed", "not planned yet", "off"}

Cli = Callable[..., str]


def zone_header(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def in_zone(stamp: str, zone: ZoneInfo) -> bool:
    """An ISO time written with the zone's own offset at that moment (not UTC's)."""
    when = datetime.fromisoformat(stamp)
    return when.utcoffset() == when.astimezone(zone).utcoffset()


def check_daily_use(cli: Cli, email: str, zone_name: str, var_dir: Path) -> None:
    zone = ZoneInfo(zone_name)
    today = datetime.now(zone).date()
    label = zone_header(zone_name)

    plan = json.loads(cli("plan", "--user", email, "--json"))
    assert plan["tasks"] and all(in_zone(t["start"], zone) for t in plan["tasks"])
    assert all(in_zone(b["start"], zone) for b in plan["later"].get("blocks", []))
    users = json.loads(cli("user", "list", "--json"))
    assert all(in_zone(u["last_sync_at"], zone) for u in users if u["email"] == email)
    shown_plan = " ".join(cli("plan", "--user", email).split())
    assert f"when ({label})" in shown_plan

    # `status`: its times carry her zone, in the table and in --json.
    status = json.loads(cli("status", "--user", email, "--json"))
    assert status["runs"] and all(in_zone(r["started_at"], zone) for r in status["runs"])
    assert f"started ({label})" in " ".join(cli("status", "--user", email).split())

    # `tasks --summary`: every spaced review planned or explained, in the words of `plan`.
    summary = json.loads(cli("tasks", "--user", email, "--summary", "--format", "json"))
    reviews = summary["upcoming_reviews"]
    for review in reviews:
        assert review["state"] in REVIEW_STATES and review["explanation"], review
        day = date.fromisoformat(review["date"])
        if day < today - timedelta(days=1):  # its review window has passed
            assert review["state"] in {"missed", "done", "planned"}, review
        if review["state"] == "missed":
            assert "performance add" in review["explanation"]
            assert not [
                t for t in plan["tasks"] if t["title"].endswith(f"review {review['topic']}")
            ]
        if review["state"] in {"planned", "later"}:
            assert in_zone(review["planned_start"], zone), review
    missed = [r for r in reviews if r["state"] == "missed"]
    assert ("missed: " in shown_plan) == bool(missed)
    if missed:
        assert f"{len(missed)} spaced review(s) are past their review day" in shown_plan
        shown_summary = " ".join(cli("tasks", "--user", email, "--summary").split())
        assert "missed: its review day has passed, so it is not planned" in shown_summary

    # `tasks`: the list and its exports in her zone; one timeline by the 8 characters shown.
    rows = list(csv.DictReader(io.StringIO(cli("tasks", "--user", email, "--format", "csv"))))
    scheduled = [r for r in rows if r["scheduled_start"]]
    assert scheduled and all(in_zone(r["scheduled_start"], zone) for r in scheduled)
    listed = " ".join(cli("tasks", "--user", email).split())
    assert f"scheduled ({label})" in listed
    first = scheduled[0]
    local = datetime.fromisoformat(first["scheduled_start"]).strftime("%a %d %b %H:%M")
    assert f"{first['id'][:8]} " in listed and local in listed
    timeline = " ".join(cli("tasks", "events", first["id"][:8], "--user", email).split())
    assert f"when ({label})" in timeline and "created" in timeline
    assert "+00:00" not in timeline  # no UTC stamp left in the details either

    # `week`: the seven days from today, written where it says, readable.
    out = " ".join(cli("week", "--user", email).split())
    written = re.search(r"→ (\S+\.html)", out)
    assert written and f"({label} time)" in out, out
    page = Path(written.group(1))
    assert page.parent == var_dir and page.is_file()
    page_html = page.read_text(encoding="utf-8")
    assert '<aside class="agenda"' in page_html
    if 7 <= datetime.now(zone).hour < 23:  # the drawn hours
        assert 'class="now-line"' in page_html
    week_end = datetime.combine(today + timedelta(days=7), datetime.min.time(), zone)
    for task in plan["tasks"]:
        start = datetime.fromisoformat(task["start"])
        if start < week_end:
            # Whole, in the grid's tooltip and in the list beside it; the list alone holds a
            # block outside the drawn hours.
            drawn = 7 <= start.hour < 23
            assert page_html.count(html.escape(task["title"])) >= (2 if drawn else 1), task
