"""Adapter (pure): matching's stored pool rows and programme config → engine inputs.

No I/O here: the caller loads rows and passes plain values; the engine gets its dataclasses.
- age_band → band midpoint age;
- programme `matching_weights` → FactorWeights (named factors only; missing ones weigh 0);
- `partnerships` (school → employers) → ProgrammeRules.partnerships, a hard rule when present
  or when the programme is a schools programme;
- trained (from mentor.training_completed), checked (profile.checks_passed), capacity;
- declared conflicts, excluded pairs (rejected/ended/closed), confirmed pairs, waiting_since.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .engine import FACTORS, FactorWeights, MatchingInput, Mentee, Mentor, ProgrammeRules

AGE_BAND_MIDPOINTS: dict[str, int] = {
    "under_16": 14,
    "16_17": 16,
    "18_24": 21,
    "25_34": 30,
    "35_44": 40,
    "45_54": 50,
    "55_64": 60,
    "65_plus": 70,
}
NO_GENDER = {None, "", "undisclosed"}


@dataclass(frozen=True)
class PoolRow:
    """What matching stores for one accepted participant (role and coarse profile)."""

    participant_id: uuid.UUID | str
    partner_id: uuid.UUID | str
    programme_id: uuid.UUID | str | None
    cohort_id: uuid.UUID | str | None
    role: str
    profile: Mapping[str, Any]
    accepted_at: datetime | None = None
    trained: bool = False


@dataclass(frozen=True)
class ProgrammeConfig:
    programme_type: str | None = None
    matching_weights: Mapping[str, float] = field(default_factory=dict)
    partnerships: Sequence[Mapping[str, Any]] = ()


def age_from_band(band: str | None) -> int | None:
    return AGE_BAND_MIDPOINTS.get(band) if band else None


def _gender(value: str | None) -> str | None:
    return None if value in NO_GENDER else value


def factor_weights(weights: Mapping[str, float] | None) -> FactorWeights:
    """Programme weights by factor name. Unknown names are ignored; factors the programme does
    not name weigh 0; no usable (positive) weight at all → the engine's defaults."""
    known = {k: float(v) for k, v in (weights or {}).items() if k in FACTORS}
    if not known or sum(max(v, 0.0) for v in known.values()) <= 0:
        return FactorWeights()
    return FactorWeights(**{f: max(known.get(f, 0.0), 0.0) for f in FACTORS})


def partnerships_mapping(partnerships: Iterable[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for item in partnerships or ():
        school = item.get("school_id")
        if not school:
            continue
        out.setdefault(school, set()).update(item.get("employer_ids") or ())
    return {k: frozenset(v) for k, v in out.items()}


def programme_rules(config: ProgrammeConfig | None) -> ProgrammeRules:
    if config is None:
        return ProgrammeRules()
    partnerships = partnerships_mapping(config.partnerships)
    return ProgrammeRules(
        weights=factor_weights(config.matching_weights),
        partnerships=partnerships,
        requires_partnership=bool(partnerships) or config.programme_type == "schools",
    )


def _common(row: PoolRow, block: tuple[str, str, str]) -> dict[str, Any]:
    p = row.profile
    return dict(
        participant_id=str(row.participant_id),
        partner_id=block[0],
        programme_id=block[1],
        cohort_id=block[2],
        area=p.get("area"),
        travel_radius_km=float(p.get("travel_radius_km", 10.0)),
        online_ok=bool(p.get("online_ok", True)),
        age=age_from_band(p.get("age_band")),
        gender=_gender(p.get("gender")),
        skills=p.get("skills") or (),
        interests=p.get("interests") or (),
        languages=p.get("languages") or (),
        availability=p.get("availability") or (),
        conflicts=[str(c) for c in p.get("conflict_participant_ids") or ()],
    )


def to_mentee(row: PoolRow, block: tuple[str, str, str]) -> Mentee:
    p = row.profile
    return Mentee(
        **_common(row, block),
        focus_area=p.get("focus_area"),
        goals=p.get("goals") or (),
        preferred_mentor_gender=_gender(p.get("preferred_mentor_gender")),
        school_id=p.get("school_id"),
        waiting_since=row.accepted_at,
    )


def to_mentor(row: PoolRow, block: tuple[str, str, str]) -> Mentor:
    p = row.profile
    return Mentor(
        **_common(row, block),
        employer_id=p.get("employer_id"),
        trained=row.trained,
        checked=bool(p.get("checks_passed", False)),
        capacity=max(int(p.get("capacity", 1)), 0),
    )


def build_input(
    *,
    partner_id: uuid.UUID | str,
    programme_id: uuid.UUID | str | None,
    cohort_id: uuid.UUID | str,
    mentees: Iterable[PoolRow],
    mentors: Iterable[PoolRow],
    programme: ProgrammeConfig | None,
    confirmed_pairs: Iterable[tuple[Any, Any]] = (),
    excluded_pairs: Iterable[tuple[Any, Any]] = (),
) -> MatchingInput:
    """One cohort's matching input. Every row is put in the cohort's block (a mentor accepted
    for the programme without a cohort is offered to the cohort too); roles are taken from the
    argument they come in, not re-checked."""
    block = (str(partner_id), str(programme_id or ""), str(cohort_id))
    confirmed = {(str(a), str(b)) for a, b in confirmed_pairs}
    mentor_rows = list(mentors)
    mentor_ids = {str(r.participant_id) for r in mentor_rows}
    return MatchingInput(
        mentees=tuple(to_mentee(r, block) for r in mentees),
        mentors=tuple(to_mentor(r, block) for r in mentor_rows),
        rules=programme_rules(programme),
        # only pairs whose mentor is in this input matter (they use her capacity)
        confirmed_pairs=frozenset(p for p in confirmed if p[1] in mentor_ids),
        excluded_pairs=frozenset((str(a), str(b)) for a, b in excluded_pairs),
    )
