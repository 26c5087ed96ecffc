"""`studyplanner week`: the student's next seven days (or any week) as the demo's week view — a
self-contained HTML page (and a PNG with headless Chromium) — from what the database holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from worker.cli_common import UserOpt, console, now_utc, start, unit_of_work, zone_label


def week_cmd(
    user: UserOpt,
    first_day: Annotated[
        str | None,
        typer.Option("--start", help="First day, YYYY-MM-DD, her date (default: her today)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The page to write (default <var>/week-<id>.html)."),
    ] = None,
    png: Annotated[
        bool, typer.Option("--png", help="Also a PNG next to it (needs Chromium).")
    ] = False,
    busy: Annotated[
        bool,
        typer.Option("--busy", help="Ask Google Calendar for her busy time now and draw it."),
    ] = False,
) -> None:
    """The week as a picture: blocks in her time, full titles on hover and in a list beside the
    grid, a line at now, busy time, the work at risk."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from api.weekview.view import (
        WeekBlock,
        busy_blocks,
        html_to_png,
        render_week_html,
        write_week_view,
    )
    from planner.problems import InvalidInput
    from services import catalog
    from services.onboarding.views import week
    from services.status import current_plan
    from services.sync.horizon import at_risk_line

    settings = start()
    now = now_utc()
    with unit_of_work() as session:
        student = catalog.find_user(session, user)
        zone = student.timezone
        begin = now.astimezone(ZoneInfo(zone)).date()
        if first_day:
            try:
                begin = date.fromisoformat(first_day)
            except ValueError:
                reason = f"'{first_day}' is not a date (YYYY-MM-DD)"
                raise InvalidInput.single(reason, "start") from None
        shown = week(session, settings, student, start=begin, with_busy=busy)
        risky = [
            at_risk_line(item)
            for item in current_plan(session, student.id).at_risk
            if item.get("reason_code") != "after_horizon"
        ]
        email, short = student.email, student.id.hex[:8]
    blocks = [
        WeekBlock(b.title, b.course_code, b.start, b.end, b.status, b.pinned, "study")
        for b in shown.blocks
    ]
    page = render_week_html(
        blocks,
        busy_blocks(shown.busy),
        week_start=begin,
        tz=zone,
        title=f"{email}: the seven days from {begin:%A %d %B %Y}",
        at_risk=[text for _label, text in risky],
        course_colors=shown.course_colors,
        now=now,
    )
    path = write_week_view(out or settings.var_dir / f"week-{short}.html", page)
    picture = path.with_suffix(".png")
    made_png = png and html_to_png(path, picture)
    console.print(
        f"week of {email} from {begin:%a %d %b} ({zone_label(zone)} time): "
        f"{len(blocks)} study block(s) → {path}" + (f" and {picture}" if made_png else ""),
        highlight=False,
        soft_wrap=True,
    )
    if png and not made_png:
        console.print("no PNG: headless Chromium is not installed (/usr/bin/chromium)")
    if shown.busy_note and busy:
        console.print(shown.busy_note, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("week")(week_cmd)
