"""Compatibility factors and hard rules for ONE pair (the reference the vectorised scorer follows).

Every factor value is in [0, 1]. When a side has no data for a factor (unknown area and no online
option, no age, empty sets), the factor is 0.5: neutral, neither rewarding nor punishing missing
data. candidates.py computes the same formulas on whole blocks with numpy; a test checks that
both agree.
"""

from __future__ import annotations

from collections.abc import Collection

from .london_areas import DISTANCE_KM, UNKNOWN_AREA, area_index
from .model import (
    FACTORS,
    RULE_CONFLICT,
    RULE_EXCLUDED,
    RULE_NO_CAPACITY,
    RULE_NOT_CHECKED,
    RULE_NOT_TRAINED,
    RULE_PARTNERSHIP,
    RULE_PREFERENCE,
    FactorContribution,
    Mentee,
    Mentor,
    Pair,
    ProgrammeRules,
    ScoreBreakdown,
)

NEUTRAL = 0.5


def online_possible(mentee: Mentee, mentor: Mentor, rules: ProgrammeRules) -> bool:
    return rules.online_allowed and mentee.online_ok and mentor.online_ok


def location_value(mentee: Mentee, mentor: Mentor, rules: ProgrammeRules) -> float:
    """In person: 1 at the same centroid, falling linearly to 0 at the sum of both travel radii
    (they can meet in between). Online, when possible, is worth online_location_value; the better
    of the two counts. Unknown area: online value if online is possible, else neutral."""
    online = online_possible(mentee, mentor, rules)
    online_value = rules.online_location_value if online else 0.0
    ia, ib = area_index(mentee.area), area_index(mentor.area)
    if ia == UNKNOWN_AREA or ib == UNKNOWN_AREA:
        return online_value if online else NEUTRAL
    distance = float(DISTANCE_KM[ia, ib])
    reach = max(mentee.travel_radius_km, 0.0) + max(mentor.travel_radius_km, 0.0)
    if reach <= 0:  # neither travels: only the same centroid works in person
        return max(1.0 if distance == 0 else 0.0, online_value)
    in_person = max(1.0 - distance / reach, 0.0)
    return max(in_person, online_value)


def age_value(mentee: Mentee, mentor: Mentor, rules: ProgrammeRules) -> float:
    """1 up to the preferred maximum gap, then linearly down to 0 over the fall-off years."""
    if mentee.age is None or mentor.age is None:
        return NEUTRAL
    gap = abs(float(mentee.age) - float(mentor.age))
    if gap <= rules.preferred_max_age_gap:
        return 1.0
    if rules.age_gap_falloff_years <= 0:
        return 0.0
    return max(1.0 - (gap - rules.preferred_max_age_gap) / rules.age_gap_falloff_years, 0.0)


def skills_value(mentee: Mentee, mentor: Mentor, rules: ProgrammeRules) -> float:
    """Share of the relevant skills (focus-area skills + her goals) the mentor has, saturating
    at skills_target skills: a mentor need not know everything to be a perfect fit."""
    relevant = rules.relevant_skills(mentee)
    if not relevant:
        return NEUTRAL
    covered = len(relevant & mentor.skills)
    return min(covered / min(len(relevant), max(rules.skills_target, 1)), 1.0)


def interests_value(mentee: Mentee, mentor: Mentor, rules: ProgrammeRules) -> float:
    """Overlap coefficient: shared interests over the smaller set."""
    if not mentee.interests or not mentor.interests:
        return NEUTRAL
    shared = len(mentee.interests & mentor.interests)
    return shared / min(len(mentee.interests), len(mentor.interests))


def language_value(mentee: Mentee, mentor: Mentor, rules: ProgrammeRules) -> float:
    """1 if they share a language, else 0."""
    if not mentee.languages or not mentor.languages:
        return NEUTRAL
    return 1.0 if mentee.languages & mentor.languages else 0.0


def availability_value(mentee: Mentee, mentor: Mentor, rules: ProgrammeRules) -> float:
    """Shared time slots, saturating at availability_target (or the smaller set)."""
    if not mentee.availability or not mentor.availability:
        return NEUTRAL
    shared = len(mentee.availability & mentor.availability)
    target = min(len(mentee.availability), len(mentor.availability), rules.availability_target)
    return min(shared / max(target, 1), 1.0)


FACTOR_FUNCTIONS = {
    "location": location_value,
    "age": age_value,
    "skills": skills_value,
    "interests": interests_value,
    "language": language_value,
    "availability": availability_value,
}
assert tuple(FACTOR_FUNCTIONS) == FACTORS


def score_pair(mentee: Mentee, mentor: Mentor, rules: ProgrammeRules) -> ScoreBreakdown:
    """Score of one pair with each factor's contribution. Ignores hard rules (see hard_rule...)."""
    weights = rules.weights.normalised()
    contributions = []
    score = 0.0
    for factor in FACTORS:  # fixed order: the vectorised scorer sums in the same order
        value = float(FACTOR_FUNCTIONS[factor](mentee, mentor, rules))
        contribution = weights[factor] * value
        score += contribution
        contributions.append(FactorContribution(factor, value, weights[factor], contribution))
    return ScoreBreakdown(score=score, contributions=tuple(contributions))


def hard_rule_violations(
    mentee: Mentee,
    mentor: Mentor,
    rules: ProgrammeRules,
    *,
    remaining_capacity: int | None = None,
    excluded_pairs: Collection[Pair] = frozenset(),
) -> list[str]:
    """Names of the hard rules this pair breaks (empty: allowed), within the same block.

    Pairs from different partner/programme/cohort blocks are never candidates at all; callers
    check `mentee.block == mentor.block` first. remaining_capacity None means "not checked".
    """
    broken = []
    if not mentor.trained:
        broken.append(RULE_NOT_TRAINED)
    if not mentor.checked:
        broken.append(RULE_NOT_CHECKED)
    if remaining_capacity is not None and remaining_capacity <= 0:
        broken.append(RULE_NO_CAPACITY)
    if rules.requires_partnership:
        employers = rules.partnerships.get(mentee.school_id or "", frozenset())
        if mentor.employer_id is None or mentor.employer_id not in employers:
            broken.append(RULE_PARTNERSHIP)
    if (
        mentee.preferred_mentor_gender is not None
        and mentor.gender != mentee.preferred_mentor_gender
    ):
        broken.append(RULE_PREFERENCE)
    if (
        mentor.participant_id in mentee.conflicts
        or mentee.participant_id in mentor.conflicts
        or mentee.participant_id == mentor.participant_id  # same person on both sides
    ):
        broken.append(RULE_CONFLICT)
    if (mentee.participant_id, mentor.participant_id) in excluded_pairs:
        broken.append(RULE_EXCLUDED)
    return broken
