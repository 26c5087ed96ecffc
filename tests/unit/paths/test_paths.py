"""Learning paths: prerequisite order, cycles named, progress derived."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.paths import (
    PathTopic,
    PrerequisiteCycle,
    TopicActivity,
    UnknownPrerequisite,
    find_cycle,
    path_progress,
    study_order,
)

LIMITS = PathTopic("l", "Limits", 0)
DERIVS = PathTopic("d", "Derivatives", 1, ("l",))
CHAIN = PathTopic("c", "Chain rule", 2, ("d",))
SERIES = PathTopic("s", "Series", 0)


def test_prerequisites_come_first_then_order_index() -> None:
    order = study_order([CHAIN, DERIVS, SERIES, LIMITS])
    assert [t.name for t in order] == ["Limits", "Series", "Derivatives", "Chain rule"]


def test_a_cycle_is_named() -> None:
    loop = [
        PathTopic("a", "A", 0, ("c",)),
        PathTopic("b", "B", 1, ("a",)),
        PathTopic("c", "C", 2, ("b",)),
    ]
    with pytest.raises(PrerequisiteCycle, match="circular prerequisites: A → C → B → A"):
        study_order(loop)


def test_unknown_prerequisite_is_an_error() -> None:
    with pytest.raises(UnknownPrerequisite, match="'Derivatives' needs unknown topic"):
        study_order([DERIVS])


def test_progress_from_tasks_and_mastery() -> None:
    topics = [LIMITS, DERIVS, CHAIN]
    fresh = path_progress(topics, {})
    assert (fresh.status, fresh.current_topic_id, fresh.completed_topic_ids) == (
        "not_started",
        "l",
        (),
    )

    mid = path_progress(
        topics,
        {
            "l": TopicActivity(mastery=82.0),
            "d": TopicActivity(task_statuses=("completed", "scheduled")),
        },
    )
    assert mid.status == "in_progress"
    assert mid.completed_topic_ids == ("l",)
    assert mid.current_topic_id == "d"
    assert mid.percent_complete == pytest.approx(100 / 3)

    done = path_progress(
        topics,
        {
            "l": TopicActivity(mastery=90.0),
            "d": TopicActivity(task_statuses=("completed", "skipped")),
            "c": TopicActivity(mastery=71.0),
        },
    )
    assert (done.status, done.current_topic_id) == ("completed", None)


def test_only_skipped_tasks_do_not_complete_a_topic() -> None:
    progress = path_progress([LIMITS], {"l": TopicActivity(task_statuses=("skipped",))})
    assert progress.completed_topic_ids == ()


@st.composite
def dags(draw: st.DrawFn) -> list[PathTopic]:
    n = draw(st.integers(0, 12))
    topics = []
    for i in range(n):
        needs = draw(st.lists(st.integers(0, max(0, i - 1)), max_size=3, unique=True)) if i else []
        topics.append(
            PathTopic(f"t{i}", f"T{i}", draw(st.integers(0, 5)), tuple(f"t{j}" for j in needs))
        )
    return draw(st.permutations(topics))


@given(dags())
def test_order_respects_every_prerequisite_and_is_deterministic(topics: list[PathTopic]) -> None:
    order = study_order(topics)
    position = {t.id: i for i, t in enumerate(order)}
    assert sorted(position) == sorted(t.id for t in topics)
    for topic in topics:
        assert all(position[p] < position[topic.id] for p in topic.prerequisites)
    assert study_order(list(reversed(topics))) == order
    assert find_cycle({t.id: t.prerequisites for t in topics}) is None


@given(dags(), st.data())
def test_adding_a_back_edge_makes_a_cycle_that_is_reported(
    topics: list[PathTopic], data: st.DataObject
) -> None:
    with_needs = [t for t in topics if t.prerequisites]
    if not with_needs:
        return
    topic = data.draw(st.sampled_from(with_needs))
    need = topic.prerequisites[0]
    graph = {t.id: t.prerequisites for t in topics}
    graph[need] = (*graph[need], topic.id)
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1]
    for a, b in itertools.pairwise(cycle):
        assert b in graph[a]
