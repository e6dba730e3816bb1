"""Closed vocabularies shared by the payloads. Extending one is an additive change."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


class IntakeRoute(StrEnum):
    APPLICATION = "application"  # mentors apply
    REFERRAL = "referral"  # mentees are referred, usually by another charity


class ProgrammeType(StrEnum):
    REFUGEE_WOMEN = "refugee_women"
    SCHOOLS = "schools"
    REVERSE = "reverse_mentoring"
    OTHER = "other"


class FocusArea(StrEnum):
    EMPLOYMENT = "employment"
    VOLUNTEERING = "volunteering"
    EDUCATION = "education"
    NEW_SKILLS = "new_skills"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    UNDISCLOSED = "undisclosed"


class AgeBand(StrEnum):
    UNDER_16 = "under_16"
    AGE_16_17 = "16_17"
    AGE_18_24 = "18_24"
    AGE_25_34 = "25_34"
    AGE_35_44 = "35_44"
    AGE_45_54 = "45_54"
    AGE_55_64 = "55_64"
    AGE_65_PLUS = "65_plus"


class MeetingMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    WORKPLACE_VISIT = "workplace_visit"


class ClosureKind(StrEnum):
    COMPLETED = "completed"  # planned closure
    ENDED_EARLY = "ended_early"  # unplanned; a reason code is recorded


class SurveyKind(StrEnum):
    BASELINE = "baseline"
    EXIT = "exit"


class OutcomeKind(StrEnum):
    JOB = "job"
    COURSE = "course"
    VOLUNTEERING = "volunteering"
    BUSINESS = "business"
    NONE = "none"


class CostCategory(StrEnum):
    COURSE_FEES = "course_fees"
    RESOURCES = "resources"
    CHILDCARE = "childcare"
    TRAVEL = "travel"
    OTHER_ACCESS = "other_access"


# A lower-case code such as a skill, interest, area or reason: never free text.
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]
Pence = Annotated[int, Field(ge=0, description="Money in pence (GBP).")]
Likert = Annotated[int, Field(ge=1, le=5)]
