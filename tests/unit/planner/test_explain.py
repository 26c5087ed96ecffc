"""The at-risk estimate can be checked by hand and stays inside a published workload guideline."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from planner import Assessment, AssessmentTopic, Course, PlanInputs, Preferences, Topic, plan
from planner.vocabulary import AssessmentType, Difficulty

NOW = datetime(2026, 9, 7, 8, tzinfo=UTC)
COURSE = Course("c1", "Statistics", "STAT 101")
TOPICS = (
    Topic("t1", "c1", "Probability", Difficulty.HARD, (), 0),
    Topic("t2", "c1", "Inference", Difficulty.MEDIUM, (), 1),
)


def _semester(preferences: Preferences) -> PlanInputs:
    """A typical 3-credit course: 2 quizzes, 4 assignments, a midterm and a final."""

    def one(i: int, kind: AssessmentType, weight: float, days: int, minutes: int) -> Assessment:
        topics = (AssessmentTopic("t1", 40.0), AssessmentTopic("t2", 60.0))
        return Assessment(
            f"a{i}", "c1", f"{kind} {i}", kind, weight, NOW + timedelta(days=days), minutes, topics
        )

    assessments = (
        one(1, AssessmentType.QUIZ, 5.0, 20, 30),
        one(2, AssessmentType.QUIZ, 5.0, 60, 30),
        *(one(3 + k, AssessmentType.ASSIGNMENT, 10.0, 15 + 20 * k, 120) for k in range(4)),
        one(7, AssessmentType.MIDTERM, 20.0, 50, 90),
        one(8, AssessmentType.FINAL, 30.0, 100, 120),
    )
    return PlanInputs(
        "Europe/Berlin", preferences, (COURSE,), TOPICS, assessments, horizon_days=120
    )


def test_every_at_risk_item_carries_the_numbers_that_produced_it() -> None:
    inputs = _semester(Preferences(weekly_availability=()))  # nothing fits: all at risk
    result = plan(inputs, now=NOW)
    assert result.at_risk
    for item in result.at_risk:
        parts = item.estimate
        assert parts is not None
        product = (
            parts.estimated_duration_min
            * parts.type_multiplier
            * parts.weight_factor
            * parts.share
            * parts.difficulty_factor
            * parts.gap_factor
        )
        assert parts.raw_min == math.ceil(product / 5 - 1e-6) * 5
        assert parts.to_place_min + parts.fixed_min >= item.minutes_missing
        assert f"≈ {parts.raw_min} min" in item.reason
        assert f"× {parts.type_multiplier:g} (" in item.reason


def test_a_semester_of_work_stays_within_the_credit_hour_guideline() -> None:
    """The US federal credit-hour definition (34 CFR 600.2) counts at least two hours of
    out-of-class work per credit hour per week, about 15 weeks: 3 × 2 × 15 = 90 h for a 3-credit
    course. Preparing its assessments from zero mastery is part of that work, so the planner's
    estimate must not exceed it — and should not be a small fraction of it either."""
    inputs = _semester(Preferences(weekly_availability=()))
    result = plan(inputs, now=NOW)
    required = sum(a.required_min for a in result.accounts)
    guideline = 3 * 2 * 15 * 60
    assert 0.2 * guideline <= required <= guideline, required
    # and no single assessment asks for more than a full week of that course's budget × 3
    for assessment in inputs.assessments:
        own = sum(a.required_min for a in result.accounts if a.assessment_id == assessment.id)
        assert own <= 3 * 6 * 60, (assessment.name, own)
