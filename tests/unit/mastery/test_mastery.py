"""Mastery: the seed's formulas, FSRS review scheduling, validation, properties."""

from __future__ import annotations

import itertools
import json
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fsrs import Rating
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.mastery import (
    AssessmentKind,
    MasteryState,
    ScoredResult,
    Trend,
    alpha_for,
    confidence_from_question_count,
    initialize_mastery,
    rating_for_score,
    recompute_mastery,
    update_mastery,
)

T0 = datetime(2026, 9, 1, 18, 0, tzinfo=UTC)


def state(mastery: float = 60.0, **overrides: object) -> MasteryState:
    values: dict[str, object] = {
        "mastery_score": mastery,
        "confidence_interval": 15.0,
        "trend": Trend.NEW,
    }
    values.update(overrides)
    return MasteryState(**values)  # type: ignore[arg-type]


# --- seed formulas ------------------------------------------------------------------------


def test_seed_example_quiz_alpha_03() -> None:
    updated = update_mastery(state(60.0), 80.0, "quiz", now=T0)
    assert updated.mastery_score == pytest.approx(66.0)
    assert updated.trend is Trend.IMPROVING  # 66 > 60 + 5


@pytest.mark.parametrize("kind", ["midterm", "final"])
def test_exams_use_alpha_05(kind: str) -> None:
    updated = update_mastery(state(60.0), 80.0, kind, now=T0)
    assert updated.mastery_score == pytest.approx(70.0)


@pytest.mark.parametrize(
    ("kind", "alpha"),
    [
        ("quiz", 0.3),
        ("assignment", 0.3),
        ("project", 0.3),
        ("practice", 0.3),
        ("midterm", 0.5),
        ("final", 0.5),
    ],
)
def test_alpha_per_assessment_type(kind: str, alpha: float) -> None:
    assert alpha_for(kind) == alpha
    updated = update_mastery(state(40.0), 90.0, kind, now=T0)
    assert updated.mastery_score == pytest.approx(alpha * 90 + (1 - alpha) * 40)


def test_confidence_shrinks_by_ten_percent_down_to_floor_five() -> None:
    current = state(50.0, confidence_interval=20.0)
    seen = []
    for day in range(30):
        current = update_mastery(current, 50.0, "quiz", now=T0 + timedelta(days=day))
        seen.append(current.confidence_interval)
    assert seen[0] == pytest.approx(18.0)
    assert seen[1] == pytest.approx(16.2)
    assert min(seen) == 5.0
    assert seen[-1] == 5.0
    assert all(a >= b for a, b in itertools.pairwise(seen))


@pytest.mark.parametrize(
    ("old", "score", "trend"),
    [
        (60.0, 80.0, Trend.IMPROVING),  # +6.0
        (60.0, 76.0, Trend.STABLE),  # +4.8
        (60.0, 60.0 + 5 / 0.3, Trend.STABLE),  # exactly +5: not "> old + 5"
        (60.0, 40.0, Trend.DECLINING),  # -6.0
        (60.0, 44.0, Trend.STABLE),  # -4.8
    ],
)
def test_trend_thresholds(old: float, score: float, trend: Trend) -> None:
    assert update_mastery(state(old), score, "quiz", now=T0).trend is trend


def test_counters_quiz_and_practice() -> None:
    start = initialize_mastery(50.0, 20, now=T0)
    assert (start.practice_count, start.quiz_count) == (1, 0)
    after_quiz = update_mastery(start, 70.0, "quiz", now=T0 + timedelta(days=1))
    after_exam = update_mastery(after_quiz, 70.0, "midterm", now=T0 + timedelta(days=2))
    after_practice = update_mastery(after_exam, 70.0, "practice", now=T0 + timedelta(days=3))
    assert (after_quiz.practice_count, after_quiz.quiz_count) == (1, 1)
    assert (after_exam.practice_count, after_exam.quiz_count) == (1, 2)
    assert (after_practice.practice_count, after_practice.quiz_count) == (2, 2)
    assert after_practice.last_practiced_at == T0 + timedelta(days=3)


def test_initialize_from_diagnostic() -> None:
    created = initialize_mastery(72.5, 10, now=T0)
    assert created.mastery_score == 72.5
    assert created.trend is Trend.NEW
    assert created.confidence_interval == pytest.approx(50 / math.sqrt(10))
    assert created.last_practiced_at == T0
    assert created.fsrs_card is not None
    assert created.next_review_date is not None and created.next_review_date > T0.date()


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, 50.0), (4, 25.0), (11, 50 / math.sqrt(11)), (25, 10.0), (100, 5.0), (1000, 5.0)],
)
def test_confidence_curve(count: int, expected: float) -> None:
    assert confidence_from_question_count(count) == pytest.approx(expected)


def test_confidence_is_high_for_few_questions_and_low_for_many() -> None:
    assert confidence_from_question_count(5) > 15 > confidence_from_question_count(20)
    assert confidence_from_question_count(None) == 15.0
    values = [confidence_from_question_count(n) for n in range(1, 200)]
    assert all(a >= b for a, b in itertools.pairwise(values))


