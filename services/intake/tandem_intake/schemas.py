"""HTTP request and response bodies. Requests forbid unknown fields, so typos are caught."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, StringConstraints

from tandem_shared.events.vocabulary import Code, FocusArea, Gender, ProgrammeType, Role
from tandem_shared.service import Body

from .domain import ApplicationStatus

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()\-]{6,20}$")]


# -- partners ----------------------------------------------------------------------------
class PartnerIn(Body):
    slug: Code
    name: Text = Field(description="The organisation's name.")
    kind: Literal["charity", "funder"]


class PartnerOut(BaseModel):
    partner_id: uuid.UUID
    slug: str
    name: str
    kind: str
    created_at: datetime


class PartnerCreated(PartnerOut):
    api_key: str = Field(description="Shown only once: store it now.")


# -- programmes and cohorts --------------------------------------------------------------
class PartnershipIn(Body):
    school_id: Code
    employer_ids: list[Code] = Field(min_length=1, max_length=50)


class ProgrammeIn(Body):
    partner_id: uuid.UUID | None = Field(
        default=None, description="Required for the operator; a coordinator's key decides it."
    )
    slug: Code
    name: Text
    programme_type: ProgrammeType
    duration_weeks: int = Field(ge=1, le=156)
    target_meetings: int = Field(ge=1, le=200)
    required_training_hours: float = Field(ge=0, le=200)
    at_risk_after_weeks: int = Field(default=4, ge=1, le=52)
    focus_areas: list[FocusArea] = Field(min_length=1, max_length=10)
    matching_weights: dict[Code, Annotated[float, Field(ge=0, le=100)]] = Field(
        default_factory=dict, max_length=20
    )
    partnerships: list[PartnershipIn] = Field(default_factory=list, max_length=200)
    competencies: list[Code] = Field(default_factory=list, max_length=30)


class ProgrammeOut(BaseModel):
    programme_id: uuid.UUID
    partner_id: uuid.UUID
    slug: str
    name: str
    programme_type: str
    duration_weeks: int
    target_meetings: int
    required_training_hours: float
    at_risk_after_weeks: int
    focus_areas: list[str]
    matching_weights: dict[str, float]
    partnerships: list[dict[str, Any]]
    competencies: list[str]
    created_at: datetime


class CohortIn(Body):
    programme_id: uuid.UUID
    slug: Code
    applications_open: date
    starts_on: date
    ends_on: date


class CohortOut(BaseModel):
    cohort_id: uuid.UUID
    programme_id: uuid.UUID
    partner_id: uuid.UUID
    slug: str
    applications_open: date
    starts_on: date
    ends_on: date


# -- applications and referrals ----------------------------------------------------------
class CandidateIn(Body):
    """An application (mentor) or referral (mentee): personal data plus coarse attributes."""

    cohort_id: uuid.UUID
    participant_id: uuid.UUID | None = Field(
        default=None, description="Link a returning person (e.g. an alumna becoming a mentor)."
    )
    # Personal data: stored encrypted, never in events.
    full_name: Text
    email: Email
    phone: Phone | None = None
    date_of_birth: date
    # Special-category data: encrypted separately, shown only on the single-application view.
    immigration_status: Text | None = None
    health_needs: LongText | None = None
    special_educational_needs: LongText | None = None
    notes: LongText | None = None
    # Coarse matching attributes: codes only.
    area: Code | None = Field(default=None, description="Borough or district code.")
    travel_radius_km: float = Field(default=10, ge=0, le=500)
    online_ok: bool = True
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
    conflict_participant_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)

    PERSONAL: ClassVar[tuple[str, ...]] = ("full_name", "email", "phone", "date_of_birth", "notes")
    SPECIAL: ClassVar[tuple[str, ...]] = (
        "immigration_status",
        "health_needs",
        "special_educational_needs",
    )
    PROFILE: ClassVar[tuple[str, ...]] = (
        "area",
        "travel_radius_km",
        "online_ok",
        "gender",
        "skills",
        "interests",
        "languages",
        "availability",
        "focus_area",
        "goals",
        "preferred_mentor_gender",
        "school_id",
        "employer_id",
        "capacity",
        "conflict_participant_ids",
    )

    def personal(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=set(self.PERSONAL))

    def special(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=set(self.SPECIAL))

    def profile(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=set(self.PROFILE))


class AcceptIn(Body):
    checks_passed: bool = Field(description="Safe-recruitment checks (e.g. DBS) done and clear.")


class DeclineIn(Body):
    reason_code: Code


class ApplicationSummary(BaseModel):
    application_id: uuid.UUID
    participant_id: uuid.UUID
    programme_id: uuid.UUID
    cohort_id: uuid.UUID
    role: Role
    route: str
    status: ApplicationStatus
    created_at: datetime
    decided_at: datetime | None = None


class ApplicationListItem(ApplicationSummary):
    full_name: str | None = Field(description="None once the participant was erased.")


class ApplicationPage(BaseModel):
    items: list[ApplicationListItem]
    limit: int
    offset: int
    total: int


class ApplicationDetail(ApplicationSummary):
    partner_id: uuid.UUID
    checks_passed: bool | None
    decline_reason: str | None
    profile: dict[str, Any]
    erased: bool
    personal_data: dict[str, Any] | None
    special_category: dict[str, Any] | None


class ErasureOut(BaseModel):
    participant_id: uuid.UUID
    erased_at: datetime
    applications_blanked: int
