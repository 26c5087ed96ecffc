"""A picture of one week of the plan: a self-contained HTML page, and a PNG when Chromium is there.

`render_week_html` is pure (blocks in, a string out): seven day columns from 07:00 to 23:00 in the
student's time zone, study blocks coloured per course, busy time in grey, pinned blocks (the
student moved or fixed them) outlined and badged, completed ones struck through, a legend and the
at-risk list underneath. Inline CSS only — no script, no external asset — so the file opens
anywhere and screenshots the same everywhere. Every piece of text is escaped.

Positions use local wall-clock time (zoneinfo), so on a DST week an 18:00 block sits at 18:00 on
both sides of the change.
"""

from __future__ import annotations

import html
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from api.weekview.files import CHROMIUM, html_to_png, write_week_view
from api.weekview.style import (
    BUSY_COLOR,
    DAY_END_HOUR,
    DAY_START_HOUR,
    HOUR_PX,
    LINE_PX,
    PAD_PX,
    PALETTE,
    WEEK_BASE_CSS,
    title_lines,
)
from planner.values import Plan

# Re-exported: the callers' one place to import the week view from.
__all__ = [
    "CHROMIUM",
    "DAY_END_HOUR",
    "DAY_START_HOUR",
    "HOUR_PX",
    "WeekBlock",
    "html_to_png",
    "render_week_html",
    "write_week_view",
]

BlockKind = Literal["study", "busy"]

DONE_STATUSES = frozenset({"completed"})
FADED_STATUSES = frozenset({"skipped", "expired"})


@dataclass(frozen=True, slots=True)
class WeekBlock:
    """One box in the picture. `start`/`end` are aware datetimes (any zone)."""

    title: str
    course_code: str | None
    start: datetime
    end: datetime
    status: str = "scheduled"
    pinned: bool = False
    kind: BlockKind = "study"

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{self.title!r}: start and end must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"{self.title!r}: end must be after start")


@dataclass(frozen=True, slots=True)
class _Placed:
    """A block's piece on one local day, in minutes after midnight (wall clock)."""

    block: WeekBlock
    day: int
    start_min: int
    end_min: int
    lane: int = 0
    lanes: int = 1


@dataclass(slots=True)
class _Day:
    date: date
    all_day: list[WeekBlock] = field(default_factory=list)
    timed: list[_Placed] = field(default_factory=list)


# --- adapters from the rest of the product --------------------------------------------------------


def busy_blocks(events: Iterable[tuple[str, datetime, datetime]]) -> list[WeekBlock]:
    """(summary, start, end) events — freebusy, the demo calendar — as grey blocks."""
    return [
        WeekBlock(summary, None, start, end, "busy", False, "busy")
        for summary, start, end in events
    ]


def blocks_from_plan(
    plan: Plan,
    course_codes: Mapping[str, str],
    *,
    statuses: Mapping[str, str] | None = None,
    pinned_ids: Iterable[str] = (),
) -> list[WeekBlock]:
    """The planner's tasks as study blocks; statuses/pins come from the database (by task id)."""
    pinned = set(pinned_ids)
    statuses = statuses or {}
    return [
        WeekBlock(
            task.title,
            course_codes.get(task.course_id, "?"),
            task.scheduled_start,
            task.scheduled_end,
            statuses.get(task.id, "scheduled"),
            task.id in pinned,
            "study",
        )
        for task in plan.tasks
    ]


def at_risk_lines(plan: Plan, assessment_names: Mapping[str, str], tz: str) -> list[str]:
    zone = ZoneInfo(tz)
    lines = []
    for item in plan.at_risk:
        name = assessment_names.get(item.assessment_id or "", "review")
        due = f" (due {item.due.astimezone(zone):%a %b %d %H:%M})" if item.due else ""
        lines.append(f"{name}{due}: {item.minutes_missing} min missing — {item.reason}")
    return lines


# --- layout ---------------------------------------------------------------------------------------


