"""Events produced by intake: partners, programmes, cohorts and applications."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from pydantic import Field

from .envelope import EventPayload, PayloadPart
from .topics import APPLICATIONS, PARTNERS, PROGRAMMES
from .vocabulary import (
    AgeBand,
    Code,
    FocusArea,
    Gender,
    IntakeRoute,
    ProgrammeType,
    Role,
)


class PartnerRegistered(EventPayload):
    """An operator registered a partner charity or a funder (an organisation, not a person)."""

    event_type: ClassVar[str] = "partner.registered"
    topic: ClassVar[str] = PARTNERS.name

    partner_id: uuid.UUID
    slug: Code = Field(description="Short stable label, used in metrics.")
    kind: Code = Field(description="`charity` or `funder`.")
    api_key_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the partner's API key, so every service can authenticate it.",
    )


class SchoolEmployerPartnership(PayloadPart):
    school_id: Code
    employer_ids: list[Code] = Field(min_length=1)


class ProgrammeCreated(EventPayload):
    """A partner's programme and the rules its services apply."""

    event_type: ClassVar[str] = "programme.created"
    topic: ClassVar[str] = PROGRAMMES.name

    programme_id: uuid.UUID
    slug: Code
    programme_type: ProgrammeType
    duration_weeks: int = Field(ge=1, le=156)
    target_meetings: int = Field(ge=1, le=200)
    required_training_hours: float = Field(ge=0, le=200)
    at_risk_after_weeks: int = Field(default=4, ge=1, le=52)
    focus_areas: list[FocusArea]
    matching_weights: dict[Code, float] = Field(
        default_factory=dict, description="Factor name → weight; the matcher normalises."
    )
    partnerships: list[SchoolEmployerPartnership] = Field(default_factory=list)
    competencies: list[Code] = Field(
        default_factory=list, description="Progress framework, e.g. 7 employability skills."
    )


class CohortOpened(EventPayload):
    event_type: ClassVar[str] = "cohort.opened"
    topic: ClassVar[str] = PROGRAMMES.name

    cohort_id: uuid.UUID
    programme_id: uuid.UUID
    slug: Code
    applications_open: date
    starts_on: date
    ends_on: date


class ApplicationSubmitted(EventPayload):
    """A mentor applied or a mentee was referred. Personal data stays in intake."""

    event_type: ClassVar[str] = "application.submitted"
    topic: ClassVar[str] = APPLICATIONS.name

    application_id: uuid.UUID
    participant_id: uuid.UUID
    role: Role
    route: IntakeRoute


class MatchingProfile(PayloadPart):
    """Coarse attributes the matcher needs; nothing that identifies a person on its own."""

    area: Code | None = Field(default=None, description="Borough or district code.")
    travel_radius_km: float = Field(default=10, ge=0, le=500)
    online_ok: bool = True
    age_band: AgeBand | None = None
    gender: Gender = Gender.UNDISCLOSED
    skills: list[Code] = Field(default_factory=list, max_length=50)
    interests: list[Code] = Field(default_factory=list, max_length=50)
    languages: list[Code] = Field(default_factory=list, max_length=20)
    availability: list[Code] = Field(default_factory=list, max_length=21)
    focus_area: FocusArea | None = None
    goals: list[Code] = Field(default_factory=list, max_length=20)
    preferred_mentor_gender: Gender | None = None
    school_id: Code | None = None
    employer_id: Code | None = None
    capacity: int = Field(default=1, ge=1, le=10)
    checks_passed: bool = False
    conflict_participant_ids: list[uuid.UUID] = Field(default_factory=list)


class ApplicationAccepted(EventPayload):
    event_type: ClassVar[str] = "application.accepted"
    topic: ClassVar[str] = APPLICATIONS.name

    application_id: uuid.UUID
    participant_id: uuid.UUID
    role: Role
    profile: MatchingProfile


class ApplicationWaitlisted(EventPayload):
    event_type: ClassVar[str] = "application.waitlisted"
    topic: ClassVar[str] = APPLICATIONS.name

    application_id: uuid.UUID
    participant_id: uuid.UUID
    role: Role


class ApplicationDeclined(EventPayload):
    event_type: ClassVar[str] = "application.declined"
    topic: ClassVar[str] = APPLICATIONS.name

    application_id: uuid.UUID
    participant_id: uuid.UUID
    role: Role
    reason_code: Code


class ApplicationWithdrawn(EventPayload):
    event_type: ClassVar[str] = "application.withdrawn"
    topic: ClassVar[str] = APPLICATIONS.name

    application_id: uuid.UUID
    participant_id: uuid.UUID
    role: Role


class ParticipantErased(EventPayload):
    """Right to erasure: consumers delete what they hold; intake destroyed her key."""

    event_type: ClassVar[str] = "participant.erased"
    topic: ClassVar[str] = APPLICATIONS.name

    participant_id: uuid.UUID
