"""The week view inside the student's week page (api/pages): the grid and legend of
`api/weekview/view.py` without the page around it (the page lists the blocks itself), with the
line at "now". Both are drawn by the same `grid_html`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from api.weekview.style import WEEK_BASE_CSS
from api.weekview.view import WeekBlock, grid_html

WEEK_CSS = WEEK_BASE_CSS + ".week.embedded{position:relative}"


def render_week_fragment(
    plan_rows: Sequence[WeekBlock],
    busy: Sequence[WeekBlock],
    *,
    week_start: date,
    tz: str,
    now: datetime | None = None,
    course_colors: Mapping[str, str] | None = None,
) -> str:
    """The grid and legend of `render_week_html` (style it with `WEEK_CSS`), with a red line at
    `now` when it falls in the drawn hours of the week."""
    grid, legend, _, _ = grid_html(
        plan_rows,
        busy,
        week_start=week_start,
        zone=ZoneInfo(tz),
        colors=dict(course_colors or {}),
        now=now,
        classes="week embedded",
    )
    return grid + legend