# --- score → rating and FSRS scheduling ---------------------------------------------------


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        (0.0, Rating.Again),
        (59.99, Rating.Again),
        (60.0, Rating.Hard),
        (69.9, Rating.Hard),
        (70.0, Rating.Good),
        (89.9, Rating.Good),
        (90.0, Rating.Easy),
        (100.0, Rating.Easy),
    ],
)
def test_score_to_rating_bands(score: float, rating: Rating) -> None:
    assert rating_for_score(score) is rating


def days_until_review(s: MasteryState, now: datetime) -> int:
    assert s.next_review_date is not None
    return (s.next_review_date - now.date()).days


def test_good_scores_push_the_review_further_out_and_a_fail_brings_it_back() -> None:
    current = initialize_mastery(80.0, 20, now=T0)
    now = T0
    gaps = []
    for _ in range(4):
        now = now + timedelta(days=days_until_review(current, now))
        current = update_mastery(current, 85.0, "quiz", now=now)
        gaps.append(days_until_review(current, now))
    assert gaps == sorted(gaps) and gaps[-1] > gaps[0] >= 2
    assert gaps[-1] >= 30
    assert current.review_interval_days == gaps[-1]

    now = now + timedelta(days=days_until_review(current, now))
    failed = update_mastery(current, 30.0, "quiz", now=now)
    assert days_until_review(failed, now) == 1
    assert failed.review_interval_days == 1

    # Passing again after the lapse grows the interval from a short one, not from scratch.
    recovered = update_mastery(failed, 85.0, "quiz", now=now + timedelta(days=1))
    assert 1 < days_until_review(recovered, now + timedelta(days=1)) < gaps[-1]


def test_intervals_are_capped_at_365_days() -> None:
    current = initialize_mastery(100.0, 50, now=T0)
    now = T0
    for _ in range(8):
        now = now + timedelta(days=days_until_review(current, now))
        current = update_mastery(current, 100.0, "final", now=now)
        assert 1 <= current.review_interval_days <= 365
    assert current.review_interval_days == 365


def test_fsrs_card_state_is_json_and_round_trips() -> None:
    current = initialize_mastery(75.0, 12, now=T0)
    updated = update_mastery(current, 88.0, "quiz", now=T0 + timedelta(days=3))
    assert updated.fsrs_card is not None
    restored = json.loads(json.dumps(updated.fsrs_card))
    from_json = MasteryState(
        mastery_score=updated.mastery_score,
        confidence_interval=updated.confidence_interval,
        trend=updated.trend,
        last_practiced_at=updated.last_practiced_at,
        next_review_date=updated.next_review_date,
        review_interval_days=updated.review_interval_days,
        practice_count=updated.practice_count,
        quiz_count=updated.quiz_count,
        fsrs_card=restored,
    )
    later = T0 + timedelta(days=20)
    assert update_mastery(from_json, 70.0, "quiz", now=later) == update_mastery(
        updated, 70.0, "quiz", now=later
    )


def test_deterministic() -> None:
    def run() -> MasteryState:
        s = initialize_mastery(64.0, 8, now=T0)
        for day, score in [(2, 71.0), (9, 93.0), (40, 55.0), (41, 88.0)]:
            s = update_mastery(s, score, "quiz", now=T0 + timedelta(days=day))
        return s

    assert run() == run()


def test_without_fsrs_history_the_seed_interval_rule_applies() -> None:
    legacy = state(80.0, review_interval_days=4, fsrs_card=None)
    mastered = update_mastery(legacy, 90.0, "quiz", now=T0)  # 83.0 ≥ 70 → interval doubles
    assert mastered.review_interval_days == 8
    assert mastered.next_review_date == T0.date() + timedelta(days=8)
    assert mastered.fsrs_card is not None  # the next update uses FSRS

    weak = update_mastery(state(50.0, review_interval_days=16), 60.0, "quiz", now=T0)
    assert weak.mastery_score < 70
    assert weak.review_interval_days == 1
    assert weak.next_review_date == T0.date() + timedelta(days=1)

    capped = update_mastery(state(95.0, review_interval_days=300), 95.0, "quiz", now=T0)
    assert capped.review_interval_days == 365


def test_review_dates_are_computed_in_the_users_zone() -> None:
    los_angeles = ZoneInfo("America/Los_Angeles")
    late_evening_la = datetime(2026, 9, 1, 22, 30, tzinfo=los_angeles)
    legacy = state(40.0, fsrs_card=None)
    in_la = update_mastery(legacy, 40.0, "quiz", now=late_evening_la, tz=los_angeles)
    in_utc = update_mastery(legacy, 40.0, "quiz", now=late_evening_la)
    assert in_la.next_review_date == date(2026, 9, 2)  # tomorrow in Los Angeles
    assert in_utc.next_review_date == date(2026, 9, 3)  # it is already 2 Sep in UTC
    assert in_la.last_practiced_at is not None and in_la.last_practiced_at.tzinfo is UTC


