"""The week view as a reader sees it, laid out by headless Chromium: short blocks keep a whole
title line, titles are whole on hover and in the list beside the grid, the now line sits at now."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.weekview.view import DAY_START_HOUR, HOUR_PX, WeekBlock, render_week_html
from tests.conftest import require_chromium

NY = ZoneInfo("America/New_York")
WEEK = date(2026, 11, 23)  # Monday
LONG = "CSE 110: Strings and Text Processing — project (Project 2: Word Frequency Analyzer)"
NOW = datetime.combine(WEEK + timedelta(days=2), time(15, 6), tzinfo=NY)  # Wednesday 15:06

# (title, day, start hour, minutes): every length a plan holds, long titles included.
BLOCKS = [
    (f"{LONG} · 15", 0, 18, 15),
    (f"{LONG} · 30", 0, 19, 30),
    (f"{LONG} · 40", 1, 18, 40),
    (f"{LONG} · 50", 1, 19, 50),
    ("MATH 2413: Chain Rule — reading (Midterm 2)", 2, 18, 35),
    (f"{LONG} · 90", 3, 18, 90),
]


def block(title: str, day: int, hour: int, minutes: int) -> WeekBlock:
    start = datetime.combine(WEEK + timedelta(days=day), time(hour), tzinfo=NY)
    return WeekBlock(title, "CSE 110", start, start + timedelta(minutes=minutes))


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    html = render_week_html(
        [block(*b) for b in BLOCKS],
        [],
        week_start=WEEK,
        tz="America/New_York",
        title="Maya's week",
        now=NOW,
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        tab = browser.new_page(viewport={"width": 1400, "height": 1200})
        tab.set_content(html)
        yield tab
        browser.close()


GEOMETRY = """el => {
  const box = el.getBoundingClientRect(), what = el.querySelector('.what');
  const first = what.getClientRects()[0];
  return {top: box.top, bottom: box.bottom, height: box.height,
          whatTop: first.top, whatBottom: first.bottom,
          line: parseFloat(getComputedStyle(el).lineHeight),
          whole: what.scrollHeight <= what.clientHeight + 1};
}"""


def by_tooltip(page: Any, title: str) -> Any:
    return page.locator(f'.column > .study[title^="{title} ·"]')


def geometry(page: Any, title: str) -> dict[str, Any]:
    box = by_tooltip(page, title)
    assert box.count() == 1, title
    return dict(box.evaluate(GEOMETRY))


@pytest.mark.parametrize("title,_day,_hour,minutes", BLOCKS)
def test_every_block_shows_a_whole_title_line(
    page: Any, title: str, _day: int, _hour: int, minutes: int
) -> None:
    g = geometry(page, title)
    assert g["height"] == pytest.approx(minutes * HOUR_PX / 60, abs=0.5)
    # The first line of the title is inside the box, top to bottom: not clipped.
    assert g["whatTop"] >= g["top"] - 0.5
    assert g["whatBottom"] <= g["bottom"] + 0.5
    assert g["whatBottom"] - g["whatTop"] >= g["line"] - 0.5


@pytest.mark.parametrize("minutes", [30, 40])
def test_a_30_or_40_minute_block_has_its_time_line_and_a_title_line_below(
    page: Any, minutes: int
) -> None:
    g = geometry(page, f"{LONG} · {minutes}")
    box = by_tooltip(page, f"{LONG} · {minutes}")
    assert "short" not in (box.get_attribute("class") or "")
    assert g["whatTop"] >= g["top"] + g["line"] - 0.5  # under the time line


def test_the_whole_title_is_on_hover_and_in_the_list_beside_the_grid(page: Any) -> None:
    title = f"{LONG} · 30"
    box = by_tooltip(page, title)
    assert (box.get_attribute("title") or "").startswith(f"{title} · 19:00–19:30")
    assert not geometry(page, title)["whole"]  # the grid cuts it at a whole line ...
    box.hover()
    hovered = geometry(page, title)
    assert hovered["whole"] and hovered["height"] > 30  # ... and hovering shows all of it
    page.mouse.move(0, 0)
    listed = page.locator("aside.agenda li").all_inner_texts()
    for title, _day, hour, _minutes in BLOCKS:
        assert any(title in item and f"{hour}:00–" in item for item in listed), title
    grid = page.locator(".week").bounding_box()
    aside = page.locator("aside.agenda").bounding_box()
    assert aside["x"] >= grid["x"] + grid["width"]  # beside the grid, not under it
    assert aside["y"] < grid["y"] + 100


def test_the_now_line_is_at_now_in_todays_column(page: Any) -> None:
    line = page.locator(".now-line")
    assert line.count() == 1 and line.get_attribute("aria-label") == "now, 15:06"
    wednesday = page.locator('.day[data-day="2"] .column')
    column, drawn = wednesday.bounding_box(), line.bounding_box()
    expected = (15 * 60 + 6 - DAY_START_HOUR * 60) * HOUR_PX / 60
    assert drawn["y"] - column["y"] == pytest.approx(expected, abs=2.5)
    assert column["x"] <= drawn["x"]
    assert drawn["x"] + drawn["width"] <= column["x"] + column["width"]
    assert page.locator('.day[data-day="2"] .now-line').count() == 1
