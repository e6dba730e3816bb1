"""Matching's rules and decisions (pure: no I/O)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from tandem_shared.domain_errors import Conflict

from .engine import MatchingResult, Proposal, UnmatchedMentee

# Proposal statuses.
PROPOSED = "proposed"  # open: waits for the coordinator
SUPERSEDED = "superseded"  # a later run of the same cohort replaced it
WITHDRAWN = "withdrawn"  # one side withdrew or was erased before a decision
CONFIRMED = "confirmed"  # the match is live: it uses the mentor's capacity
REJECTED = "rejected"
ENDED = "ended"  # unwound in matching
CLOSED = "closed"  # closed by sessions (completed or ended early)

# Pairs never proposed again.
EXCLUDING = frozenset({REJECTED, ENDED, CLOSED})

# Pool statuses.
ACTIVE = "active"
LEFT = "withdrawn"
COMPLETED = "completed"


class RuleViolation(Conflict):
    """A business rule forbids the command (→ 409 with this message as detail)."""


def days_waited(accepted_at: datetime | None, now: datetime) -> int:
    """Whole days from the mentee's acceptance to now (never negative)."""
    if accepted_at is None:
        return 0
    return max((now - accepted_at).days, 0)


def check_confirmable(
    *,
    status: str,
    mentee_active: bool,
    mentor_active: bool,
    mentee_has_match: bool,
    mentor_load: int,
    mentor_capacity: int,
) -> None:
    """Raise RuleViolation unless this open proposal can become a match now."""
    if status != PROPOSED:
        raise RuleViolation(f"proposal is {status}, only an open proposal can be confirmed")
    if not mentee_active:
        raise RuleViolation("the mentee is no longer in the pool")
    if not mentor_active:
        raise RuleViolation("the mentor is no longer in the pool")
    if mentee_has_match:
        raise RuleViolation("the mentee is already matched")
    if mentor_load >= mentor_capacity:
        raise RuleViolation(
            f"the mentor has no capacity left ({mentor_load} of {mentor_capacity} in use)"
        )


def check_rejectable(status: str) -> None:
    if status != PROPOSED:
        raise RuleViolation(f"proposal is {status}, only an open proposal can be rejected")


def check_endable(status: str) -> None:
    if status != CONFIRMED:
        raise RuleViolation(f"match is {status}, only a confirmed match can be ended")


def mentee_status_after_closure(closure: str) -> str:
    """A completed relationship takes the mentee out of the pool; one ended early puts her back
    (her pair stays excluded)."""
    return COMPLETED if closure == "completed" else ACTIVE


def factors_of(proposal: Proposal) -> list[dict[str, float | str]]:
    return [
        {
            "factor": c.factor,
            "value": round(min(max(c.value, 0.0), 1.0), 6),
            "weight": round(max(c.weight, 0.0), 6),
            "contribution": round(max(c.contribution, 0.0), 6),
        }
        for c in proposal.contributions
    ]


def explanation_of(proposal: Proposal) -> dict[str, Any]:
    """The engine's explanation in plain terms: strongest factors, and why she did not get her
    best-scoring mentor (if she did not)."""
    ranked = sorted(proposal.contributions, key=lambda c: -c.contribution)
    alternative = proposal.best_alternative
    if alternative is None:
        summary = "She got one of her best-scoring feasible mentors."
    elif alternative.kind == "unused":
        summary = "Her best-scoring mentor was left free (tie or candidate limit)."
    else:
        summary = (
            f"Her best-scoring mentor ({alternative.best_score:.2f}) is proposed to another "
            f"mentee; giving her that mentor ({alternative.kind}) would change the cohort's "
            f"total score by {alternative.total_delta:+.3f}."
        )
    return {
        "summary": summary,
        "strongest_factors": [c.factor for c in ranked[:3] if c.contribution > 0],
        "best_alternative": asdict(alternative) if alternative else None,
    }


def unmatched_of(item: UnmatchedMentee) -> dict[str, Any]:
    if item.reason == "no_feasible_mentor":
        rules = ", ".join(f"{k}: {v}" for k, v in sorted(item.eliminated_by.items())) or "none"
        text = (
            f"No mentor in her cohort passes the hard rules ({item.block_mentors} mentors; "
            f"ruled out by {rules})."
        )
    else:
        text = (
            f"{item.feasible_count} feasible mentor(s), all needed by other mentees in the "
            "best overall arrangement."
        )
    return {
        "mentee_id": item.mentee_id,
        "reason": item.reason,
        "explanation": text,
        "block_mentors": item.block_mentors,
        "eliminated_by": dict(item.eliminated_by),
        "feasible_count": item.feasible_count,
        "feasible_mentor_ids": list(item.feasible_mentor_ids),
        "holders": {k: list(v) for k, v in item.holders.items()},
    }


def result_summary(result: MatchingResult) -> dict[str, Any]:
    return {
        "mode": result.mode,
        "total_score": round(result.total_score, 6),
        "min_score": None if result.min_score is None else round(result.min_score, 6),
    }
