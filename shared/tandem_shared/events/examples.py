"""One realistic example per event type: used by the docs, the schema tests and the benchmarks."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

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
    MatchingProfile,
    ParticipantErased,
    PartnerRegistered,
    ProgrammeCreated,
    SchoolEmployerPartnership,
)
from .matching import FactorContribution, MatchEnded, MatchMade, MatchProposed, MatchRejected
from .sessions import (
    MatchAtRisk,
    MatchClosed,
    MentorTrainingCompleted,
    OutcomeRecorded,
    SessionLogged,
    SurveySubmitted,
)
from .vocabulary import (
    AgeBand,
    ClosureKind,
    CostCategory,
    FocusArea,
    Gender,
    IntakeRoute,
    MeetingMode,
    OutcomeKind,
    ProgrammeType,
    Role,
    SurveyKind,
)

# Fixed ids so the generated docs are stable between runs.
PARTNER = uuid.UUID("00000000-0000-4000-8000-00000000000a")
PROGRAMME = uuid.UUID("00000000-0000-4000-8000-00000000000b")
COHORT = uuid.UUID("00000000-0000-4000-8000-00000000000c")
MENTEE = uuid.UUID("00000000-0000-4000-8000-000000000001")
MENTOR = uuid.UUID("00000000-0000-4000-8000-000000000002")
APPLICATION = uuid.UUID("00000000-0000-4000-8000-000000000003")
MATCH = uuid.UUID("00000000-0000-4000-8000-000000000004")
FUND = uuid.UUID("00000000-0000-4000-8000-000000000005")
BURSARY = uuid.UUID("00000000-0000-4000-8000-000000000006")
OTHER = uuid.UUID("00000000-0000-4000-8000-000000000007")

_breakdown = {CostCategory.COURSE_FEES: 320000, CostCategory.CHILDCARE: 80000}

EXAMPLE_PAYLOADS: tuple[EventPayload, ...] = (
    PartnerRegistered(
        partner_id=PARTNER, slug="refugee-women-london", kind="charity", api_key_sha256="0" * 64
    ),
    ProgrammeCreated(
        programme_id=PROGRAMME,
        slug="mentoring-2026",
        programme_type=ProgrammeType.REFUGEE_WOMEN,
        duration_weeks=17,
        target_meetings=10,
        required_training_hours=10,
        focus_areas=list(FocusArea),
        matching_weights={"location": 0.3, "age": 0.1, "skills": 0.3, "interests": 0.3},
        partnerships=[SchoolEmployerPartnership(school_id="school-a", employer_ids=["bank-x"])],
        competencies=["communication", "teamwork"],
    ),
    CohortOpened(
        cohort_id=COHORT,
        programme_id=PROGRAMME,
        slug="oct-2026",
        applications_open=date(2026, 8, 5),
        starts_on=date(2026, 10, 1),
        ends_on=date(2027, 2, 28),
    ),
    ApplicationSubmitted(
        application_id=APPLICATION,
        participant_id=MENTEE,
        role=Role.MENTEE,
        route=IntakeRoute.REFERRAL,
    ),
    ApplicationAccepted(
        application_id=APPLICATION,
        participant_id=MENTEE,
        role=Role.MENTEE,
        profile=MatchingProfile(
            area="hackney",
            age_band=AgeBand.AGE_25_34,
            gender=Gender.FEMALE,
            skills=["english"],
            interests=["cooking", "football"],
            languages=["en", "ar"],
            availability=["tue_eve", "sat_am"],
            focus_area=FocusArea.EMPLOYMENT,
            goals=["cv_writing", "interviews"],
            preferred_mentor_gender=Gender.FEMALE,
            checks_passed=True,
        ),
    ),
    ApplicationWaitlisted(application_id=APPLICATION, participant_id=MENTEE, role=Role.MENTEE),
    ApplicationDeclined(
        application_id=APPLICATION,
        participant_id=MENTEE,
        role=Role.MENTEE,
        reason_code="not_eligible",
    ),
    ApplicationWithdrawn(application_id=APPLICATION, participant_id=MENTEE, role=Role.MENTEE),
    ParticipantErased(participant_id=MENTEE),
    MentorTrainingCompleted(
        participant_id=MENTOR,
        hours_completed=10.5,
        required_hours=10,
        completed_on=date(2026, 9, 20),
    ),
    SessionLogged(
        session_id=OTHER,
        match_id=MATCH,
        met_on=date(2026, 10, 14),
        duration_minutes=60,
        mode=MeetingMode.IN_PERSON,
        topics=["cv_writing"],
        competencies=["communication"],
        meeting_number=1,
    ),
    MatchAtRisk(match_id=MATCH, last_met_on=date(2026, 10, 14), weeks_without_meeting=5),
    MatchClosed(
        match_id=MATCH,
        mentee_id=MENTEE,
        mentor_id=MENTOR,
        closure=ClosureKind.COMPLETED,
        closed_on=date(2027, 2, 10),
        meetings_held=10,
    ),
    SurveySubmitted(
        survey_id=OTHER,
        match_id=MATCH,
        participant_id=MENTEE,
        respondent_role=Role.MENTEE,
        kind=SurveyKind.EXIT,
        scores={"skills_knowledge": 4, "self_confidence": 5, "networks": 4},
    ),
    OutcomeRecorded(
        outcome_id=OTHER,
        match_id=MATCH,
        participant_id=MENTEE,
        months_after_completion=6,
        outcomes=[OutcomeKind.COURSE],
    ),
    MatchProposed(
        match_id=MATCH,
        run_id=OTHER,
        mentee_id=MENTEE,
        mentor_id=MENTOR,
        score=0.82,
        factors=[
            FactorContribution(factor="location", value=0.9, weight=0.3, contribution=0.27),
            FactorContribution(factor="skills", value=0.7, weight=0.3, contribution=0.21),
        ],
    ),
    MatchMade(match_id=MATCH, mentee_id=MENTEE, mentor_id=MENTOR, score=0.82, days_waited=21),
    MatchRejected(match_id=MATCH, mentee_id=MENTEE, mentor_id=MENTOR, reason_code="schedule_clash"),
    MatchEnded(match_id=MATCH, mentee_id=MENTEE, mentor_id=MENTOR, reason_code="withdrew"),
    FundCreated(
        fund_id=FUND, slug="vocational-2026", budget_pence=5_500_000, award_cap_pence=500_000
    ),
    BursaryApplied(
        bursary_application_id=BURSARY,
        fund_id=FUND,
        participant_id=MENTEE,
        course_type="vocational",
        requested_pence=_breakdown,
        programme_mentee=True,
    ),
    BursaryInterviewScheduled(
        bursary_application_id=BURSARY,
        fund_id=FUND,
        scheduled_for=datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        guaranteed=True,
    ),
    BursaryAwarded(
        bursary_application_id=BURSARY,
        fund_id=FUND,
        participant_id=MENTEE,
        amount_pence=400_000,
        by_category=_breakdown,
        start_by=date(2027, 12, 1),
        fund_remaining_pence=5_100_000,
    ),
    BursaryDeclined(bursary_application_id=BURSARY, fund_id=FUND, reason_code="over_budget"),
    BursaryPaid(
        bursary_application_id=BURSARY,
        fund_id=FUND,
        payment_id=OTHER,
        category=CostCategory.COURSE_FEES,
        amount_pence=320_000,
    ),
    BursaryLapsed(
        bursary_application_id=BURSARY,
        fund_id=FUND,
        returned_pence=80_000,
        fund_remaining_pence=5_180_000,
    ),
)

EXAMPLES: dict[str, EventPayload] = {p.event_type: p for p in EXAMPLE_PAYLOADS}


def example_envelope(event_type: str) -> EventEnvelope:
    payload = EXAMPLES[event_type]
    return EventEnvelope.wrap(
        payload,
        producer=payload.topic.split(".")[1],
        partner_id=PARTNER,
        programme_id=PROGRAMME,
        cohort_id=COHORT,
        subject_id=MENTEE,
        occurred_at=datetime(2026, 10, 14, 9, 30, tzinfo=UTC),
    )
