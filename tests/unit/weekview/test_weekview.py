"""The week-view picture: right column, right time, escaped text, DST-correct, self-contained."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from api.weekview.view import (
    DAY_START_HOUR,
    HOUR_PX,
    WeekBlock,
    at_risk_lines,
    blocks_from_plan,
    busy_blocks,
    html_to_png,
    render_week_html,
    write_week_view,
)
from planner.values import AtRisk, Plan, PlannedTask
from planner.vocabulary import Difficulty, TaskType
from tests.conftest import require_chromium

TZ = "America/New_York"
NY = ZoneInfo(TZ)
WEEK = date(2026, 11, 23)  # Monday


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


def study(
    title: str, start: datetime, minutes: int = 50, code: str = "MATH 2413", **kw: object
) -> WeekBlock:
    return WeekBlock(title, code, start, start + timedelta(minutes=minutes), **kw)  # type: ignore[arg-type]


@dataclass
class Box:
    day: int
    classes: set[str]
    attrs: dict[str, str]
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def style(self, pattern: str) -> str:
        found = re.search(pattern, self.attrs["style"])
        assert found, f"{pattern} not in {self.attrs['style']}"
        return found.group(1)

    @property
    def top(self) -> float:
        return float(self.style(r"top:([\d.]+)px"))

    @property
    def width(self) -> str:
        return self.style(r"width:calc\(([\d.]+)%")


VOID = frozenset({"meta", "br", "img", "link", "input", "hr"})


class Page(HTMLParser):
    """What a reader sees: boxes per day column, all-day chips, the legend and at-risk items."""

    def __init__(self) -> None:
        super().__init__()
        self.boxes: list[Box] = []
        self.chips: dict[int, list[list[str]]] = {}
        self.risk_items: list[list[str]] = []
        self.legend_items: list[list[str]] = []
        self._day = -1
        self._stack: list[tuple[str, list[str] | None, str]] = []  # (tag, text sink, context)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = set(a.get("class", "").split())
        sink, context = self._stack[-1][1:] if self._stack else (None, "")
        if tag == "section" and "day" in classes:
            self._day = int(a["data-day"])
        if tag == "div" and classes & {"study", "busy"}:
            box = Box(self._day, classes, a)
            self.boxes.append(box)
            sink = box.parts
        elif tag == "div" and "allday" in classes:
            sink = []
            self.chips.setdefault(self._day, []).append(sink)
        elif tag == "section" and "at-risk" in classes:
            context = "risk"
        elif tag == "ul" and "legend" in classes:
            context = "legend"
        elif tag == "li" and context in {"risk", "legend"}:
            sink = []
            (self.risk_items if context == "risk" else self.legend_items).append(sink)
        if tag not in VOID:
            self._stack.append((tag, sink, context))

    def handle_endtag(self, tag: str) -> None:
        assert self._stack and self._stack[-1][0] == tag, f"unbalanced </{tag}>"
        self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1][1] is not None:
            self._stack[-1][1].append(data)

    @property
    def all_day(self) -> dict[int, list[str]]:
        return {day: ["".join(c) for c in chips] for day, chips in self.chips.items()}

    @property
    def at_risk(self) -> list[str]:
        return ["".join(item) for item in self.risk_items]

    @property
    def legend(self) -> list[str]:
        return ["".join(item) for item in self.legend_items]


def parse(page_html: str) -> Page:
    page = Page()
    page.feed(page_html)
    return page


def by_title(page: Page, *titles: str) -> list[Box]:
    """The box whose text ends with each title (the title is the last thing in a box)."""
    found = []
    for title in titles:
        (box,) = [b for b in page.boxes if b.text.endswith(title)]
        found.append(box)
    return found


def render(rows: list[WeekBlock], busy: list[WeekBlock] | None = None, **kw: object) -> str:
    options: dict[str, object] = {"week_start": WEEK, "tz": TZ, "title": "Maya's week"} | kw
    return render_week_html(rows, busy or [], **options)  # type: ignore[arg-type]


def top_px(hour: int, minute: int = 0) -> float:
    return (hour - DAY_START_HOUR) * HOUR_PX + minute * HOUR_PX / 60


def test_a_block_sits_in_its_day_column_at_its_local_time() -> None:
    wednesday = WEEK + timedelta(days=2)
    page = parse(render([study("Chain rule drills", at(wednesday, 18, 30))]))
    (box,) = page.boxes
    assert box.day == 2 and "study" in box.classes
    assert (box.attrs["data-start"], box.attrs["data-end"]) == ("18:30", "19:20")
    assert box.top == top_px(18, 30)
    assert "Chain rule drills" in box.text and "18:30–19:20" in box.text
    assert box.attrs["data-course"] == "MATH 2413"


def test_utc_input_is_drawn_in_the_students_zone() -> None:
    # 23:00 UTC on Monday 2026-11-23 is 18:00 in New York (EST, UTC-5).
    start = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    (box,) = parse(render([study("Reading", start)])).boxes
    assert (box.day, box.attrs["data-start"]) == (0, "18:00")
    # ... and 03:00 UTC on Tuesday is still Monday evening there.
    (late,) = parse(render([study("Late", datetime(2026, 11, 24, 3, 0, tzinfo=UTC))])).boxes
    assert (late.day, late.attrs["data-start"]) == (0, "22:00")


def test_dst_week_keeps_wall_clock_positions() -> None:
    # Clocks fall back on Sunday 2026-11-01 at 02:00: Saturday is EDT (UTC-4), Sunday EST (UTC-5).
    week = date(2026, 10, 26)
    saturday, sunday = week + timedelta(days=5), week + timedelta(days=6)
    rows = [study("Sat evening", at(saturday, 18)), study("Sun evening", at(sunday, 18))]
    assert [r.start.astimezone(UTC).hour for r in rows] == [22, 23]
    page = parse(render(rows, week_start=week))
    placed = {b.day: (b.attrs["data-start"], b.top) for b in page.boxes}
    assert placed == {5: ("18:00", top_px(18)), 6: ("18:00", top_px(18))}
    # The same UTC instant 22:00 is 18:00 on Saturday but 17:00 on Sunday.
    same_utc = [
        study("A", datetime(2026, 10, 31, 22, 0, tzinfo=UTC)),
        study("B", datetime(2026, 11, 1, 22, 0, tzinfo=UTC)),
    ]
    starts = {b.day: b.attrs["data-start"] for b in parse(render(same_utc, week_start=week)).boxes}
    assert starts == {5: "18:00", 6: "17:00"}


def test_text_is_escaped_everywhere() -> None:
    evil = '<script>alert("x")</script>'
    block = study(evil, at(WEEK, 18), code='CS<b>"1"</b>')
    page_html = render(
        [block],
        [WeekBlock("<img src=x onerror=alert(1)>", None, at(WEEK, 10), at(WEEK, 11), kind="busy")],
        title="<h1>Maya</h1>",
        at_risk=["Essay <due> & late"],
    )
    assert "<script" not in page_html.lower()
    assert "<img" not in page_html and "<h1>Maya" not in page_html and "<b>" not in page_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page_html
    assert "Essay &lt;due&gt; &amp; late" in page_html
    page = parse(page_html)
    texts = {b.attrs["data-course"]: b.text for b in page.boxes}
    assert evil in texts['CS<b>"1"</b>']  # the parser decodes back to exactly the input
    assert page.at_risk == ["Essay <due> & late"]


def test_busy_pinned_completed_and_skipped_are_marked() -> None:
    rows = [
        study("Moved by Maya", at(WEEK, 19), pinned=True),
        study("Done already", at(WEEK + timedelta(days=1), 19), status="completed"),
        study("Skipped", at(WEEK + timedelta(days=2), 19), status="skipped"),
    ]
    busy = busy_blocks([("CHEM 1411 lecture", at(WEEK, 10), at(WEEK, 11, 15))])
    boxes = by_title(parse(render(rows, busy)), "Moved by Maya", "Done already", "Skipped",
                     "CHEM 1411 lecture")  # fmt: skip
    moved, done, skipped, lecture = boxes
    assert {"study", "pinned"} <= moved.classes and "pinned" in moved.text
    assert "done" in done.classes and "pinned" not in done.classes and "pinned" not in done.text
    assert "faded" in skipped.classes
    assert "busy" in lecture.classes and "#9CA3AF" in lecture.attrs["style"]
    assert lecture.top == top_px(10)
    page_html = render(rows, busy)
    assert ".done .what,.done .when{text-decoration:line-through}" in page_html


def test_courses_get_their_colours_and_a_legend() -> None:
    rows = [
        study("Calc", at(WEEK, 18), code="MATH 2413"),
        study("Chem", at(WEEK, 19), code="CHEM 1411"),
    ]
    page_html = render(rows, course_colors={"MATH 2413": "#2563EB"})
    page = parse(page_html)
    by_code = {b.attrs["data-course"]: b.attrs["style"] for b in page.boxes}
    assert "background:#2563EB" in by_code["MATH 2413"]
    fallback = re.search(r"background:(#[0-9A-F]{6})", by_code["CHEM 1411"])
    assert fallback and fallback.group(1) not in {"#2563EB", "#9CA3AF"}
    assert render(rows) == render(rows)  # the fallback colour is stable
    legend = " ".join(page.legend)
    assert "CHEM 1411" in legend and "MATH 2413" in legend and "pinned" in legend


def test_at_risk_list_or_nothing_at_risk() -> None:
    assert parse(render([], at_risk=["Exam 2: 50 min missing", "Paper: 2 h"])).at_risk == [
        "Exam 2: 50 min missing",
        "Paper: 2 h",
    ]
    assert "Nothing at risk." in render([])


def test_overlapping_blocks_share_the_column_side_by_side() -> None:
    rows = [study("A", at(WEEK, 18)), study("B", at(WEEK, 18, 30)), study("C", at(WEEK, 20))]
    a, b, c = by_title(parse(render(rows)), "A", "B", "C")
    assert a.width == b.width == "50.000"
    assert a.style(r"left:calc\(([\d.]+)%") != b.style(r"left:calc\(([\d.]+)%")  # two lanes
    assert c.width == "100.000"


def test_blocks_are_split_at_midnight_clipped_to_the_day_and_outside_weeks_dropped() -> None:
    night = WeekBlock("Night shift", None, at(WEEK, 22), at(WEEK, 22) + timedelta(hours=10),
                      kind="busy")  # fmt: skip
    early = study("Too early", at(WEEK + timedelta(days=3), 5), minutes=60)
    outside = study("Next week", at(WEEK + timedelta(days=7), 18))
    page_html = render([early, outside], [night])
    page = parse(page_html)
    pieces = sorted((b.day, b.attrs["data-start"], b.attrs["data-end"]) for b in page.boxes)
    assert pieces == [(0, "22:00", "23:00"), (1, "07:00", "08:00")]
    assert "1 study block(s) this week fall outside 07:00–23:00" in page_html


def test_all_day_events_go_to_the_header_row() -> None:
    fair = WeekBlock("Career fair", None, at(WEEK + timedelta(days=4), 0),
                     at(WEEK + timedelta(days=5), 0), kind="busy")  # fmt: skip
    page = parse(render([], [fair]))
    assert page.all_day == {4: ["Career fair"]}
    assert page.boxes == []


def test_the_page_is_self_contained() -> None:
    page_html = render([study("x", at(WEEK, 18))], at_risk=["y"])
    assert page_html.startswith("<!doctype html>")
    assert not re.search(r"<script|<link|<img|src=|href=|url\(|@import|https?:", page_html, re.I)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        WeekBlock("x", "C", datetime(2026, 11, 23, 18), datetime(2026, 11, 23, 19))
    with pytest.raises(ValueError, match="after start"):
        WeekBlock("x", "C", at(WEEK, 19), at(WEEK, 18))


def test_plan_adapter_carries_status_pins_and_at_risk_lines() -> None:
    start = at(WEEK, 18).astimezone(UTC)
    task = PlannedTask(
        id="t1", title="Chain rule practice", task_type=TaskType.PROBLEM_SET, course_id="c1",
        assessment_id="a1", topic_ids=("p1",), difficulty=Difficulty.HARD, duration_min=50,
        priority_score=1.0, expected_mastery_gain=5.0, scheduled_start=start,
        scheduled_end=start + timedelta(minutes=50), reason="Midterm 2 in 16 days",
    )  # fmt: skip
    risk = AtRisk("a1", None, 120, "no_free_time", "no free time before the deadline",
                  due=datetime(2026, 12, 1, 4, 59, tzinfo=UTC))  # fmt: skip
    plan = Plan(tasks=(task,), at_risk=(risk,))
    (block,) = blocks_from_plan(plan, {"c1": "MATH 2413"}, statuses={"t1": "completed"},
                                pinned_ids={"t1"})  # fmt: skip
    assert (block.course_code, block.status, block.pinned, block.kind) == (
        "MATH 2413", "completed", True, "study",
    )  # fmt: skip
    assert at_risk_lines(plan, {"a1": "Midterm 2"}, TZ) == [
        "Midterm 2 (due Mon Nov 30 23:59): 120 min missing — no free time before the deadline"
    ]


def test_write_week_view_creates_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "var" / "week.html"
    assert write_week_view(target, "<p>é</p>") == target
    assert target.read_text(encoding="utf-8") == "<p>é</p>"


def test_html_to_png_says_false_without_chromium(tmp_path: Path) -> None:
    page = write_week_view(tmp_path / "w.html", render([]))
    assert html_to_png(page, tmp_path / "w.png", chromium=tmp_path / "no-chromium") is False
    assert not (tmp_path / "w.png").exists()


def test_html_to_png_renders_the_page_when_chromium_is_there(tmp_path: Path) -> None:
    require_chromium()
    page = write_week_view(tmp_path / "w.html", render([study("x", at(WEEK, 18))]))
    assert html_to_png(page, tmp_path / "w.png") is True
    header = (tmp_path / "w.png").read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1400, 1200)


def test_a_box_leaves_out_its_course_prefix_the_tooltip_and_list_keep_the_whole_title() -> None:
    title = "MATH 2413: Chain Rule — reading (Midterm 2)"
    page_html = render([study(title, at(WEEK, 18), 30)], now=at(WEEK, 17, 45))
    page = parse(page_html)
    (box,) = by_title(page, "Chain Rule — reading (Midterm 2)")
    assert "MATH 2413: Chain" not in box.text  # the code is in the time line already
    assert box.attrs["title"] == f"{title} · 18:00–18:30 · scheduled"
    agenda = page_html.split('<aside class="agenda"', 1)[1]
    assert "18:00–18:30</time>MATH 2413: Chain Rule — reading (Midterm 2)" in agenda
    line_top = (17 * 60 + 45 - DAY_START_HOUR * 60) * HOUR_PX / 60
    assert f'aria-label="now, 17:45" style="top:{line_top:.1f}px"' in page_html
