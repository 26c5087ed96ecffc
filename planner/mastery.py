"""Topic mastery: initialise from a diagnostic, update after each scored result, schedule reviews.

Pure: no database, no Celery, no clock reads — ``now`` is always a parameter and the result is a
new frozen ``MasteryState``. The shell copies it onto the MasteryRecord row (seed 004).

Formulas (seed 004, "Mastery Score Calculation"):

* **Initial mastery** = the diagnostic score (0–100), trend ``new``, ``practice_count = 1``.
* **Initial confidence** = ``50 / sqrt(n)`` clamped to [5, 50] for a diagnostic of ``n``
  questions: the worst-case standard deviation, in percentage points, of a score estimated from
  ``n`` right/wrong answers (``100 * sqrt(0.25 / n)``). 1 question → 50, 4 → 25, 11 → 15.1
  (the seed's "high, e.g. 15"), 25 → 10, 100 or more → 5 (the seed's "low"). Unknown count → 15.
* **Update** (EWMA): ``new = alpha * score + (1 - alpha) * old`` with ``alpha = 0.5`` for exams
  (midterm, final) and ``0.3`` for everything else (quiz, assignment, project, practice).
  60 then a quiz of 80 → ``0.3 * 80 + 0.7 * 60 = 66.0``; 60 then a midterm of 80 → 70.0.
* **Confidence** shrinks with every data point: ``max(5, old * 0.9)``.
* **Trend**: ``improving`` if ``new > old + 5``, ``declining`` if ``new < old - 5``, else
  ``stable``.
* **Counters**: a practice session adds 1 to ``practice_count`` (the seed's "number of practice
  sessions"); every graded result (quiz, assignment, project, midterm, final) adds 1 to
  ``quiz_count`` (the seed's update after a quiz).

Spaced review (``next_review_date``) uses FSRS (the ``fsrs`` package) with its default model
weights and desired retention 0.9, fuzzing off (deterministic), intervals capped at 365 days (the
seed's review-interval range). Learning steps are off: the minute-scale steps of flashcard apps
make no sense for study sessions placed by the day, and with them a run of "Hard" results would
pin a topic to "tomorrow" forever. The default 10-minute relearning step is kept, so after a fail
the topic comes back the next day (and daily while results stay Hard; a Good or Easy result
returns it to growing intervals). Any interval shorter than a day becomes tomorrow. Dates are
computed in ``tz`` (the user's zone; UTC by default).

The percentage of *this* result (not the smoothed mastery) is the FSRS rating:

=============  =========  ==========================================
score          rating     meaning
=============  =========  ==========================================
0 – < 60       Again      failed: review tomorrow
60 – < 70      Hard       passed, barely: short interval
70 – < 90      Good       solid: interval grows
90 – 100       Easy       mastered: interval grows fast
=============  =========  ==========================================

A state without FSRS history (``fsrs_card is None``: a record created before FSRS, or imported)
is scheduled once with the seed's interval rule — updated mastery ≥ 70 → the interval doubles
(1 → 2 → 4 … ≤ 365 days), otherwise review tomorrow with interval 1 — and a fresh FSRS card
reviewed with this result is stored, so the next update uses FSRS.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from fsrs import Card, Rating, Scheduler

__all__ = [
    "ALPHA_DEFAULT",
    "ALPHA_EXAM",
    "AssessmentKind",
    "MasteryState",
    "ScoredResult",
    "Trend",
    "confidence_from_question_count",
    "initialize_mastery",
    "rating_for_score",
    "recompute_mastery",
    "update_mastery",
]

ALPHA_DEFAULT = 0.3
ALPHA_EXAM = 0.5
CONFIDENCE_SHRINK = 0.9
CONFIDENCE_FLOOR = 5.0
CONFIDENCE_MAX = 50.0
UNKNOWN_COUNT_CONFIDENCE = 15.0
TREND_THRESHOLD = 5.0
MASTERED_THRESHOLD = 70.0
MAX_REVIEW_INTERVAL_DAYS = 365

# Lower bounds of the percentage bands, highest first (see the module docstring).
_RATING_BANDS: tuple[tuple[float, Rating], ...] = (
    (90.0, Rating.Easy),
    (70.0, Rating.Good),
    (60.0, Rating.Hard),
    (0.0, Rating.Again),
)

_SCHEDULER = Scheduler(
    learning_steps=(),
    maximum_interval=MAX_REVIEW_INTERVAL_DAYS,
    enable_fuzzing=False,
)


class Trend(StrEnum):
    NEW = "new"
    IMPROVING = "improving"
    STABLE = "stable"
    DECLINING = "declining"


class AssessmentKind(StrEnum):
    """What produced a score: the seed's Assessment.type, plus ``practice`` (no assessment)."""

    QUIZ = "quiz"
    ASSIGNMENT = "assignment"
    PROJECT = "project"
    MIDTERM = "midterm"
    FINAL = "final"
    PRACTICE = "practice"


