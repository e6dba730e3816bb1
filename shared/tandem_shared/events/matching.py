"""Events produced by matching: proposals and coordinator decisions."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from .envelope import EventPayload, PayloadPart
from .topics import MATCHES
from .vocabulary import Code


class FactorContribution(PayloadPart):
    factor: Code
    value: float = Field(ge=0, le=1)
    weight: float = Field(ge=0)
    contribution: float = Field(ge=0)


class MatchProposed(EventPayload):
    event_type: ClassVar[str] = "match.proposed"
    topic: ClassVar[str] = MATCHES.name

    match_id: uuid.UUID
    run_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    score: float = Field(ge=0, le=1)
    factors: list[FactorContribution] = Field(default_factory=list)


class MatchMade(EventPayload):
    """A coordinator confirmed a proposal: the relationship can start."""

    event_type: ClassVar[str] = "match.made"
    topic: ClassVar[str] = MATCHES.name

    match_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    score: float = Field(ge=0, le=1)
    days_waited: int = Field(ge=0, description="Days from the mentee's acceptance to this match.")


class MatchRejected(EventPayload):
    event_type: ClassVar[str] = "match.rejected"
    topic: ClassVar[str] = MATCHES.name

    match_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    reason_code: Code


class MatchEnded(EventPayload):
    """A confirmed match was unwound in matching (e.g. a participant withdrew before meeting)."""

    event_type: ClassVar[str] = "match.ended"
    topic: ClassVar[str] = MATCHES.name

    match_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    reason_code: Code
