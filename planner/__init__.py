"""The pure priority planner: frozen values in, a ``Plan`` out (see ``planner.core``)."""

from __future__ import annotations

from planner.core import build_problem, plan
from planner.values import (
    Assessment,
    AssessmentTopic,
    AtRisk,
    BusyInterval,
    Course,
    ExistingTask,
    Mastery,
    Plan,
    PlanInputError,
    PlanInputs,
    PlannedTask,
    Preferences,
    Topic,
    WeeklyWindow,
    WorkAccount,
    parse_study_modes,
    parse_weekly_availability,
)

__all__ = [
    "Assessment",
    "AssessmentTopic",
    "AtRisk",
    "BusyInterval",
    "Course",
    "ExistingTask",
    "Mastery",
    "Plan",
    "PlanInputError",
    "PlanInputs",
    "PlannedTask",
    "Preferences",
    "Topic",
    "WeeklyWindow",
    "WorkAccount",
    "build_problem",
    "parse_study_modes",
    "parse_weekly_availability",
    "plan",
]
