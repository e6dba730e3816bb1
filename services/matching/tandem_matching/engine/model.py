"""Value types of the matching engine: participants, programme rules, inputs and results.

Everything here is a frozen dataclass so that an input can be hashed, shared between threads and
replayed: the same input always gives the same result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

FACTORS: tuple[str, ...] = ("location", "age", "skills", "interests", "language", "availability")

# Hard-rule names, used in unmatched reasons (counts of mentors each rule eliminated).
RULE_NOT_TRAINED = "mentor_not_trained"
RULE_NOT_CHECKED = "mentor_not_checked"
RULE_NO_CAPACITY = "mentor_at_capacity"
RULE_PARTNERSHIP = "school_employer_partnership"
RULE_PREFERENCE = "mentee_preference"
RULE_CONFLICT = "conflict_of_interest"
RULE_EXCLUDED = "excluded_pair"
HARD_RULES: tuple[str, ...] = (
    RULE_NOT_TRAINED,
    RULE_NOT_CHECKED,
    RULE_NO_CAPACITY,
    RULE_PARTNERSHIP,
    RULE_PREFERENCE,
    RULE_CONFLICT,
    RULE_EXCLUDED,
)

MODE_MAX_TOTAL = "max_total"
MODE_FAIRNESS = "fairness"

BlockKey = tuple[str, str, str]  # (partner_id, programme_id, cohort_id)


def _frozen(values) -> frozenset[str]:
    return frozenset(values or ())


@dataclass(frozen=True, slots=True)
class Participant:
    """Coarse matching attributes shared by both sides (no names, no contact details)."""

    participant_id: str
    partner_id: str
    programme_id: str
    cohort_id: str
    area: str | None = None  # London borough key, see london_areas.AREAS; unknown -> neutral
    travel_radius_km: float = 5.0
    online_ok: bool = True
    age: int | None = None  # band midpoint
    gender: str | None = None
    skills: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    availability: frozenset[str] = frozenset()  # slot keys such as "mon_eve"
    conflicts: frozenset[str] = frozenset()  # participant ids this person declared a conflict with

    def __post_init__(self) -> None:
        # Accept any iterable for the set fields but store frozensets (hashable, immutable).
        for name in ("skills", "interests", "languages", "availability", "conflicts"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def block(self) -> BlockKey:
        return (self.partner_id, self.programme_id, self.cohort_id)


@dataclass(frozen=True, slots=True)
class Mentee(Participant):
    focus_area: str | None = None  # e.g. employment, volunteering, education, new_skills
    goals: frozenset[str] = frozenset()  # skill words she wants to work on
    preferred_mentor_gender: str | None = None  # a hard rule when set
    school_id: str | None = None  # schools programme
    waiting_since: datetime | None = None  # when she joined the pool; longer waits go first

    def __post_init__(self) -> None:
        Participant.__post_init__(self)
        object.__setattr__(self, "goals", _frozen(self.goals))


@dataclass(frozen=True, slots=True)
class Mentor(Participant):
    employer_id: str | None = None  # schools programme
    trained: bool = False
    checked: bool = False
    capacity: int = 1  # how many mentees at once, before confirmed matches are deducted


@dataclass(frozen=True, slots=True)
class FactorWeights:
    location: float = 0.3
    age: float = 0.1
    skills: float = 0.25
    interests: float = 0.15
    language: float = 0.1
    availability: float = 0.1

    def normalised(self) -> dict[str, float]:
        """Weights scaled to sum to 1, so that a score is always in [0, 1]."""
        raw = {f: float(getattr(self, f)) for f in FACTORS}
        if any(w < 0 for w in raw.values()):
            raise ValueError("factor weights must be non-negative")
        total = sum(raw.values())
        if total <= 0:
            raise ValueError("at least one factor weight must be positive")
        return {f: w / total for f, w in raw.items()}


@dataclass(frozen=True, slots=True)
class ProgrammeRules:
    """Per-programme configuration: factor weights, factor parameters and hard-rule switches."""

    weights: FactorWeights = field(default_factory=FactorWeights)
    # Age: a gap up to preferred_max_age_gap scores 1, then falls linearly to 0 over
    # age_gap_falloff_years more years.
    preferred_max_age_gap: float = 15.0
    age_gap_falloff_years: float = 15.0
    # Location: online meetings score online_location_value when the programme allows them and
    # both sides accept them.
    online_allowed: bool = True
    online_location_value: float = 0.5
    # Skills: focus area -> skills relevant to it; the mentee's goals are added to these.
    focus_area_skills: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Skills factor saturates: covering this many relevant skills scores 1.
    skills_target: int = 3
    # Availability factor saturates at this many shared slots.
    availability_target: int = 3
    # Schools: a student is matched only with volunteers of her school's partner employers.
    requires_partnership: bool = False
    # school_id -> employer ids
    partnerships: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Candidate generation: each mentee's top_k feasible mentors plus each mentor's top_k_mentor
    # feasible mentees form the sparse graph the exact solver works on.
    top_k: int = 40
    top_k_mentor: int = 0
    # Waiting priority: a bonus of up to this much is added to every edge of the mentee who has
    # waited longest (linearly less for shorter waits). It only decides WHO is matched when not
    # everyone can be; it is far smaller than the cardinality term.
    waiting_priority_weight: float = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "focus_area_skills",
            MappingProxyType({k: frozenset(v) for k, v in dict(self.focus_area_skills).items()}),
        )
        object.__setattr__(
            self,
            "partnerships",
            MappingProxyType({k: frozenset(v) for k, v in dict(self.partnerships).items()}),
        )
        if self.top_k < 1 or self.top_k_mentor < 0:
            raise ValueError("top_k must be at least 1 and top_k_mentor at least 0")
        if self.waiting_priority_weight < 0:
            raise ValueError("waiting_priority_weight must be non-negative")

    def relevant_skills(self, mentee: Mentee) -> frozenset[str]:
        focus = self.focus_area_skills.get(mentee.focus_area or "", frozenset())
        return focus | mentee.goals


Pair = tuple[str, str]  # (mentee_id, mentor_id)


@dataclass(frozen=True, slots=True)
class MatchingInput:
    """One matching run. Rules apply to every (partner, programme, cohort) block in the input.

    confirmed_pairs: approved matches; they stay fixed, use mentor capacity, and their mentees are
    not proposed again. excluded_pairs: pairs that must never be proposed (coordinator
    exclusions, rejected proposals and ended matches).
    """

    mentees: tuple[Mentee, ...]
    mentors: tuple[Mentor, ...]
    rules: ProgrammeRules = field(default_factory=ProgrammeRules)
    confirmed_pairs: frozenset[Pair] = frozenset()
    excluded_pairs: frozenset[Pair] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mentees", tuple(self.mentees))
        object.__setattr__(self, "mentors", tuple(self.mentors))
        object.__setattr__(self, "confirmed_pairs", frozenset(self.confirmed_pairs))
        object.__setattr__(self, "excluded_pairs", frozenset(self.excluded_pairs))
        for kind, people in (("mentee", self.mentees), ("mentor", self.mentors)):
            ids = [p.participant_id for p in people]
            if len(set(ids)) != len(ids):
                raise ValueError(f"duplicate {kind} participant_id")


@dataclass(frozen=True, slots=True)
class FactorContribution:
    factor: str
    value: float  # raw factor value in [0, 1]
    weight: float  # normalised weight (weights sum to 1)
    contribution: float  # weight * value; contributions sum to the score


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    score: float
    contributions: tuple[FactorContribution, ...]

    def value(self, factor: str) -> float:
        return next(c.value for c in self.contributions if c.factor == factor)


@dataclass(frozen=True, slots=True)
class Alternative:
    """Why a mentee did not get her best-scoring feasible mentor.

    kind is one of:
    - "swap": she takes best_mentor_id and holder_mentee_id takes her proposed mentor;
    - "displace": she takes best_mentor_id, the holder moves to displaced_to_mentor_id (her best
      mentor with free capacity among her candidates) and her own mentor is freed;
    - "displace_unmatched": no such move exists; the holder would be left unmatched, so the
      swap would also reduce the number of matched mentees by one.
    total_delta is the change of the total score (sum of matched scores) of that arrangement
    against the proposal; it is <= 0 when the proposal is optimal.
    """

    best_mentor_id: str
    best_score: float
    holder_mentee_id: str
    kind: str
    displaced_to_mentor_id: str | None
    total_delta: float


@dataclass(frozen=True, slots=True)
class Proposal:
    mentee_id: str
    mentor_id: str
    score: float
    contributions: tuple[FactorContribution, ...]
    best_alternative: Alternative | None  # None when she got (one of) her best-scoring mentors


REASON_NO_FEASIBLE = "no_feasible_mentor"
REASON_NEEDED_BY_OTHERS = "feasible_mentors_needed_by_others"


@dataclass(frozen=True, slots=True)
class UnmatchedMentee:
    """reason is REASON_NO_FEASIBLE or REASON_NEEDED_BY_OTHERS.

    block_mentors: mentors in her partner, programme and cohort. eliminated_by: for each hard
    rule, how many of those mentors it rules out (a mentor can fail several rules).
    feasible_mentor_ids: her feasible mentors, best first (at most 5), and holders: for each of
    them the mentees proposed to (or confirmed with) that mentor.
    """

    mentee_id: str
    reason: str
    block_mentors: int
    eliminated_by: Mapping[str, int]
    feasible_count: int
    feasible_mentor_ids: tuple[str, ...] = ()
    holders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MatchingResult:
    mode: str
    proposals: tuple[Proposal, ...]
    unmatched: tuple[UnmatchedMentee, ...]
    total_score: float  # sum of proposed scores (without waiting bonus)
    min_score: float | None  # lowest proposed score (fairness mode raises it per block)

    @property
    def pairs(self) -> list[Pair]:
        return [(p.mentee_id, p.mentor_id) for p in self.proposals]
