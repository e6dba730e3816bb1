"""Reporting's arithmetic (pure): counter names, figures, rates and small-number suppression.

Counters are (metric, dim) → integer, summed over whatever scope is reported (a cohort, a
programme, a partner). Figures are derived from them; nothing here touches the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

# --- counter metrics (dim in brackets) -----------------------------------------------------
APPLICATIONS = "applications"  # [role]
APPLICATION_ROUTES = "application_routes"  # [route: application | referral]
ACCEPTED = "accepted"  # [role]
DECLINED = "declined"  # [role]
WAITLISTED = "waitlisted"  # [role]
WITHDRAWN = "withdrawn"  # [role]
MENTORS_TRAINED = "mentors_trained"
MATCHES_PROPOSED = "matches_proposed"
MATCHES_MADE = "matches_made"
MATCHES_REJECTED = "matches_rejected"
MATCHES_UNWOUND = "matches_unwound"  # match.ended: unwound in matching before it closed
MENTEES_MATCHED = "mentees_matched"  # distinct mentees with a match made
DAYS_TO_MATCH = "days_to_match_total"  # sum of match.made days_waited
MEETINGS = "meetings"
MATCHES_AT_RISK = "matches_at_risk"
MATCHES_COMPLETED = "matches_completed"
MATCHES_ENDED_EARLY = "matches_ended_early"
SURVEY_PAIRS = "survey_pairs"  # [role.dimension] respondents with baseline and exit
SURVEY_IMPROVED = "survey_improved"  # [role.dimension] exit score beats baseline
FOLLOWED_UP_6M = "outcomes_followed_up_6m"  # distinct mentees with an outcome at <= 6 months
JOB_OR_COURSE_6M = "job_or_course_6m"  # ... of whom started a job or a course
BURSARIES_APPLIED = "bursaries_applied"
BURSARIES_AWARDED = "bursaries_awarded"
BURSARY_AWARDED_PENCE = "bursary_awarded_pence"
BURSARIES_DECLINED = "bursaries_declined"
BURSARY_PAID_PENCE = "bursary_paid_pence"  # [category]
BURSARY_PAYMENTS = "bursary_payments"  # [category]
BURSARIES_LAPSED = "bursaries_lapsed"
BURSARY_RETURNED_PENCE = "bursary_returned_pence"

DECISION_METRICS = {
    "application.accepted": ACCEPTED,
    "application.declined": DECLINED,
    "application.waitlisted": WAITLISTED,
    "application.withdrawn": WITHDRAWN,
}
ROLES = ("mentor", "mentee")
SIX_MONTHS = 6
JOB_OR_COURSE = frozenset({"job", "course"})
SUPPRESS_BELOW = 5

Counts = Mapping[tuple[str, str], int]


# --- event rules ---------------------------------------------------------------------------
def improvements(baseline: Mapping[str, int] | None, exit_: Mapping[str, int] | None):
    """Per dimension scored in both surveys: did the exit score beat the baseline?"""
    if not baseline or not exit_:
        return {}
    return {dim: exit_[dim] > baseline[dim] for dim in sorted(set(baseline) & set(exit_))}


def improvement_deltas(
    role: str, before: Mapping[str, bool], after: Mapping[str, bool]
) -> dict[tuple[str, str], int]:
    """Counter changes when a respondent's counted improvements go from `before` to `after`
    (a survey re-submitted replaces its earlier counting, never adds to it)."""
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    for counted, sign in ((before, -1), (after, +1)):
        for dim, improved in counted.items():
            deltas[(SURVEY_PAIRS, f"{role}.{dim}")] += sign
            if improved:
                deltas[(SURVEY_IMPROVED, f"{role}.{dim}")] += sign
    return {k: v for k, v in deltas.items() if v}


def outcome_counts(months_after: int, outcomes: Iterable[str]) -> tuple[bool, bool]:
    """(counts as a six-month follow-up, started a job or course within six months)."""
    if months_after > SIX_MONTHS:
        return False, False
    return True, bool(JOB_OR_COURSE & set(outcomes))


def pence_to_gbp(pence: int) -> float:
    return round(pence / 100, 2)


# --- figures ---------------------------------------------------------------------------------
def sum_counts(rows: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = defaultdict(int)
    for metric, dim, value in rows:
        out[(metric, dim)] += int(value)
    return dict(out)


def ratio(numerator: float | None, denominator: float | None, digits: int = 4) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


class _Cells:
    """How a figure is shown: exact (to the partner itself) or suppressed (to leave it)."""

    def __init__(self, suppress: bool) -> None:
        self.suppress = suppress

    def small(self, n: int) -> bool:
        return self.suppress and n < SUPPRESS_BELOW

    def count(self, n: int) -> Any:
        if not self.suppress:
            return n
        return {"value": None, "suppressed": True} if self.small(n) else _shown(n)

    def derived(self, value: Any, *basis: int) -> Any:
        """A rate, mean or amount: hidden when any count it rests on is small."""
        if not self.suppress:
            return value
        if any(self.small(n) for n in basis):
            return {"value": None, "suppressed": True}
        return _shown(value)


def _shown(value: Any) -> dict[str, Any]:
    return {"value": value, "suppressed": False}


def build_figures(counts: Counts, *, suppress: bool = False) -> dict[str, Any]:
    """The partner's figures from summed counters; `suppress` hides counts under 5 (and any
    rate, mean or amount resting on one) for anything that leaves the partner."""
    c = _Cells(suppress)

    def get(metric: str, dim: str = "") -> int:
        return int(counts.get((metric, dim), 0))

    def by_role(metric: str) -> dict[str, Any]:
        values = {role: get(metric, role) for role in ROLES}
        return {
            **{r: c.count(v) for r, v in values.items()},
            "total": c.count(sum(values.values())),
        }

    applications = sum(get(APPLICATIONS, r) for r in ROLES)
    accepted = sum(get(ACCEPTED, r) for r in ROLES)
    accepted_mentees = get(ACCEPTED, "mentee")
    made = get(MATCHES_MADE)
    matched = get(MENTEES_MATCHED)
    meetings = get(MEETINGS)
    completed, early = get(MATCHES_COMPLETED), get(MATCHES_ENDED_EARLY)
    followed, job_course = get(FOLLOWED_UP_6M), get(JOB_OR_COURSE_6M)
    awarded = get(BURSARIES_AWARDED)
    awarded_pence = get(BURSARY_AWARDED_PENCE)

    surveys: dict[str, dict[str, Any]] = {}
    for (metric, dim), pairs in sorted(counts.items()):
        if metric != SURVEY_PAIRS or not pairs:
            continue
        role, _, dimension = dim.partition(".")
        improved = get(SURVEY_IMPROVED, dim)
        surveys.setdefault(role, {})[dimension] = {
            "respondents": c.count(pairs),
            "improved": c.count(improved),
            "rate": c.derived(ratio(improved, pairs), pairs, improved),
        }

    categories = sorted(
        {d for (m, d) in counts if m in (BURSARY_PAID_PENCE, BURSARY_PAYMENTS) and d}
    )
    spend = {}
    for cat in categories:
        payments = get(BURSARY_PAYMENTS, cat)
        spend[cat] = {
            "payments": c.count(payments),
            "amount_pence": c.derived(get(BURSARY_PAID_PENCE, cat), payments),
            "amount_gbp": c.derived(pence_to_gbp(get(BURSARY_PAID_PENCE, cat)), payments),
        }
    paid_payments = sum(get(BURSARY_PAYMENTS, cat) for cat in categories)
    paid_pence = sum(get(BURSARY_PAID_PENCE, cat) for cat in categories)

    return {
        "applications": by_role(APPLICATIONS),
        "referrals": c.count(get(APPLICATION_ROUTES, "referral")),
        "by_route": {
            route: c.count(get(APPLICATION_ROUTES, route)) for route in ("application", "referral")
        },
        "accepted": by_role(ACCEPTED),
        "declined": by_role(DECLINED),
        "waitlisted": by_role(WAITLISTED),
        "withdrawn": by_role(WITHDRAWN),
        "acceptance_rate": c.derived(ratio(accepted, applications), accepted, applications),
        "mentors_trained": c.count(get(MENTORS_TRAINED)),
        "matches_proposed": c.count(get(MATCHES_PROPOSED)),
        "matches_made": c.count(made),
        "matches_rejected": c.count(get(MATCHES_REJECTED)),
        "mentees_matched": c.count(matched),
        "matched_share": c.derived(ratio(matched, accepted_mentees), matched, accepted_mentees),
        "mean_days_to_match": c.derived(ratio(get(DAYS_TO_MATCH), made, 2), made),
        "meetings": c.count(meetings),
        "meetings_per_match": c.derived(ratio(meetings, made, 2), meetings, made),
        "matches_at_risk": c.count(get(MATCHES_AT_RISK)),
        "matches_completed": c.count(completed),
        "matches_ended_early": c.count(early),
        "matches_unwound": c.count(get(MATCHES_UNWOUND)),
        # of the relationships that closed, the share that closed as planned
        # (the rate and the completed count would reveal a small ended-early count)
        "completion_rate": c.derived(ratio(completed, completed + early), completed, early),
        "survey_improvement": surveys,
        "outcomes_within_six_months": {
            "followed_up": c.count(followed),
            "job_or_course": c.count(job_course),
            "rate": c.derived(ratio(job_course, followed), job_course, followed),
        },
        "bursaries": {
            "applied": c.count(get(BURSARIES_APPLIED)),
            "awarded": c.count(awarded),
            "awarded_amount_pence": c.derived(awarded_pence, awarded),
            "awarded_amount_gbp": c.derived(pence_to_gbp(awarded_pence), awarded),
            "declined": c.count(get(BURSARIES_DECLINED)),
            "lapsed": c.count(get(BURSARIES_LAPSED)),
            "returned_pence": c.derived(get(BURSARY_RETURNED_PENCE), get(BURSARIES_LAPSED)),
            "paid_pence": c.derived(paid_pence, paid_payments),
            "spend_by_category": spend,
        },
    }


# --- Prometheus labels ---------------------------------------------------------------------
GAUGES: dict[str, tuple[str, str, bool]] = {
    # gauge name: (metric, help, labelled by role)
    "tandem_impact_applications": (APPLICATIONS, "Applications and referrals", True),
    "tandem_impact_applications_accepted": (ACCEPTED, "Applications accepted", True),
    "tandem_impact_mentors_trained": (MENTORS_TRAINED, "Mentors who completed training", False),
    "tandem_impact_matches_proposed": (MATCHES_PROPOSED, "Match proposals", False),
    "tandem_impact_matches_made": (MATCHES_MADE, "Matches made", False),
    "tandem_impact_meetings": (MEETINGS, "Mentoring meetings logged", False),
    "tandem_impact_matches_completed": (MATCHES_COMPLETED, "Matches completed", False),
}
UNKNOWN_LABEL = "unknown"
NO_PROGRAMME_LABEL = "none"


def gauge_samples(
    rows: Iterable[tuple[str | None, str | None, str, str, int]],
) -> dict[str, dict[tuple[str, ...], float]]:
    """rows: (partner slug, programme slug, metric, dim, value) → gauge → labels → value.
    Labels are partner and programme slugs (and role) only, never a person."""
    by_metric = {metric: (name, role) for name, (metric, _, role) in GAUGES.items()}
    out: dict[str, dict[tuple[str, ...], float]] = {name: {} for name in GAUGES}
    out["tandem_impact_bursaries_awarded"] = {}
    out["tandem_impact_bursary_awarded_amount_gbp"] = {}
    for partner, programme, metric, dim, value in rows:
        partner = partner or UNKNOWN_LABEL
        programme = programme or NO_PROGRAMME_LABEL
        if metric in by_metric:
            name, with_role = by_metric[metric]
            labels = (partner, programme, dim) if with_role else (partner, programme)
        elif metric == BURSARIES_AWARDED:
            name, labels = "tandem_impact_bursaries_awarded", (partner,)
        elif metric == BURSARY_AWARDED_PENCE:
            name, labels = "tandem_impact_bursary_awarded_amount_gbp", (partner,)
            value = value / 100
        else:
            continue
        series = out[name]
        series[labels] = series.get(labels, 0) + value
    return out
