"""Priority score of a piece of work (0-100-ish, higher = study it first).

``score = 100 × (0.5·U + 0.3·W + 0.2·G) × D ** k``

* urgency ``U = 1 / (1 + days_until_due / 3)`` — strictly decreasing in the time left, so a
  nearer deadline never lowers priority when everything else is equal (tested);
* weight ``W = min(1, weight_percent / 50)`` (spaced reviews use 0.15);
* mastery gap ``G = (100 − m) / 100`` with the pessimistic mastery of ``estimate``;
* difficulty ``D = easy 0.8, medium 1.0, hard 1.2, exam_level 1.4`` raised to the difficulty
  curve's exponent ``k = gentle 0.5, balanced 1, aggressive 1.5`` (an aggressive learner tackles
  hard topics first, a gentle one lets them weigh less).

The score is rounded to two decimals so that it is stable in stored rows and in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.vocabulary import Difficulty, DifficultyCurve

URGENCY_DAYS = 3.0
REVIEW_WEIGHT = 0.15
DIFFICULTY_WEIGHT: dict[Difficulty, float] = {
    Difficulty.EASY: 0.8,
    Difficulty.MEDIUM: 1.0,
    Difficulty.HARD: 1.2,
    Difficulty.EXAM_LEVEL: 1.4,
}
CURVE_EXPONENT: dict[DifficultyCurve, float] = {
    DifficultyCurve.GENTLE: 0.5,
    DifficultyCurve.BALANCED: 1.0,
    DifficultyCurve.AGGRESSIVE: 1.5,
}


@dataclass(frozen=True, slots=True)
class Breakdown:
    urgency: float
    weight: float
    gap: float
    difficulty: float
    score: float


def urgency(minutes_until_due: float) -> float:
    days = max(0.0, minutes_until_due) / 1440.0
    return 1.0 / (1.0 + days / URGENCY_DAYS)


def priority(
    *,
    minutes_until_due: float,
    weight_percent: float | None,
    mastery: float,
    difficulty: Difficulty,
    curve: DifficultyCurve,
) -> Breakdown:
    u = urgency(minutes_until_due)
    w = REVIEW_WEIGHT if weight_percent is None else min(1.0, max(0.0, weight_percent) / 50.0)
    g = (100.0 - min(100.0, max(0.0, mastery))) / 100.0
    d = DIFFICULTY_WEIGHT[difficulty] ** CURVE_EXPONENT[curve]
    score = round(100.0 * (0.5 * u + 0.3 * w + 0.2 * g) * d, 2)
    return Breakdown(u, w, g, d, score)
