"""Words for the student: a planned task's title and reason, an at-risk item's reason."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from planner import estimate as est
from planner.freetime import from_minutes, local_day, to_minutes
from planner.placement import State
from planner.problem import ChunkInfo, PlacementProblem
from planner.values import AtRiskCode, Course, PlanInputs, PlannedTask, TaskType, Topic


def why_unplaced(
    info: ChunkInfo, state: State, infos: dict[str, ChunkInfo], cache: dict[str, AtRiskCode]
) -> AtRiskCode:
    if info.after_horizon:
        return "after_horizon"
    chunk = info.chunk
    if any(p not in state.placed for p in chunk.prereqs):
        return "prerequisites"
    cached = cache.get(info.item.key)
    if cached is not None:
        return cached
    idx, _ = state.latest(chunk.duration, chunk.release, chunk.deadline, check_cap=False)
    code: AtRiskCode = "daily_cap" if idx >= 0 else "no_free_time"
    cache[info.item.key] = code
    return code


def label(item: est.WorkItem) -> str:
    if item.topic is not None:
        return item.topic.name
    return item.assessment.name if item.assessment else "review"


def _when(due: int, now: int, zone: ZoneInfo) -> str:
    days = local_day(due, zone) - local_day(now, zone)
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def planned_task(
    info: ChunkInfo,
    position: int,
    start: int,
    kept: bool,
    problem: PlacementProblem,
    inputs: PlanInputs,
    courses: dict[str, Course],
) -> PlannedTask:
    item, chunk, b = info.item, info.chunk, info.breakdown
    course = courses.get(item.course_id)
    course_label = (course.code or course.name if course else "") or item.course_id
    topic_name = label(item)
    assessment = item.assessment
    modes = inputs.preferences.modes_for(item.course_id)
    if assessment is None:
        task_type: TaskType = TaskType.REVIEW
        title = f"{course_label}: review {topic_name}"
        reason = (
            f"Spaced review of {topic_name}: it is due for review, and recalling it now keeps "
            f"your mastery (about {item.mastery:.0f}/100) from fading. Priority {b.score:.0f}."
        )
    else:
        task_type = est.task_type_for(modes, assessment.type, position)
        kind = task_type.replace("_", " ")
        title = f"{course_label}: {topic_name} — {kind} ({assessment.name})"
        due_words = _when(to_minutes(assessment.due), problem.now, problem.zone)
        reason = (
            f"{assessment.name} ({assessment.type}, {assessment.weight_percent:g}% of the grade) "
            f"is due {due_words}; {topic_name} is {item.difficulty.replace('_', '-')} and your "
            f"mastery is about {item.mastery:.0f}/100, so this gets priority {b.score:.0f}."
        )
    if kept:
        reason += " It stays at the time it already had."
    return PlannedTask(
        id=chunk.id,
        title=title,
        task_type=task_type,
        course_id=item.course_id,
        assessment_id=assessment.id if assessment else None,
        topic_ids=(item.topic.id,) if item.topic else (),
        difficulty=item.difficulty,
        duration_min=chunk.duration,
        priority_score=chunk.priority,
        expected_mastery_gain=est.expected_gain(item.mastery, chunk.duration, item.difficulty),
        scheduled_start=from_minutes(start),
        scheduled_end=from_minutes(start + chunk.duration),
        reason=reason,
        kept=kept,
    )


def risk_words(
    code: AtRiskCode,
    item: est.WorkItem,
    minutes: int,
    inputs: PlanInputs,
    topics: dict[str, Topic],
) -> str:
    what = label(item)
    name = item.assessment.name if item.assessment else f"the review of {what}"
    if code == "after_horizon":
        return (
            f"{name} is due after the {inputs.horizon_days}-day planning window; {minutes} min of "
            f"{what} will be planned in a later window."
        )
    if code == "prerequisites":
        pre_names = [
            topics[p].name
            for p in (item.topic.prerequisite_ids if item.topic else ())
            if p in topics
        ]
        needs = ", ".join(pre_names) or "its prerequisites"
        return (
            f"{what} builds on {needs}, which could not all be scheduled first, so {minutes} min "
            f"for {name} have no place before it is due."
        )
    if code == "daily_cap":
        return (
            f"Your daily limit of {inputs.preferences.max_hours_per_day:g} h is already used on "
            f"the free days before {name}: {minutes} min of {what} do not fit."
        )
    return f"Not enough free time before {name}: {minutes} min of {what} could not be placed."