_EXAMS = frozenset({AssessmentKind.MIDTERM, AssessmentKind.FINAL})


@dataclass(frozen=True, slots=True)
class MasteryState:
    """One user's mastery of one topic. Validated on construction (ValueError names the field).

    ``fsrs_card`` is the FSRS card as ``fsrs.Card.to_dict()`` returns it (plain JSON types), or
    None when the topic has no FSRS history yet. Treat it as read-only.
    """

    mastery_score: float
    confidence_interval: float
    trend: Trend
    last_practiced_at: datetime | None = None
    next_review_date: date | None = None
    review_interval_days: int = 1
    practice_count: int = 0
    quiz_count: int = 0
    fsrs_card: Mapping[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        _check_range("mastery_score", self.mastery_score, 0.0, 100.0)
        _check_range("confidence_interval", self.confidence_interval, 0.0, CONFIDENCE_MAX)
        try:
            object.__setattr__(self, "trend", Trend(self.trend))
        except ValueError:
            allowed = ", ".join(t.value for t in Trend)
            raise ValueError(f"trend must be one of {allowed}, got {self.trend!r}") from None
        if isinstance(self.review_interval_days, bool) or not isinstance(
            self.review_interval_days, int
        ):
            raise ValueError(
                f"review_interval_days must be an integer, got {self.review_interval_days!r}"
            )
        _check_range("review_interval_days", self.review_interval_days, 1, 365)
        for name in ("practice_count", "quiz_count"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if self.last_practiced_at is not None:
            _require_aware("last_practiced_at", self.last_practiced_at)
        if self.fsrs_card is not None:
            _card_from_state(self.fsrs_card)  # validates the shape


@dataclass(frozen=True, slots=True)
class ScoredResult:
    """One scored attempt, for ``recompute_mastery``. ``question_count`` only matters for the
    first result of a history (it sets the initial confidence)."""

    score_percent: float
    assessment_type: AssessmentKind | str
    at: datetime
    question_count: int | None = None


def confidence_from_question_count(question_count: int | None) -> float:
    """Initial confidence interval (percentage points) for a diagnostic of ``question_count``
    questions: ``50 / sqrt(n)`` clamped to [5, 50]; None (unknown) → 15."""
    if question_count is None:
        return UNKNOWN_COUNT_CONFIDENCE
    if isinstance(question_count, bool) or not isinstance(question_count, int):
        raise ValueError(f"question_count must be an integer, got {question_count!r}")
    if question_count < 1:
        raise ValueError(f"question_count must be at least 1, got {question_count}")
    return min(CONFIDENCE_MAX, max(CONFIDENCE_FLOOR, 50.0 / math.sqrt(question_count)))


def rating_for_score(score_percent: float) -> Rating:
    """The FSRS rating of one result's percentage (table in the module docstring)."""
    _check_range("score_percent", score_percent, 0.0, 100.0)
    for lower, rating in _RATING_BANDS:
        if score_percent >= lower:
            return rating
    raise AssertionError("unreachable: the last band starts at 0")  # pragma: no cover


def alpha_for(assessment_type: AssessmentKind | str) -> float:
    """EWMA weight of a new result: 0.5 for midterm/final, 0.3 otherwise."""
    return ALPHA_EXAM if _kind(assessment_type) in _EXAMS else ALPHA_DEFAULT


def initialize_mastery(
    diagnostic_score: float,
    question_count: int | None,
    *,
    now: datetime,
    tz: tzinfo = UTC,
) -> MasteryState:
    """A new topic's mastery from a diagnostic quiz; the diagnostic is the card's first review."""
    _check_range("diagnostic_score", diagnostic_score, 0.0, 100.0)
    _require_aware("now", now)
    card, next_review, interval = _fsrs_review(None, diagnostic_score, now=now, tz=tz)
    return MasteryState(
        mastery_score=float(diagnostic_score),
        confidence_interval=confidence_from_question_count(question_count),
        trend=Trend.NEW,
        last_practiced_at=_utc(now, "now"),
        next_review_date=next_review,
        review_interval_days=interval,
        practice_count=1,
        quiz_count=0,
        fsrs_card=card,
    )


def update_mastery(
    state: MasteryState,
    score_percent: float,
    assessment_type: AssessmentKind | str,
    *,
    now: datetime,
    tz: tzinfo = UTC,
) -> MasteryState:
    """Fold one scored result into ``state`` (EWMA, confidence, trend, counters, next review)."""
    _check_range("score_percent", score_percent, 0.0, 100.0)
    _require_aware("now", now)
    kind = _kind(assessment_type)
    alpha = alpha_for(kind)
    old = state.mastery_score
    # Clamp only against float rounding: a convex mix of two values in [0, 100] stays there.
    new = min(100.0, max(0.0, alpha * score_percent + (1.0 - alpha) * old))

    if new > old + TREND_THRESHOLD:
        trend = Trend.IMPROVING
    elif new < old - TREND_THRESHOLD:
        trend = Trend.DECLINING
    else:
        trend = Trend.STABLE

    if state.fsrs_card is None:
        card, _, _ = _fsrs_review(None, score_percent, now=now, tz=tz)
        next_review, interval = _seed_interval_rule(state.review_interval_days, new, now, tz)
    else:
        card, next_review, interval = _fsrs_review(state.fsrs_card, score_percent, now=now, tz=tz)

    practice = kind is AssessmentKind.PRACTICE
    return replace(
        state,
        mastery_score=new,
        confidence_interval=max(CONFIDENCE_FLOOR, state.confidence_interval * CONFIDENCE_SHRINK),
        trend=trend,
        last_practiced_at=_utc(now, "now"),
        next_review_date=next_review,
        review_interval_days=interval,
        practice_count=state.practice_count + (1 if practice else 0),
        quiz_count=state.quiz_count + (0 if practice else 1),
        fsrs_card=card,
    )


def recompute_mastery(
    history: Iterable[ScoredResult],
    *,
    now: datetime,
    tz: tzinfo = UTC,
) -> MasteryState | None:
    """Rebuild a topic's mastery from all its scored results (bulk recompute).

    Results are folded in time order (ties keep their input order): the first one initialises,
    like a diagnostic, and every later one is an ``update_mastery`` at its own time. Returns None
    for an empty history. A result dated after ``now`` is an error.
    """
    _require_aware("now", now)
    ordered = sorted(history, key=lambda result: _utc(result.at, "at"))
    state: MasteryState | None = None
    for index, result in enumerate(ordered):
        at = _utc(result.at, "at")
        if at > now:
            raise ValueError(
                f"history[{index}].at {at.isoformat()} is after now ({now.isoformat()})"
            )
        try:
            if state is None:
                _kind(result.assessment_type)
                state = initialize_mastery(
                    result.score_percent, result.question_count, now=at, tz=tz
                )
            else:
                state = update_mastery(
                    state, result.score_percent, result.assessment_type, now=at, tz=tz
                )
        except ValueError as exc:
            raise ValueError(f"history[{index}]: {exc}") from None
    return state


# --- scheduling ---------------------------------------------------------------------------


def _fsrs_review(
    card_state: Mapping[str, Any] | None,
    score_percent: float,
    *,
    now: datetime,
    tz: tzinfo,
) -> tuple[dict[str, Any], date, int]:
    """Review the card (a new one when ``card_state`` is None) and return the new card state,
    the next review date and the interval in days (1..365)."""
    review_at = _utc(now, "now")
    if card_state is None:
        # Passing card_id and due explicitly: Card() would otherwise read the clock (and sleep).
        card = Card(card_id=int(review_at.timestamp() * 1000), due=review_at)
    else:
        card = _card_from_state(card_state)
    # fsrs rejects any tzinfo other than datetime.timezone.utc itself.
    reviewed, _log = _SCHEDULER.review_card(card, rating_for_score(score_percent), review_at)
    today = review_at.astimezone(tz).date()
    due_day = reviewed.due.astimezone(tz).date()
    next_review = max(due_day, today + timedelta(days=1))
    interval = min(MAX_REVIEW_INTERVAL_DAYS, (next_review - today).days)
    return dict(reviewed.to_dict()), next_review, interval


def _seed_interval_rule(
    previous_interval: int, mastery: float, now: datetime, tz: tzinfo
) -> tuple[date, int]:
    today = now.astimezone(tz).date()
    if mastery >= MASTERED_THRESHOLD:
        interval = min(MAX_REVIEW_INTERVAL_DAYS, previous_interval * 2)
    else:
        interval = 1
    return today + timedelta(days=interval), interval


def _card_from_state(card_state: Mapping[str, Any]) -> Card:
    try:
        card = Card.from_dict(dict(card_state))  # type: ignore[arg-type]
        if card.due.tzinfo is None or (
            card.last_review is not None and card.last_review.tzinfo is None
        ):
            raise ValueError("naive datetime")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(
            f"fsrs_card is not a valid FSRS card state ({type(exc).__name__}: {exc})"
        ) from None
    # Normalise to datetime.UTC, the only tzinfo fsrs accepts for comparisons.
    card.due = card.due.astimezone(UTC)
    if card.last_review is not None:
        card.last_review = card.last_review.astimezone(UTC)
    return card


# --- validation ---------------------------------------------------------------------------


def _kind(assessment_type: AssessmentKind | str) -> AssessmentKind:
    try:
        return AssessmentKind(assessment_type)
    except ValueError:
        allowed = ", ".join(k.value for k in AssessmentKind)
        raise ValueError(
            f"assessment_type must be one of {allowed}, got {assessment_type!r}"
        ) from None


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number between {low:g} and {high:g}, got {value!r}")
    # Written so that NaN fails too.
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")


def _require_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _utc(value: datetime, name: str) -> datetime:
    _require_aware(name, value)
    return value.astimezone(UTC)
