"""Free time: where study blocks may go.

Time inside the planner is integer *epoch minutes* (minutes since 1970-01-01 UTC), which keeps
the placement loop on plain ints.

Free time over ``[now, now + horizon]`` is computed as:

1. for every local date of the horizon (in the user's IANA zone), each weekly availability
   window of that weekday, clipped to ``[earliest_start_time, latest_end_time]``, is turned into
   an aware datetime *on that local date* and only then converted to UTC. An 18:00–22:00 window
   is therefore 18:00–22:00 local on both sides of a DST change (its UTC instant shifts by an
   hour), and a window on the 23-hour or 25-hour day keeps its local wall-clock bounds;
2. busy intervals are subtracted; an all-day busy event blocks the whole *local* dates it names
   (its ``start``/``end`` carry the calendar dates as UTC midnights, end exclusive, as Google
   reports them), so an all-day exam on Tuesday blocks the user's Tuesday in any zone;
3. fixed study blocks (pinned or in progress) are subtracted together with a break on both
   sides, so a new block never sits closer than ``break_length_min`` to them;
4. segment bounds are rounded inwards to the 5-minute grid; when two free segments are closer
   than a break (a short meeting between them) the later one is trimmed so that any two blocks
   placed in different segments are always a break apart; segments shorter than the minimum
   block (15 min) are dropped.

Each segment keeps its local date ordinal, used for the per-day study cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.values import MIN_BLOCK_MIN, BusyInterval, PlanInputError, Preferences

GRID_MIN = 5


@dataclass(frozen=True, slots=True)
class Segment:
    """A free interval ``[start, end)`` in epoch minutes on one local date (``day`` ordinal)."""

    start: int
    end: int
    day: int

    @property
    def length(self) -> int:
        return self.end - self.start


def load_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PlanInputError(f"unknown time zone {name!r}") from exc


def to_minutes(moment: datetime) -> int:
    """Aware datetime → epoch minutes (floor)."""
    return int(moment.timestamp()) // 60


def to_minutes_ceil(moment: datetime) -> int:
    seconds = moment.timestamp()
    whole = int(seconds) // 60
    return whole if whole * 60 == seconds else whole + 1


def from_minutes(minutes: int) -> datetime:
    return datetime.fromtimestamp(minutes * 60, UTC)


def local_day(minutes: int, zone: ZoneInfo) -> int:
    """Local date ordinal of an epoch-minute instant."""
    return from_minutes(minutes).astimezone(zone).date().toordinal()


def ceil_grid(minutes: int) -> int:
    return -(-minutes // GRID_MIN) * GRID_MIN


def floor_grid(minutes: int) -> int:
    return minutes // GRID_MIN * GRID_MIN


def _local_instant(day: date, at: time, zone: ZoneInfo) -> int:
    # datetime.combine with tzinfo resolves the wall-clock time with the offset valid on that
    # date, which is what makes windows DST-correct.
    return to_minutes(datetime.combine(day, at, tzinfo=zone))


def _day_end(day: date, zone: ZoneInfo) -> int:
    return to_minutes(datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone))


def availability(
    prefs: Preferences, zone: ZoneInfo, start: int, end: int
) -> list[tuple[int, int, int]]:
    """Weekly availability ∩ earliest/latest, as (start, end, day) in epoch minutes."""
    first = from_minutes(start).astimezone(zone).date()
    last = from_minutes(end).astimezone(zone).date()
    latest_is_midnight = prefs.latest_end_time == time(0, 0)
    out: list[tuple[int, int, int]] = []
    day = first
    while day <= last:
        weekday = day.weekday()
        for window in prefs.weekly_availability:
            if window.weekday != weekday:
                continue
            lo = max(window.start, prefs.earliest_start_time)
            lo_min = _local_instant(day, lo, zone)
            window_end = (
                _day_end(day, zone)
                if window.end == time(0, 0)
                else _local_instant(day, window.end, zone)
            )
            latest = (
                _day_end(day, zone)
                if latest_is_midnight
                else _local_instant(day, prefs.latest_end_time, zone)
            )
            hi_min = min(window_end, latest)
            lo_min, hi_min = max(lo_min, start), min(hi_min, end)
            if hi_min > lo_min:
                out.append((lo_min, hi_min, day.toordinal()))
        day += timedelta(days=1)
    out.sort()
    return _merge_same_day(out)


def _merge_same_day(pieces: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    merged: list[tuple[int, int, int]] = []
    for lo, hi, day in pieces:
        if merged and merged[-1][2] == day and lo <= merged[-1][1]:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], hi), day)
        else:
            merged.append((lo, hi, day))
    return merged


def busy_minutes(busy: tuple[BusyInterval, ...], zone: ZoneInfo) -> list[tuple[int, int]]:
    """Busy intervals in epoch minutes, all-day events expanded to local dates; merged."""
    spans: list[tuple[int, int]] = []
    for item in busy:
        if item.all_day:
            first = item.start.astimezone(UTC).date()
            last = (item.end.astimezone(UTC) - timedelta(microseconds=1)).date()
            last = max(last, first)
            lo = _local_instant(first, time(0, 0), zone)
            hi = _day_end(last, zone)
        else:
            lo, hi = to_minutes(item.start), to_minutes_ceil(item.end)
        if hi > lo:
            spans.append((lo, hi))
    return merge_spans(spans)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = sorted(spans)
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def subtract(
    pieces: list[tuple[int, int, int]], blocked: list[tuple[int, int]]
) -> list[tuple[int, int, int]]:
    """Pieces minus merged, sorted ``blocked`` spans (two-pointer sweep)."""
    out: list[tuple[int, int, int]] = []
    j = 0
    n_blocked = len(blocked)
    for lo, hi, day in pieces:
        while j < n_blocked and blocked[j][1] <= lo:
            j += 1
        k = j
        cur = lo
        while k < n_blocked and blocked[k][0] < hi:
            b_lo, b_hi = blocked[k]
            if b_lo > cur:
                out.append((cur, b_lo, day))
            cur = max(cur, b_hi)
            k += 1
        if cur < hi:
            out.append((cur, hi, day))
    return out


def finalize(pieces: list[tuple[int, int, int]], break_min: int) -> list[Segment]:
    """Grid-align, keep a break between segments, drop the ones too short for a block."""
    segments: list[Segment] = []
    prev_end: int | None = None
    for lo, hi, day in pieces:
        lo, hi = ceil_grid(lo), floor_grid(hi)
        if prev_end is not None and lo < prev_end + break_min:
            lo = ceil_grid(prev_end + break_min)
        if hi - lo >= MIN_BLOCK_MIN:
            segments.append(Segment(lo, hi, day))
            prev_end = hi
    return segments


def free_segments(
    prefs: Preferences,
    zone: ZoneInfo,
    start: int,
    end: int,
    busy: tuple[BusyInterval, ...],
    fixed_blocks: list[tuple[int, int]],
) -> list[Segment]:
    """The free time of the module docstring, as sorted, disjoint segments."""
    pieces = availability(prefs, zone, start, end)
    brk = prefs.break_length_min
    blocked = busy_minutes(busy, zone) + [(lo - brk, hi + brk) for lo, hi in fixed_blocks]
    return finalize(subtract(pieces, merge_spans(blocked)), brk)
