"""Tandem matching engine: a pure library (no I/O) that proposes mentor-mentee pairs.

See services/matching/README.md for the public interface.
"""

from .factors import hard_rule_violations, score_pair
from .london_areas import AREAS, distance_km
from .model import (
    FACTORS,
    HARD_RULES,
    MODE_FAIRNESS,
    MODE_MAX_TOTAL,
    REASON_NEEDED_BY_OTHERS,
    REASON_NO_FEASIBLE,
    Alternative,
    FactorContribution,
    FactorWeights,
    MatchingInput,
    MatchingResult,
    Mentee,
    Mentor,
    ProgrammeRules,
    Proposal,
    ScoreBreakdown,
    UnmatchedMentee,
)
from .propose import propose_matches

__all__ = [
    "AREAS",
    "FACTORS",
    "HARD_RULES",
    "MODE_FAIRNESS",
    "MODE_MAX_TOTAL",
    "REASON_NEEDED_BY_OTHERS",
    "REASON_NO_FEASIBLE",
    "Alternative",
    "FactorContribution",
    "FactorWeights",
    "MatchingInput",
    "MatchingResult",
    "Mentee",
    "Mentor",
    "ProgrammeRules",
    "Proposal",
    "ScoreBreakdown",
    "UnmatchedMentee",
    "distance_km",
    "hard_rule_violations",
    "propose_matches",
    "score_pair",
]
