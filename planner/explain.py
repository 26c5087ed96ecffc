"""Why a work item needs the minutes it does: the estimate's factors, as values and as words.

Every at-risk item carries them (``AtRisk.estimate``) and its reason ends with them, so a student
(or a reviewer) can redo the sum: an implausible at-risk figure is then visibly an estimate
question (e.g. a final's ×4 on its sitting time), not a placement one.
"""

from __future__ import annotations

from planner import estimate as est
from planner.values import EstimateParts


def parts(item: est.WorkItem) -> EstimateParts | None:
    """The factors of an assessment's work item; ``None`` for a spaced review (fixed length)."""
    assessment = item.assessment
    if assessment is None:
        return None
    remaining = item.fixed_min + item.to_place_min
    return EstimateParts(
        estimated_duration_min=assessment.estimated_duration_min,
        type_multiplier=est.TYPE_MULTIPLIER[assessment.type],
        weight_factor=est.weight_factor(assessment.weight_percent),
        share=round(item.share, 3),
        difficulty_factor=est.DIFFICULTY_FACTOR[item.difficulty],
        mastery=round(item.mastery, 1),
        gap_factor=round(est.gap_factor(assessment.type, item.mastery), 3),
        raw_min=item.raw_min,
        done_min=max(0, item.raw_min - remaining),
        fixed_min=item.fixed_min,
        to_place_min=item.to_place_min,
    )


def words(item: est.WorkItem) -> str:
    """`` The estimate: 90 min × 3 (midterm) × 2 (30% of the grade) × …`` or ``""``."""
    p = parts(item)
    if p is None or item.assessment is None:
        return ""
    kind = item.assessment.type
    text = (
        f" The estimate: {p.estimated_duration_min} min × {p.type_multiplier:g} ({kind})"
        f" × {p.weight_factor:g} ({item.assessment.weight_percent:g}% of the grade)"
    )
    if p.share < 1:
        text += f" × {p.share:.2f} (this topic's share)"
    text += (
        f" × {p.difficulty_factor:g} ({item.difficulty.replace('_', '-')})"
        f" × {p.gap_factor:.2f} (mastery {p.mastery:.0f}/100) ≈ {p.raw_min} min"
    )
    if p.done_min:
        text += f", {p.done_min} min already done"
    if p.fixed_min:
        text += f", {p.fixed_min} min in fixed blocks"
    return text + "."