def _split_by_day(block: WeekBlock, days: Sequence[date], zone: ZoneInfo) -> Iterable[_Placed]:
    """The block's pieces on each local day of the week it touches, clipped to the visible hours."""
    start, end = block.start.astimezone(zone), block.end.astimezone(zone)
    for index, day in enumerate(days):
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        if end <= midnight or start >= next_midnight:
            continue
        # Wall-clock minutes (not elapsed ones): a 25-hour DST day still draws 18:00 at 18:00.
        first = 0 if start <= midnight else start.hour * 60 + start.minute
        last = 24 * 60 if end >= next_midnight else end.hour * 60 + end.minute
        first, last = max(first, DAY_START_HOUR * 60), min(last, DAY_END_HOUR * 60)
        if last > first:
            yield _Placed(block, index, first, last)


def _is_all_day(block: WeekBlock, zone: ZoneInfo) -> bool:
    start, end = block.start.astimezone(zone), block.end.astimezone(zone)
    return start.time() == end.time() == time(0) and end.date() > start.date()


def _assign_lanes(pieces: list[_Placed]) -> list[_Placed]:
    """Side-by-side lanes for overlapping pieces of one day (greedy, per overlapping cluster)."""
    ordered = sorted(pieces, key=lambda p: (p.start_min, -p.end_min, p.block.kind != "busy"))
    result: list[_Placed] = []
    cluster: list[_Placed] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close() -> None:
        result.extend(
            _Placed(p.block, p.day, p.start_min, p.end_min, p.lane, len(lane_ends)) for p in cluster
        )

    for piece in ordered:
        if piece.start_min >= cluster_end and cluster:
            close()
            cluster, lane_ends = [], []
        lane = next((i for i, end in enumerate(lane_ends) if end <= piece.start_min), None)
        if lane is None:
            lane = len(lane_ends)
            lane_ends.append(piece.end_min)
        else:
            lane_ends[lane] = piece.end_min
        cluster.append(_Placed(piece.block, piece.day, piece.start_min, piece.end_min, lane))
        cluster_end = max(cluster_end, piece.end_min)
    if cluster:
        close()
    return result


def _lay_out(blocks: Iterable[WeekBlock], week_start: date, zone: ZoneInfo) -> list[_Day]:
    days = [_Day(week_start + timedelta(days=i)) for i in range(7)]
    dates = [d.date for d in days]
    week_begin = datetime.combine(week_start, time(0), tzinfo=zone)
    week_end = datetime.combine(week_start + timedelta(days=7), time(0), tzinfo=zone)
    for block in blocks:
        if block.end <= week_begin or block.start >= week_end:
            continue
        if _is_all_day(block, zone):
            for day in days:
                if (
                    block.start.astimezone(zone).date()
                    <= day.date
                    < block.end.astimezone(zone).date()
                ):
                    day.all_day.append(block)
            continue
        for piece in _split_by_day(block, dates, zone):
            days[piece.day].timed.append(piece)
    for day in days:
        day.timed = _assign_lanes(day.timed)
    return days


# --- rendering ------------------------------------------------------------------------------------


