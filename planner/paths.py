"""Learning paths (seeds 000/001 in this domain): a course's topics in study order, and the
student's progress through them. Pure: values in, values out.

Order: prerequisites first (the topics form a DAG), ties broken by `order_index` then name, so
the path is the same every time. A cycle is an error that names the topics on it.

Progress of one path, derived — never stored by hand:
- a topic is *completed* when its mastery is at least `MASTERED` (70, the seed's review
  threshold) or when it has study tasks and every one of them is completed or skipped with at
  least one completed;
- the *current* topic is the first topic in path order that is not completed and whose
  prerequisites are all completed (else the first not completed);
- status is `completed` when every topic is, `not_started` when no topic has a completed task,
  a started task or a scored result, else `in_progress`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MASTERED = 70.0


@dataclass(frozen=True, slots=True)
class PathTopic:
    id: str
    name: str
    order_index: int
    prerequisites: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicActivity:
    """What happened on one topic: its mastery (None: never scored) and its tasks' statuses."""

    mastery: float | None = None
    task_statuses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PathProgress:
    status: str  # not_started | in_progress | completed
    ordered_topic_ids: tuple[str, ...]
    completed_topic_ids: tuple[str, ...]
    current_topic_id: str | None

    @property
    def percent_complete(self) -> float:
        if not self.ordered_topic_ids:
            return 0.0
        return 100.0 * len(self.completed_topic_ids) / len(self.ordered_topic_ids)


class PrerequisiteCycle(ValueError):
    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = tuple(cycle)
        super().__init__("circular prerequisites: " + " → ".join(self.cycle))


class UnknownPrerequisite(ValueError):
    pass


def find_cycle(prerequisites: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle in the 'needs' graph as [a, b, …, a], or None. Deterministic (sorted walk)."""
    graph = {node: sorted(set(needs)) for node, needs in prerequisites.items()}
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(graph, white)
    stack_path: list[str] = []

    def visit(node: str) -> list[str] | None:
        color[node] = grey
        stack_path.append(node)
        for nxt in graph.get(node, []):
            if color.get(nxt, black) == grey:
                return [*stack_path[stack_path.index(nxt) :], nxt]
            if color.get(nxt) == white:
                found = visit(nxt)
                if found:
                    return found
        stack_path.pop()
        color[node] = black
        return None

    for node in sorted(graph):
        if color[node] == white:
            found = visit(node)
            if found:
                return found
    return None


def study_order(topics: Sequence[PathTopic]) -> list[PathTopic]:
    """Topics with prerequisites first; among the ready ones, lowest order_index, then name."""
    by_id = {t.id: t for t in topics}
    for topic in topics:
        unknown = [p for p in topic.prerequisites if p not in by_id]
        if unknown:
            raise UnknownPrerequisite(
                f"topic '{topic.name}' needs unknown topic(s) {', '.join(sorted(unknown))}"
            )
    names = {t.id: t.name for t in topics}
    cycle = find_cycle({t.id: t.prerequisites for t in topics})
    if cycle:
        raise PrerequisiteCycle([names[c] for c in cycle])
    waiting = {t.id: set(t.prerequisites) for t in topics}
    dependents: dict[str, list[str]] = {t.id: [] for t in topics}
    for topic in topics:
        for need in set(topic.prerequisites):
            dependents[need].append(topic.id)
    ready = [(t.order_index, t.name, t.id) for t in topics if not waiting[t.id]]
    heapq.heapify(ready)
    ordered: list[PathTopic] = []
    while ready:
        _, _, topic_id = heapq.heappop(ready)
        ordered.append(by_id[topic_id])
        for dependent in dependents[topic_id]:
            waiting[dependent].discard(topic_id)
            if not waiting[dependent]:
                d = by_id[dependent]
                heapq.heappush(ready, (d.order_index, d.name, d.id))
    return ordered


def topic_completed(activity: TopicActivity) -> bool:
    if activity.mastery is not None and activity.mastery >= MASTERED:
        return True
    statuses = activity.task_statuses
    return (
        bool(statuses)
        and all(s in ("completed", "skipped") for s in statuses)
        and "completed" in statuses
    )


def path_progress(
    topics: Sequence[PathTopic], activity: Mapping[str, TopicActivity]
) -> PathProgress:
    ordered = study_order(topics)
    empty = TopicActivity()
    completed = [t.id for t in ordered if topic_completed(activity.get(t.id, empty))]
    done = set(completed)
    current = next(
        (t.id for t in ordered if t.id not in done and all(p in done for p in t.prerequisites)),
        None,
    )
    if current is None:
        current = next((t.id for t in ordered if t.id not in done), None)
    if ordered and len(done) == len(ordered):
        status = "completed"
    elif any(_touched(activity.get(t.id, empty)) for t in ordered):
        status = "in_progress"
    else:
        status = "not_started"
    return PathProgress(
        status=status,
        ordered_topic_ids=tuple(t.id for t in ordered),
        completed_topic_ids=tuple(completed),
        current_topic_id=current,
    )


def _touched(activity: TopicActivity) -> bool:
    return activity.mastery is not None or any(
        s in ("in_progress", "completed") for s in activity.task_statuses
    )
