"""How far ahead a sync plans, and which of the planned blocks it writes.

The planner is given a horizon that reaches every known deadline (the last upcoming assessment
of the student's courses, at most `plan_ahead_max_days`): free time is checked over the whole
span, so a final due in 17 days is planned — or reported at risk — today, not "later". Only the
blocks starting inside the near window (`sync_horizon_days`, 14 by default) are written to the
database, Google and Notion; the rest are "planned later" and reach the calendar as the window
moves on (each sync plans them again, keeping what it already wrote where it still fits).

Pure: values in, values out. The wording of "at risk" and "later" is here once, for the CLI,
the demo and the sync report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from planner.values import Plan


@dataclass(frozen=True, slots=True)
class Horizon:
    plan_days: int  # what the planner sees (free time, busy time, deadlines)
    write_days: int  # what is written to the database and pushed


def planning_horizon(
    now: datetime, last_deadline: datetime | None, *, write_days: int, max_days: int
) -> Horizon:
    days = write_days
    if last_deadline is not None and last_deadline > now:
        # +1: a deadline late on its last day still has that day's free time before it.
        days = max(days, math.ceil((last_deadline - now) / timedelta(days=1)) + 1)
    return Horizon(plan_days=min(days, max(max_days, write_days)), write_days=write_days)


def split_near(plan: Plan, now: datetime, horizon: Horizon) -> tuple[Plan, dict[str, Any]]:
    """The plan restricted to the near window, and what lies beyond it (for the report)."""
    cutoff = now + timedelta(days=horizon.write_days)
    near = tuple(t for t in plan.tasks if t.scheduled_start < cutoff)
    beyond = [t for t in plan.tasks if t.scheduled_start >= cutoff]
    later = {
        "window_days": horizon.write_days,
        "plan_days": horizon.plan_days,
        "window_end": cutoff.isoformat(),
        "minutes": sum(t.duration_min for t in beyond),
        "blocks": [
            {
                "start": t.scheduled_start.isoformat(),
                "end": t.scheduled_end.isoformat(),
                "title": t.title,
                "assessment_id": t.assessment_id,
            }
            for t in beyond[:200]
        ],
        "block_count": len(beyond),
    }
    return replace(plan, tasks=near), later


# --- the words ------------------------------------------------------------------------------------


def at_risk_line(item: dict[str, Any]) -> tuple[str, str]:
    """(label, text) of one at-risk entry of a sync's details. Work due beyond the whole planning
    span is not 'at risk' (nothing says it cannot fit): it is not planned yet."""
    if item.get("reason_code") == "after_horizon":
        return "not planned yet", f"{item['minutes_missing']} min — {item['reason']}"
    return "at risk", f"{item['minutes_missing']} min do not fit — {item['reason']}"


def later_line(later: dict[str, Any] | None, zone: str) -> str | None:
    """One sentence on the blocks planned beyond the near window, or None if there are none."""
    if not later or not later.get("block_count"):
        return None
    local = ZoneInfo(zone)
    end = datetime.fromisoformat(later["window_end"]).astimezone(local)
    first = min(datetime.fromisoformat(b["start"]) for b in later["blocks"]).astimezone(local)
    return (
        f"{later['minutes']} min in {later['block_count']} block(s) fit before their deadlines "
        f"and are planned from {first:%a %d %b} on, after the {later['window_days']}-day window "
        f"(to {end:%a %d %b %H:%M}); they reach your calendar as the window moves on"
    )
