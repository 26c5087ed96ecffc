"""The planner's entry point: ``plan(inputs, *, now) -> Plan``.

Steps (each in its own module, read in this order):

1. **free time** (``freetime``): availability in the user's zone minus busy time and fixed blocks;
2. **work** (``work``, with the formulas of ``estimate``): minutes each (assessment, topic) still
   needs, plus spaced reviews;
3. **the problem** (``problem``): the work split into chunks with stable ids, each with its
   priority (``priority``; prerequisites inherit the priority of the topics that need them so
   that they are handled first) and its soft target from the difficulty curve;
4. **passes** (``passes``): stability (still-valid existing blocks stay where they are), then
   placement (``placement``) and its exact repair (``repair``);
5. **output** (here, words in ``describe``): the planned tasks, and at-risk accounting: every
   chunk that could not be placed is reported with the reason (prerequisites not placed; the
   daily cap — the chunk would fit if the cap allowed; otherwise not enough free time before
   the deadline).

Nothing here reads the clock, touches a database or iterates over a set: the plan is a pure,
deterministic function of ``inputs`` and ``now``.
"""

from __future__ import annotations

from datetime import datetime

from planner.describe import planned_task, risk_words, why_unplaced
from planner.passes import place
from planner.problem import build_problem
from planner.values import AtRisk, AtRiskCode, Plan, PlanInputs, PlannedTask, WorkAccount

RISK_ORDER: tuple[AtRiskCode, ...] = ("prerequisites", "daily_cap", "no_free_time", "after_horizon")

__all__ = ["build_problem", "plan"]


def plan(inputs: PlanInputs, *, now: datetime) -> Plan:
    """The study plan for ``inputs`` as of ``now`` (aware). Pure and deterministic."""
    problem = build_problem(inputs, now)
    state, kept = place(problem, inputs)
    courses = {c.id: c for c in inputs.courses}
    topics = {t.id: t for t in inputs.topics}

    tasks: list[PlannedTask] = []
    placed_by_key: dict[str, int] = {}
    missing: dict[tuple[str, AtRiskCode], int] = {}
    reason_cache: dict[str, AtRiskCode] = {}
    infos = {info.chunk.id: info for info in problem.chunks}
    # the k-th block of a topic in time gets the k-th study mode (read first, then practise)
    rank: dict[str, int] = {}
    by_item: dict[str, list[tuple[int, str]]] = {}
    for info in problem.chunks:
        start = state.placed.get(info.chunk.id)
        if start is not None:
            by_item.setdefault(info.item.key, []).append((start, info.chunk.id))
    for entries in by_item.values():
        for position, (_, cid) in enumerate(sorted(entries)):
            rank[cid] = position
    for info in problem.chunks:
        chunk, item = info.chunk, info.item
        start = state.placed.get(chunk.id)
        if start is None:
            code = why_unplaced(info, state, infos, reason_cache)
            missing[(item.key, code)] = missing.get((item.key, code), 0) + chunk.duration
            continue
        placed_by_key[item.key] = placed_by_key.get(item.key, 0) + chunk.duration
        tasks.append(
            planned_task(info, rank[chunk.id], start, chunk.id in kept, problem, inputs, courses)
        )

    at_risk: list[AtRisk] = []
    accounts: list[WorkAccount] = []
    for item in problem.items:
        aid = item.assessment.id if item.assessment else None
        tid = item.topic.id if item.topic else None
        risk_total = 0
        for code in RISK_ORDER:
            minutes = missing.get((item.key, code), 0)
            if minutes:
                risk_total += minutes
                at_risk.append(
                    AtRisk(
                        aid,
                        tid,
                        minutes,
                        code,
                        risk_words(code, item, minutes, inputs, topics),
                        item.assessment.due if item.assessment else None,
                    )
                )
        accounts.append(
            WorkAccount(
                aid,
                tid,
                item.required_min,
                item.fixed_min,
                placed_by_key.get(item.key, 0),
                risk_total,
            )
        )
    tasks.sort(key=lambda t: (t.scheduled_start, t.id))
    return Plan(tuple(tasks), tuple(at_risk), tuple(accounts), now)
