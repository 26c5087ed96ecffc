"""The week view inside the student's week page (api/pages): `worker/weekview.py`'s grid and
legend without the page around it, plus a red line at "now". Kept apart from weekview.py so that
file stays as it is; this reuses its layout and markup functions, so both draw the same week.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from worker.weekview import (
    _CSS,
    DAY_END_HOUR,
    DAY_START_HOUR,
    HOUR_PX,
    WeekBlock,
    _day_html,
    _hidden_count,
    _lay_out,
    _legend_html,
)

NOW_CSS = """
.week.embedded{position:relative}
.now-line{position:absolute;height:0;border-top:2px solid #DC2626;z-index:5;pointer-events:none}
.now-line::before{content:"";position:absolute;left:-5px;top:-6px;width:10px;height:10px;
border-radius:50%;background:#DC2626}
.now-line span{position:absolute;right:2px;top:-16px;font-size:10px;font-weight:600;color:#B91C1C;
background:#fff;padding:0 2px}
"""
WEEK_CSS = _CSS + NOW_CSS
_HEAD_PX = 62  # day heading (34) + all-day row (28): where the hour grid starts
_AXIS_PX = 48
_GAP_PX = 4


def _now_line_html(week_start: date, now: datetime, zone: ZoneInfo) -> str:
    local = now.astimezone(zone)
    index = (local.date() - week_start).days
    minutes = local.hour * 60 + local.minute
    if not 0 <= index < 7 or not DAY_START_HOUR * 60 <= minutes <= DAY_END_HOUR * 60:
        return ""
    top = _HEAD_PX + (minutes - DAY_START_HOUR * 60) * HOUR_PX / 60
    # The grid is 48px + 7 equal columns with 4px gaps: place the line over today's column.
    column = f"((100% - {_AXIS_PX + 7 * _GAP_PX}px) / 7)"
    left = f"calc({_AXIS_PX + _GAP_PX}px + {index} * ({column} + {_GAP_PX}px))"
    return (
        f'<div class="now-line" role="img" aria-label="now, {local:%H:%M}" '
        f'style="top:{top:.1f}px;left:{left};width:calc{column}"><span>now {local:%H:%M}</span>'
        "</div>"
    )


def render_week_fragment(
    plan_rows: Sequence[WeekBlock],
    busy: Sequence[WeekBlock],
    *,
    week_start: date,
    tz: str,
    now: datetime | None = None,
    course_colors: Mapping[str, str] | None = None,
) -> str:
    """The grid and legend of `render_week_html` without the page around it (style it with
    `WEEK_CSS`), with a red line at `now` when it falls in the drawn hours of the week."""
    zone = ZoneInfo(tz)
    colors = dict(course_colors or {})
    study = [b for b in plan_rows if b.kind == "study"]
    grey = [*busy, *(b for b in plan_rows if b.kind == "busy")]
    days = _lay_out([*grey, *study], week_start, zone)
    codes = sorted({b.course_code for b in study if b.course_code})
    hidden = _hidden_count(study, week_start, zone, days)
    axis = "".join(
        f'<span style="top:{(h - DAY_START_HOUR) * HOUR_PX}px">{h:02d}:00</span>'
        for h in range(DAY_START_HOUR, DAY_END_HOUR + 1)
    )
    note = (
        f'<p class="note">{hidden} study block(s) this week fall outside '
        f"{DAY_START_HOUR:02d}:00–{DAY_END_HOUR:02d}:00 and are not drawn (see the list).</p>"
        if hidden
        else ""
    )
    now_line = _now_line_html(week_start, now, zone) if now is not None else ""
    return (
        f'<div class="week embedded"><div class="axis">{axis}</div>'
        + "".join(_day_html(day, i, colors, zone) for i, day in enumerate(days))
        + f"{now_line}</div>{_legend_html(codes, colors)}{note}"
    )