def course_color(code: str, colors: Mapping[str, str]) -> str:
    if code in colors:
        return colors[code]
    return PALETTE[zlib.crc32(code.encode()) % len(PALETTE)]  # stable across runs, unlike hash()


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _block_html(piece: _Placed, colors: Mapping[str, str], zone: ZoneInfo) -> str:
    block = piece.block
    top = (piece.start_min - DAY_START_HOUR * 60) * HOUR_PX / 60
    height = (piece.end_min - piece.start_min) * HOUR_PX / 60
    width = 100 / piece.lanes
    lines = title_lines(height)
    classes: list[str] = [block.kind]
    if lines == 0:
        classes.append("short")  # time and title on one line: a second one would be cut
    if block.pinned:
        classes.append("pinned")
    if block.status in DONE_STATUSES:
        classes.append("done")
    if block.status in FADED_STATUSES:
        classes.append("faded")
    color = BUSY_COLOR if block.kind == "busy" else course_color(block.course_code or "?", colors)
    when = _when(block, zone)
    code = html.escape(block.course_code or "")
    # The course is in the time line and the colour: the box spends its width on the rest.
    prefix = f"{block.course_code}: " if block.course_code else None
    shown = block.title[len(prefix) :] if prefix and block.title.startswith(prefix) else block.title
    label = html.escape(shown)
    # One line: the start and as much of the title as fits (the title names the course).
    shown_when, shown_code = (when[:5], "") if not lines else (when, code)
    badge = '<span class="badge">pinned</span>' if block.pinned else ""
    hint = html.escape(f"{block.title} · {when} · {block.status}", quote=True)
    # A block shorter than one line gets a line's height (its end overlaps, never its text).
    line_fit = (
        f"line-height:{max(8, min(LINE_PX, int(height) - 2 * PAD_PX))}px;" if not lines else ""
    )
    clamp = f' style="-webkit-line-clamp:{lines}"' if lines else ""
    return (
        f'<div class="{" ".join(classes)}" data-start="{_hhmm(piece.start_min)}" '
        f'data-end="{_hhmm(piece.end_min)}" data-course="{code}" data-status='
        f'"{html.escape(block.status, quote=True)}" title="{hint}" style="top:{top:.1f}px;'
        f"height:{height:.1f}px;min-height:{height:.1f}px;{line_fit}"
        f"left:calc({piece.lane * width:.3f}% + 2px);"
        f'width:calc({width:.3f}% - 4px);background:{color}">'
        f'<span class="when">{shown_when} <span class="code">{shown_code}</span></span> '
        f'<span class="what"{clamp}>{badge}{label}</span></div>'
    )


def _when(block: WeekBlock, zone: ZoneInfo) -> str:
    return f"{block.start.astimezone(zone):%H:%M}–{block.end.astimezone(zone):%H:%M}"


def _now_line_html(day: date, now: datetime | None, zone: ZoneInfo) -> str:
    """A red line across the day's column at `now` (as of rendering), if it is that day and in
    the drawn hours."""
    if now is None:
        return ""
    local = now.astimezone(zone)
    minutes = local.hour * 60 + local.minute
    if local.date() != day or not DAY_START_HOUR * 60 <= minutes <= DAY_END_HOUR * 60:
        return ""
    top = (minutes - DAY_START_HOUR * 60) * HOUR_PX / 60
    return (
        f'<div class="now-line" role="img" aria-label="now, {local:%H:%M}" '
        f'style="top:{top:.1f}px"><span>now {local:%H:%M}</span></div>'
    )


def _day_html(
    day: _Day, index: int, colors: Mapping[str, str], zone: ZoneInfo, now: datetime | None = None
) -> str:
    chips = "".join(
        f'<div class="allday" data-kind="{b.kind}">{html.escape(b.title)}</div>'
        for b in day.all_day
    )
    blocks = "".join(_block_html(p, colors, zone) for p in day.timed)
    return (
        f'<section class="day" data-day="{index}" data-date="{day.date.isoformat()}">'
        f"<h2>{day.date:%a}<small>{day.date:%b} {day.date.day}</small></h2>"
        f'<div class="allday-row">{chips}</div>'
        f'<div class="column">{blocks}{_now_line_html(day.date, now, zone)}</div></section>'
    )


def _legend_html(codes: Sequence[str], colors: Mapping[str, str]) -> str:
    swatches = "".join(
        f'<li><span class="swatch" style="background:{course_color(c, colors)}"></span>'
        f"{html.escape(c)}</li>"
        for c in codes
    )
    return (
        f'<ul class="legend">{swatches}'
        f'<li><span class="swatch" style="background:{BUSY_COLOR}"></span>busy (calendar)</li>'
        '<li><span class="swatch pinned-sample"></span>pinned (moved by you)</li>'
        '<li><span class="done-sample">completed</span></li></ul>'
    )