# --- recompute ----------------------------------------------------------------------------


def test_recompute_folds_history_in_time_order() -> None:
    history = [
        ScoredResult(80.0, "quiz", T0 + timedelta(days=5)),
        ScoredResult(60.0, "quiz", T0, question_count=25),
        ScoredResult(90.0, "midterm", T0 + timedelta(days=12)),
    ]
    rebuilt = recompute_mastery(history, now=T0 + timedelta(days=30))
    step = initialize_mastery(60.0, 25, now=T0)
    step = update_mastery(step, 80.0, "quiz", now=T0 + timedelta(days=5))
    step = update_mastery(step, 90.0, "midterm", now=T0 + timedelta(days=12))
    assert rebuilt == step
    assert rebuilt.mastery_score == pytest.approx(0.5 * 90 + 0.5 * (0.3 * 80 + 0.7 * 60))


def test_recompute_empty_and_invalid_history() -> None:
    assert recompute_mastery([], now=T0) is None
    with pytest.raises(ValueError, match=r"history\[0\]\.at .* is after now"):
        recompute_mastery([ScoredResult(50.0, "quiz", T0 + timedelta(hours=1))], now=T0)
    with pytest.raises(ValueError, match=r"history\[1\]: score_percent must be between 0 and 100"):
        recompute_mastery(
            [ScoredResult(50.0, "quiz", T0), ScoredResult(150.0, "quiz", T0)],
            now=T0 + timedelta(days=1),
        )


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mastery_score": -0.1}, "mastery_score must be between 0 and 100"),
        ({"mastery_score": 100.5}, "mastery_score must be between 0 and 100"),
        ({"mastery_score": math.nan}, "mastery_score must be between 0 and 100"),
        ({"confidence_interval": 50.1}, "confidence_interval must be between 0 and 50"),
        ({"confidence_interval": -1}, "confidence_interval must be between 0 and 50"),
        ({"review_interval_days": 0}, "review_interval_days must be between 1 and 365"),
        ({"review_interval_days": 366}, "review_interval_days must be between 1 and 365"),
        ({"review_interval_days": 2.5}, "review_interval_days must be an integer"),
        ({"trend": "great"}, "trend must be one of new, improving, stable, declining"),
        ({"quiz_count": -1}, "quiz_count must be a non-negative integer"),
        ({"practice_count": 1.5}, "practice_count must be a non-negative integer"),
        ({"last_practiced_at": datetime(2026, 1, 1)}, "last_practiced_at must be timezone-aware"),
        ({"fsrs_card": {"state": 2}}, "fsrs_card is not a valid FSRS card state"),
    ],
)
def test_state_validation_names_the_field(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        state(**overrides)


def test_call_validation_names_the_argument() -> None:
    with pytest.raises(ValueError, match="score_percent must be between 0 and 100, got 101"):
        update_mastery(state(), 101.0, "quiz", now=T0)
    with pytest.raises(ValueError, match="assessment_type must be one of quiz, assignment"):
        update_mastery(state(), 50.0, "exam", now=T0)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        update_mastery(state(), 50.0, "quiz", now=datetime(2026, 9, 1))
    with pytest.raises(ValueError, match="diagnostic_score must be between 0 and 100"):
        initialize_mastery(-5.0, 10, now=T0)
    with pytest.raises(ValueError, match="question_count must be at least 1, got 0"):
        initialize_mastery(50.0, 0, now=T0)
    assert AssessmentKind("final") is AssessmentKind.FINAL


# --- properties ---------------------------------------------------------------------------

scores = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)
kinds = st.sampled_from([k.value for k in AssessmentKind])
steps = st.lists(
    st.tuples(scores, kinds, st.integers(min_value=0, max_value=60)), min_size=1, max_size=12
)


@settings(max_examples=150, deadline=None)
@given(first=scores, count=st.integers(min_value=1, max_value=500), history=steps)
def test_mastery_and_confidence_stay_in_range(
    first: float, count: int, history: list[tuple[float, str, int]]
) -> None:
    current = initialize_mastery(first, count, now=T0)
    now = T0
    for score, kind, gap in history:
        now = now + timedelta(days=gap, hours=1)
        current = update_mastery(current, score, kind, now=now)
        assert 0.0 <= current.mastery_score <= 100.0
        assert 5.0 <= current.confidence_interval <= 50.0
        assert 1 <= current.review_interval_days <= 365
        assert current.next_review_date is not None
        assert current.next_review_date > now.date()


@settings(max_examples=150, deadline=None)
@given(old=scores, low=scores, high=scores, kind=kinds)
def test_update_is_monotone_in_the_score(old: float, low: float, high: float, kind: str) -> None:
    low, high = min(low, high), max(low, high)
    start = state(old)
    assert (
        update_mastery(start, low, kind, now=T0).mastery_score
        <= update_mastery(start, high, kind, now=T0).mastery_score
    )
