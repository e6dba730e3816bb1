"""Sessions' rules as plain functions: no I/O, unit-tested on their own.

- training: a mentor completes when her cumulative hours reach the programme's requirement,
  and that is announced once;
- meetings: only on an active match, not in the future, not before the match started, and
  competencies from the programme's framework (when it has one);
- closure: once; an early end needs a reason code;
- outcomes: only after a completed match;
- at risk: an active match with no meeting for the programme's `at_risk_after_weeks`
  (counted from the last meeting, or from the match start), flagged once per episode.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from tandem_shared.domain_errors import Conflict, InvalidRequest
from tandem_shared.events.vocabulary import ClosureKind

ACTIVE = "active"
CLOSED = "closed"


# -- training -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingProgress:
    total_hours: float
    required_hours: float | None
    completed: bool
    just_completed: bool  # this addition crossed the threshold: announce it (once)


def _hours(value: float) -> float:
    return round(value, 2)


def add_training(
    total_hours: float, hours: float, required_hours: float | None, already_completed: bool
) -> TrainingProgress:
    """Add `hours` to a mentor's total; completion is decided once, when the total reaches
    the requirement. Unknown requirement (programme not heard of yet): not complete yet."""
    if hours <= 0:
        raise InvalidRequest("training hours must be positive")
    new_total = _hours(total_hours + hours)
    reached = required_hours is not None and new_total >= _hours(required_hours)
    return TrainingProgress(
        total_hours=new_total,
        required_hours=required_hours,
        completed=already_completed or reached,
        just_completed=reached and not already_completed,
    )


def training_now_complete(
    total_hours: float, required_hours: float | None, already_completed: bool
) -> bool:
    """For a requirement learnt late: has the mentor already reached it (and not been told)?"""
    return (
        not already_completed
        and required_hours is not None
        and _hours(total_hours) >= _hours(required_hours)
    )


# -- meetings -------------------------------------------------------------------------------


def check_meeting(
    *,
    status: str,
    started_on: date,
    met_on: date,
    today: date,
    competencies: Iterable[str],
    framework: Sequence[str],
) -> None:
    if status != ACTIVE:
        raise Conflict("the match is closed: no more meetings can be logged")
    if met_on > today:
        raise InvalidRequest(f"met_on {met_on} is in the future")
    if met_on < started_on:
        raise InvalidRequest(f"met_on {met_on} is before the match started on {started_on}")
    if framework:
        unknown = sorted(set(competencies) - set(framework))
        if unknown:
            raise InvalidRequest(
                f"competencies {unknown} are not in the programme's framework {list(framework)}"
            )


# -- closure and outcomes -------------------------------------------------------------------


def check_closure(
    *,
    status: str,
    closure: ClosureKind,
    reason_code: str | None,
    closed_on: date,
    started_on: date,
    today: date,
) -> None:
    if status != ACTIVE:
        raise Conflict("the match is already closed")
    if closure is ClosureKind.ENDED_EARLY and not reason_code:
        raise InvalidRequest("reason_code is required when a match ended early")
    if closed_on > today:
        raise InvalidRequest(f"closed_on {closed_on} is in the future")
    if closed_on < started_on:
        raise InvalidRequest(f"closed_on {closed_on} is before the match started on {started_on}")


def check_outcome_allowed(*, status: str, closure: str | None) -> None:
    if status != CLOSED or closure != ClosureKind.COMPLETED:
        raise Conflict("outcomes are recorded only for a completed match")


# -- at risk --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveMatch:
    match_id: uuid.UUID
    started_on: date
    last_met_on: date | None
    at_risk_after_weeks: int
    flagged: bool  # match.at_risk already emitted for the current episode


@dataclass(frozen=True)
class AtRisk:
    match_id: uuid.UUID
    last_met_on: date | None
    weeks_without_meeting: int


def matches_at_risk(matches: Iterable[ActiveMatch], today: date) -> list[AtRisk]:
    """Active matches with no meeting for `at_risk_after_weeks` that were not yet flagged."""
    found = []
    for m in matches:
        if m.flagged:
            continue
        since = m.last_met_on or m.started_on
        days = (today - since).days
        if days >= 7 * m.at_risk_after_weeks:
            found.append(AtRisk(m.match_id, m.last_met_on, days // 7))
    return found