def _at_risk_html(at_risk: Sequence[str]) -> str:
    if not at_risk:
        return '<section class="at-risk"><h3>At risk</h3><p>Nothing at risk.</p></section>'
    items = "".join(f"<li>{html.escape(line)}</li>" for line in at_risk)
    return f'<section class="at-risk"><h3>At risk</h3><ul>{items}</ul></section>'


def _agenda_html(study: Sequence[WeekBlock], days: Sequence[_Day], zone: ZoneInfo,
                 colors: Mapping[str, str]) -> str:  # fmt: skip
    """Every study block of the week with its whole title, day by day: the list beside the grid
    (it also holds the blocks outside the drawn hours)."""
    parts = []
    for day in days:
        begin = datetime.combine(day.date, time(0), tzinfo=zone)
        end = begin + timedelta(days=1)
        todays = sorted(
            (b for b in study if b.start < end and b.end > begin), key=lambda b: b.start
        )
        if not todays:
            continue
        items = "".join(
            f'<li class="{"done" if b.status in DONE_STATUSES else "item"}" style="--course:'
            f'{course_color(b.course_code or "?", colors)}"><time>{_when(b, zone)}</time>'
            f"{html.escape(b.title)}"
            + (' <span class="tag">pinned</span>' if b.pinned else "")
            + (
                f' <span class="tag">{html.escape(b.status)}</span>'
                if b.status != "scheduled"
                else ""
            )
            + "</li>"
            for b in todays
        )
        parts.append(f"<h4>{day.date:%a %d %b}</h4><ol>{items}</ol>")
    body = "".join(parts) or "<p>No study blocks this week.</p>"
    heading = "<h3>Study blocks</h3>"
    return f'<aside class="agenda" aria-label="study blocks">{heading}{body}</aside>'


def grid_html(
    plan_rows: Sequence[WeekBlock],
    busy: Sequence[WeekBlock],
    *,
    week_start: date,
    zone: ZoneInfo,
    colors: Mapping[str, str],
    now: datetime | None,
    classes: str = "week",
) -> tuple[str, str, list[WeekBlock], list[_Day]]:
    """(the grid, the legend and hidden-blocks note, the study blocks, the laid-out days)."""
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
    grid = (
        f'<div class="{classes}"><div class="axis">{axis}</div>'
        + "".join(_day_html(day, i, colors, zone, now) for i, day in enumerate(days))
        + "</div>"
    )
    return grid, _legend_html(codes, colors) + note, study, days


def render_week_html(
    plan_rows: Sequence[WeekBlock],
    busy: Sequence[WeekBlock],
    *,
    week_start: date,
    tz: str,
    title: str,
    at_risk: Sequence[str] = (),
    course_colors: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> str:
    """The week starting `week_start` (a local date in `tz`) as one HTML page: the grid, the
    list of its blocks beside it, the legend and the at-risk work; a line at `now` if given."""
    zone = ZoneInfo(tz)
    colors = dict(course_colors or {})
    grid, legend, study, days = grid_html(
        plan_rows, busy, week_start=week_start, zone=zone, colors=colors, now=now
    )
    week_end = week_start + timedelta(days=6)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{WEEK_BASE_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="sub">{week_start:%a %b} {week_start.day} – {week_end:%a %b} {week_end.day}, '
        f"{week_end.year} · times in {html.escape(tz)}</p>"
        f'<div class="layout">{grid}{_agenda_html(study, days, zone, colors)}</div>'
        f"{legend}{_at_risk_html(at_risk)}</body></html>"
    )


def _hidden_count(
    study: Sequence[WeekBlock], week_start: date, zone: ZoneInfo, days: Sequence[_Day]
) -> int:
    drawn = {id(p.block) for day in days for p in day.timed} | {
        id(b) for day in days for b in day.all_day
    }
    begin = datetime.combine(week_start, time(0), tzinfo=zone)
    end = datetime.combine(week_start + timedelta(days=7), time(0), tzinfo=zone)
    return sum(1 for b in study if b.end > begin and b.start < end and id(b) not in drawn)
