"""``python -m bench.planner.replan [--count N]``: how calm is a replan after one new busy event?

``N`` seeded students (2–3 courses, topics with prerequisite chains, assessments over 1–3
topics, two availability windows a day, a few busy events, 7-day horizon). Each is planned, one
busy event of 5–90 minutes is dropped onto a random block, and the plan is made again with the
first plan as the existing tasks. Counted:

* ``untouched_moved_blocks`` — blocks that moved (or lost their place) although they are a
  break or more away from the event and none of their prerequisite blocks now ends less than a
  break before them (what a calm replan must never do, unless it takes the fresh plan because
  staying would place less);
* ``stable_short_minutes_max`` — how many minutes the replan placed fewer than a fresh plan of
  the same inputs without existing tasks (must be 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
from datetime import UTC, datetime, time, timedelta
from time import process_time

from bench.planner.__main__ import emit
from planner import (
    Assessment,
    AssessmentTopic,
    BusyInterval,
    Course,
    ExistingTask,
    Plan,
    PlanInputs,
    Preferences,
    Topic,
    WeeklyWindow,
    plan,
)
from planner.vocabulary import AssessmentType, Difficulty, TaskStatus

NOW = datetime(2026, 3, 23, 6, 0, tzinfo=UTC)


def student(rng: random.Random) -> PlanInputs:
    courses = tuple(Course(f"c{i}", f"Course {i}", f"C{i}") for i in range(rng.randint(2, 3)))
    topics: list[Topic] = []
    for c in courses:
        for k in range(rng.randint(2, 5)):
            earlier = [t.id for t in topics if t.course_id == c.id]
            pres = tuple(rng.sample(earlier, min(len(earlier), rng.randint(0, 2))))
            diff = rng.choice(list(Difficulty))
            topics.append(Topic(f"{c.id}t{k}", c.id, f"Topic {c.id}t{k}", diff, pres, k))
    assessments = []
    for i in range(rng.randint(2, 5)):
        course = rng.choice(courses)
        own = [t.id for t in topics if t.course_id == course.id]
        chosen = rng.sample(own, min(len(own), rng.randint(1, 3)))
        assessments.append(
            Assessment(
                f"a{i}",
                course.id,
                f"Assessment {i}",
                rng.choice(list(AssessmentType)),
                float(rng.choice((5, 10, 20, 30))),
                NOW + timedelta(minutes=rng.randrange(12 * 60, 7 * 1440, 5)),
                rng.randrange(20, 120, 5),
                tuple(AssessmentTopic(t, None) for t in chosen),
            )
        )
    windows = []
    for day in range(7):
        for start_h in (rng.randint(7, 11), rng.randint(15, 19)):
            length = rng.randrange(45, 150, 15)
            end = start_h * 60 + length
            windows.append(WeeklyWindow(day, time(start_h), time(end // 60, end % 60)))
    busy = []
    for _ in range(rng.randint(0, 8)):
        start = NOW + timedelta(minutes=rng.randrange(0, 7 * 1440, 5))
        busy.append(BusyInterval(start, start + timedelta(minutes=rng.randrange(15, 120, 5))))
    prefs = Preferences(
        max_hours_per_day=rng.choice((1.5, 2.0, 3.0, 4.0)),
        preferred_block_length_min=rng.choice((25, 30, 45, 50)),
        break_length_min=rng.choice((0, 5, 10)),
        earliest_start_time=time(6),
        latest_end_time=time(23),
        weekly_availability=tuple(windows),
        enable_spaced_repetition=False,
    )
    return PlanInputs(
        "Europe/Berlin", prefs, courses, tuple(topics), tuple(assessments), (), (), tuple(busy), 7
    )


def as_existing(result: Plan) -> tuple[ExistingTask, ...]:
    return tuple(
        ExistingTask(
            t.id,
            t.course_id,
            t.assessment_id,
            t.topic_ids,
            TaskStatus.SCHEDULED,
            t.duration_min,
            t.scheduled_start,
            t.scheduled_end,
        )
        for t in result.tasks
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.planner.replan")
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    moved_total = instances_moving = short_instances = short_max = 0
    replan_cpu: list[float] = []
    for k in range(args.count):
        rng = random.Random(f"replan:{k}")
        inputs = student(rng)
        first = plan(inputs, now=NOW)
        if not first.tasks:
            continue
        victim = rng.choice(first.tasks)
        start = victim.scheduled_start + timedelta(
            minutes=rng.randrange(-30, victim.duration_min, 5)
        )
        event = BusyInterval(start, start + timedelta(minutes=rng.randrange(5, 95, 5)))
        changed = dataclasses.replace(
            inputs, busy=(*inputs.busy, event), existing_tasks=as_existing(first)
        )
        c0 = process_time()
        second = plan(changed, now=NOW)
        replan_cpu.append((process_time() - c0) * 1000)
        fresh = plan(dataclasses.replace(changed, existing_tasks=()), now=NOW)
        short = fresh.placed_minutes - second.placed_minutes
        if short > 0:
            short_instances += 1
            short_max = max(short_max, short)
        if not any(t.kept for t in second.tasks):
            continue  # the fresh plan was taken (or nothing could stay)
        moved = _untouched_moved(inputs, first, second, event)
        moved_total += moved
        instances_moving += moved > 0
    emit("instances", args.count, "count", "replan")
    emit("untouched_moved_blocks", moved_total, "count", "replan")
    emit("instances_moving_untouched_blocks", instances_moving, "count", "replan")
    emit("stable_short_instances", short_instances, "count", "replan")
    emit("stable_short_minutes_max", short_max, "min", "replan")
    replan_cpu.sort()
    emit("replan_cpu_ms_p50", round(replan_cpu[len(replan_cpu) // 2], 2), "ms", "replan")
    emit(
        "replan_cpu_ms_p95", round(replan_cpu[int(0.95 * (len(replan_cpu) - 1))], 2), "ms", "replan"
    )
    emit("replan_cpu_ms_max", round(replan_cpu[-1], 2), "ms", "replan")


def _untouched_moved(inputs: PlanInputs, first: Plan, second: Plan, event: BusyInterval) -> int:
    brk = timedelta(minutes=inputs.preferences.break_length_min)
    after = {t.id: t for t in second.tasks}
    topics = {t.id: t for t in inputs.topics}
    count = 0
    for t in first.tasks:
        if t.scheduled_start < event.end + brk and event.start < t.scheduled_end + brk:
            continue
        now_at = after.get(t.id)
        if now_at is not None and now_at.scheduled_start == t.scheduled_start:
            continue
        stack, prereqs = list(t.topic_ids[:1]), set()
        while stack:
            topic = topics.get(stack.pop())
            for p in topic.prerequisite_ids if topic else ():
                if p not in prereqs:
                    prereqs.add(p)
                    stack.append(p)
        pushed = any(
            b.assessment_id == t.assessment_id
            and b.topic_ids[:1] != t.topic_ids[:1]
            and b.topic_ids
            and b.topic_ids[0] in prereqs
            and (b.id not in after or after[b.id].scheduled_end + brk > t.scheduled_start)
            for b in first.tasks
        )
        count += not pushed
    return count


if __name__ == "__main__":
    main()
