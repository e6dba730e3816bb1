"""The event catalogue: every event type, its payload model and its topic."""

from __future__ import annotations

from .bursaries import (
    BursaryApplied,
    BursaryAwarded,
    BursaryDeclined,
    BursaryInterviewScheduled,
    BursaryLapsed,
    BursaryPaid,
    FundCreated,
)
from .envelope import EventEnvelope, EventPayload
from .intake import (
    ApplicationAccepted,
    ApplicationDeclined,
    ApplicationSubmitted,
    ApplicationWaitlisted,
    ApplicationWithdrawn,
    CohortOpened,
    ParticipantErased,
    PartnerRegistered,
    ProgrammeCreated,
)
from .matching import MatchEnded, MatchMade, MatchProposed, MatchRejected
from .sessions import (
    MatchAtRisk,
    MatchClosed,
    MentorTrainingCompleted,
    OutcomeRecorded,
    SessionLogged,
    SurveySubmitted,
)
from .topics import TOPICS_BY_NAME

PAYLOADS: tuple[type[EventPayload], ...] = (
    PartnerRegistered,
    ProgrammeCreated,
    CohortOpened,
    ApplicationSubmitted,
    ApplicationAccepted,
    ApplicationWaitlisted,
    ApplicationDeclined,
    ApplicationWithdrawn,
    ParticipantErased,
    MentorTrainingCompleted,
    SessionLogged,
    MatchAtRisk,
    MatchClosed,
    SurveySubmitted,
    OutcomeRecorded,
    MatchProposed,
    MatchMade,
    MatchRejected,
    MatchEnded,
    FundCreated,
    BursaryApplied,
    BursaryInterviewScheduled,
    BursaryAwarded,
    BursaryDeclined,
    BursaryPaid,
    BursaryLapsed,
)

CATALOGUE: dict[str, type[EventPayload]] = {p.event_type: p for p in PAYLOADS}
assert len(CATALOGUE) == len(PAYLOADS), "duplicate event_type in the catalogue"
assert all(p.topic in TOPICS_BY_NAME for p in PAYLOADS), "payload names an unknown topic"


class UnknownEventType(LookupError):
    pass


def payload_model(event_type: str) -> type[EventPayload]:
    try:
        return CATALOGUE[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def parse_payload(envelope: EventEnvelope) -> EventPayload:
    """Validate the envelope's payload against its catalogue model (tolerant of extras)."""
    return payload_model(envelope.event_type).model_validate(envelope.payload)


def event_types_on(topic: str) -> list[str]:
    return [p.event_type for p in PAYLOADS if p.topic == topic]
