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
import subprocess
import tempfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from planner.values import Plan

BlockKind = Literal["study", "busy"]

DAY_START_HOUR = 7
DAY_END_HOUR = 23
HOUR_PX = 36
GRID_PX = (DAY_END_HOUR - DAY_START_HOUR) * HOUR_PX
CHROMIUM = Path("/usr/bin/chromium")
BUSY_COLOR = "#9CA3AF"
# Distinct, readable on white text; used when the caller gives no colour for a course.
PALETTE = ("#2563EB", "#059669", "#DC2626", "#D97706", "#7C3AED", "#DB2777", "#0891B2", "#4D7C0F")
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
    height = max((piece.end_min - piece.start_min) * HOUR_PX / 60, 12)
    width = 100 / piece.lanes
    classes: list[str] = [block.kind]
    if block.pinned:
        classes.append("pinned")
    if block.status in DONE_STATUSES:
        classes.append("done")
    if block.status in FADED_STATUSES:
        classes.append("faded")
    color = BUSY_COLOR if block.kind == "busy" else course_color(block.course_code or "?", colors)
    local_start, local_end = block.start.astimezone(zone), block.end.astimezone(zone)
    when = f"{local_start:%H:%M}–{local_end:%H:%M}"
    label = html.escape(block.title)
    code = html.escape(block.course_code or "")
    badge = '<span class="badge">pinned</span>' if block.pinned else ""
    hint = html.escape(f"{block.title} · {when} · {block.status}", quote=True)
    return (
        f'<div class="{" ".join(classes)}" data-start="{_hhmm(piece.start_min)}" '
        f'data-end="{_hhmm(piece.end_min)}" data-course="{code}" data-status='
        f'"{html.escape(block.status, quote=True)}" title="{hint}" style="top:{top:.1f}px;'
        f"height:{height:.1f}px;left:calc({piece.lane * width:.3f}% + 2px);"
        f'width:calc({width:.3f}% - 4px);background:{color}">'
        f'<span class="when">{when} <span class="code">{code}</span></span>'
        f'<span class="what">{badge}{label}</span></div>'
    )


def _day_html(day: _Day, index: int, colors: Mapping[str, str], zone: ZoneInfo) -> str:
    chips = "".join(
        f'<div class="allday" data-kind="{b.kind}">{html.escape(b.title)}</div>'
        for b in day.all_day
    )
    blocks = "".join(_block_html(p, colors, zone) for p in day.timed)
    return (
        f'<section class="day" data-day="{index}" data-date="{day.date.isoformat()}">'
        f"<h2>{day.date:%a}<small>{day.date:%b} {day.date.day}</small></h2>"
        f'<div class="allday-row">{chips}</div>'
        f'<div class="column">{blocks}</div></section>'
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


_CSS = f"""
*{{box-sizing:border-box}}
body{{margin:0;padding:16px 20px;font:13px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif;color:#111827;background:#fff}}
h1{{font-size:20px;margin:0 0 2px}}
.sub{{color:#6B7280;margin:0 0 10px}}
.week{{display:grid;grid-template-columns:48px repeat(7,1fr);gap:0 4px}}
.axis{{position:relative;margin-top:62px;height:{GRID_PX}px}}
.axis span{{position:absolute;right:6px;transform:translateY(-50%);color:#6B7280;font-size:11px}}
.day h2{{margin:0;height:34px;font-size:14px;text-align:center}}
.day h2 small{{display:block;font-weight:normal;color:#6B7280;font-size:11px}}
.allday-row{{height:28px;padding:2px 0}}
.allday{{background:{BUSY_COLOR};color:#fff;border-radius:4px;padding:3px 6px;font-size:11px;
white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
.column{{position:relative;height:{GRID_PX}px;border:1px solid #E5E7EB;border-radius:4px;
background:repeating-linear-gradient(to bottom,#fff 0,#fff {HOUR_PX - 1}px,#F3F4F6 {HOUR_PX - 1}px,
#F3F4F6 {HOUR_PX}px)}}
.column>div{{position:absolute;overflow:hidden;border-radius:4px;padding:2px 4px;color:#fff;
font-size:11px;line-height:1.2;box-shadow:0 1px 2px rgba(0,0,0,.15)}}
.busy{{opacity:.85;z-index:1;color:#1F2937!important}}
.study{{z-index:2}}
.when{{display:block;font-weight:600;opacity:.9;white-space:nowrap}}
.what{{display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
.code{{font-weight:normal;opacity:.85;font-size:10px}}
.pinned{{outline:2px dashed #111827;outline-offset:-2px}}
.badge{{background:#111827;color:#fff;border-radius:3px;padding:0 3px;margin-right:4px;
font-size:9px;text-transform:uppercase}}
.done .what,.done .when{{text-decoration:line-through}}
.done{{opacity:.55}}
.faded{{opacity:.35}}
.legend{{list-style:none;display:flex;flex-wrap:wrap;gap:6px 16px;padding:0;margin:12px 0 0}}
.swatch{{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:5px;
vertical-align:-2px}}
.pinned-sample{{outline:2px dashed #111827;outline-offset:-2px;background:#fff}}
.done-sample{{text-decoration:line-through;color:#6B7280}}
.at-risk{{margin-top:10px}}
.at-risk h3{{font-size:14px;margin:0 0 4px;color:#B91C1C}}
.at-risk ul{{margin:0;padding-left:18px}}
.note{{color:#6B7280;font-size:11px}}
"""


def render_week_html(
    plan_rows: Sequence[WeekBlock],
    busy: Sequence[WeekBlock],
    *,
    week_start: date,
    tz: str,
    title: str,
    at_risk: Sequence[str] = (),
    course_colors: Mapping[str, str] | None = None,
) -> str:
    """The week starting `week_start` (a local date in `tz`) as one HTML page."""
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
    week_end = week_start + timedelta(days=6)
    note = (
        f'<p class="note">{hidden} study block(s) this week fall outside '
        f"{DAY_START_HOUR:02d}:00–{DAY_END_HOUR:02d}:00 and are not drawn.</p>"
        if hidden
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="sub">{week_start:%a %b} {week_start.day} – {week_end:%a %b} {week_end.day}, '
        f"{week_end.year} · times in {html.escape(tz)}</p>"
        f'<div class="week"><div class="axis">{axis}</div>'
        + "".join(_day_html(day, i, colors, zone) for i, day in enumerate(days))
        + f"</div>{_legend_html(codes, colors)}{note}{_at_risk_html(at_risk)}</body></html>"
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


# --- files ----------------------------------------------------------------------------------------


def write_week_view(path_html: Path, html_text: str) -> Path:
    path_html.parent.mkdir(parents=True, exist_ok=True)
    path_html.write_text(html_text, encoding="utf-8")
    return path_html


def html_to_png(
    path_html: Path,
    path_png: Path,
    *,
    chromium: Path = CHROMIUM,
    window: tuple[int, int] = (1400, 1000),
    timeout_s: float = 60,
) -> bool:
    """Screenshot the page with headless Chromium; False (never an exception) when it cannot."""
    if not chromium.is_file():
        return False
    path_png.parent.mkdir(parents=True, exist_ok=True)
    path_png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="studyplanner-chromium-") as profile:
        # A throwaway profile and every background service off: no network beyond file://,
        # nothing left behind, and no first-run dialog blocking a headless start.
        command = [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={path_png.resolve()}",
            f"--window-size={window[0]},{window[1]}",
            path_html.resolve().as_uri(),
        ]
        try:
            subprocess.run(
                command,
                capture_output=True,
                timeout=timeout_s,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
    return path_png.exists() and path_png.stat().st_size > 0
