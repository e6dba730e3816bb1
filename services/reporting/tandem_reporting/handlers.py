"""Projections: each handler updates the read model in the consumer's unit of work.

The kit's inbox runs each event's handler once (redelivery is skipped), so a counter update
here is exactly-once. State tables make each figure count its subject once (an application,
a mentee, a survey pair), whatever order events arrive in. Handlers never raise on unknown
subjects: they count what they can.
"""

from __future__ import annotations

from sqlalchemy import delete, update

from tandem_shared.events import EventEnvelope
from tandem_shared.events.bursaries import (
    BursaryApplied,
    BursaryAwarded,
    BursaryDeclined,
    BursaryLapsed,
    BursaryPaid,
    FundCreated,
)
from tandem_shared.events.intake import (
    ApplicationSubmitted,
    CohortOpened,
    ParticipantErased,
    PartnerRegistered,
    ProgrammeCreated,
)
from tandem_shared.events.matching import MatchEnded, MatchMade, MatchProposed, MatchRejected
from tandem_shared.events.sessions import (
    MatchAtRisk,
    MatchClosed,
    MentorTrainingCompleted,
    OutcomeRecorded,
    SessionLogged,
    SurveySubmitted,
)
from tandem_shared.messaging import UnitOfWork

from . import domain as d
from .models import (
    ApplicationState,
    CohortLabel,
    Fund,
    MatchedMentee,
    OutcomeState,
    PartnerLabel,
    ProgrammeLabel,
    SurveyPair,
    TrainedMentor,
)
from .store import (
    MATCHES,
    bump,
    get_row,
    insert_row,
    key_of,
    match_bump,
    settle_match,
    update_row,
    upsert_row,
)

APPLICATIONS = ApplicationState.__table__
SURVEYS = SurveyPair.__table__
OUTCOMES = OutcomeState.__table__
FUNDS = Fund.__table__


# --- labels ----------------------------------------------------------------------------------
async def on_partner_registered(uow: UnitOfWork, env: EventEnvelope, p: PartnerRegistered):
    await upsert_row(
        uow.session, PartnerLabel.__table__, {"partner_id": p.partner_id}, slug=p.slug, kind=p.kind
    )


async def on_programme_created(uow: UnitOfWork, env: EventEnvelope, p: ProgrammeCreated):
    await upsert_row(
        uow.session,
        ProgrammeLabel.__table__,
        {"programme_id": p.programme_id},
        partner_id=env.partner_id,
        slug=p.slug,
    )


async def on_cohort_opened(uow: UnitOfWork, env: EventEnvelope, p: CohortOpened):
    await upsert_row(
        uow.session,
        CohortLabel.__table__,
        {"cohort_id": p.cohort_id},
        partner_id=env.partner_id,
        programme_id=p.programme_id,
        slug=p.slug,
    )


# --- intake ----------------------------------------------------------------------------------
async def _first_time(uow: UnitOfWork, application_id, kind: str) -> bool:
    """Record that this application had `kind`; True if it had not before."""
    row = await get_row(uow.session, APPLICATIONS, application_id=application_id)
    if row is None:
        await insert_row(uow.session, APPLICATIONS, application_id=application_id, seen=[kind])
        return True
    if kind in row.seen:
        return False
    await update_row(
        uow.session, APPLICATIONS, {"application_id": application_id}, seen=[*row.seen, kind]
    )
    return True


async def on_application_submitted(uow: UnitOfWork, env: EventEnvelope, p: ApplicationSubmitted):
    if await _first_time(uow, p.application_id, env.event_type):
        key = key_of(env)
        await bump(uow.session, key, d.APPLICATIONS, p.role.value)
        await bump(uow.session, key, d.APPLICATION_ROUTES, p.route.value)


async def on_application_decision(uow: UnitOfWork, env: EventEnvelope, p) -> None:
    """accepted / declined / waitlisted / withdrawn: each counted once per application."""
    if await _first_time(uow, p.application_id, env.event_type):
        await bump(uow.session, key_of(env), d.DECISION_METRICS[env.event_type], p.role.value)


async def on_participant_erased(uow: UnitOfWork, env: EventEnvelope, p: ParticipantErased):
    """Drop her opaque id from the state tables; the aggregate counts stay as they are."""
    s, pid = uow.session, p.participant_id
    for model in (TrainedMentor, MatchedMentee, SurveyPair, OutcomeState):
        await s.execute(delete(model.__table__).where(model.__table__.c.participant_id == pid))
    await s.execute(update(MATCHES).where(MATCHES.c.mentee_id == pid).values(mentee_id=None))


# --- training and matching ----------------------------------------------------------------
async def on_training_completed(uow: UnitOfWork, env: EventEnvelope, p: MentorTrainingCompleted):
    table = TrainedMentor.__table__
    if await get_row(uow.session, table, participant_id=p.participant_id) is None:
        await insert_row(uow.session, table, participant_id=p.participant_id)
        await bump(uow.session, key_of(env), d.MENTORS_TRAINED)


async def on_match_proposed(uow: UnitOfWork, env: EventEnvelope, p: MatchProposed):
    await bump(uow.session, key_of(env), d.MATCHES_PROPOSED)


async def on_match_rejected(uow: UnitOfWork, env: EventEnvelope, p: MatchRejected):
    await bump(uow.session, key_of(env), d.MATCHES_REJECTED)


async def on_match_made(uow: UnitOfWork, env: EventEnvelope, p: MatchMade):
    s, key = uow.session, key_of(env)
    if not await settle_match(s, p.match_id, key, mentee_id=p.mentee_id):
        return
    await bump(s, key, d.MATCHES_MADE)
    await bump(s, key, d.DAYS_TO_MATCH, by=p.days_waited)
    mentees = MatchedMentee.__table__
    if await get_row(s, mentees, participant_id=p.mentee_id) is None:
        await insert_row(s, mentees, participant_id=p.mentee_id)
        await bump(s, key, d.MENTEES_MATCHED)


async def _end_match(uow: UnitOfWork, env: EventEnvelope, match_id, how: str) -> bool:
    """Mark how a match ended; False if its ending was already counted."""
    s = uow.session
    row = await get_row(s, MATCHES, match_id=match_id)
    if row is not None and row.ended:
        return False
    if row is None:
        key = key_of(env)
        await insert_row(
            s,
            MATCHES,
            match_id=match_id,
            partner_id=key[0],
            programme_id=key[1],
            cohort_id=key[2],
            made=False,
            ended=how,
            provisional=env.programme_id is None and env.cohort_id is None,
            pending={},
        )
    else:
        await update_row(s, MATCHES, {"match_id": match_id}, ended=how)
    return True


async def on_match_ended(uow: UnitOfWork, env: EventEnvelope, p: MatchEnded):
    if await _end_match(uow, env, p.match_id, "unwound"):
        await match_bump(uow.session, env, p.match_id, d.MATCHES_UNWOUND)


# --- relationships ------------------------------------------------------------------------
async def on_session_logged(uow: UnitOfWork, env: EventEnvelope, p: SessionLogged):
    await match_bump(uow.session, env, p.match_id, d.MEETINGS)


async def on_match_at_risk(uow: UnitOfWork, env: EventEnvelope, p: MatchAtRisk):
    await match_bump(uow.session, env, p.match_id, d.MATCHES_AT_RISK)


async def on_match_closed(uow: UnitOfWork, env: EventEnvelope, p: MatchClosed):
    if await _end_match(uow, env, p.match_id, p.closure.value):
        metric = d.MATCHES_COMPLETED if p.closure.value == "completed" else d.MATCHES_ENDED_EARLY
        await match_bump(uow.session, env, p.match_id, metric)


async def on_survey_submitted(uow: UnitOfWork, env: EventEnvelope, p: SurveySubmitted):
    s = uow.session
    pk = {"participant_id": p.participant_id, "match_id": p.match_id}
    row = await get_row(s, SURVEYS, **pk)
    scores = dict(p.scores)
    baseline = row.baseline if row is not None else None
    exit_ = row.exit if row is not None else None
    before = dict(row.counted) if row is not None else {}
    if p.kind.value == "baseline":
        baseline = scores
    else:
        exit_ = scores
    after = d.improvements(baseline, exit_)
    values = dict(baseline=baseline, exit=exit_, counted=after)
    if row is None:
        await insert_row(s, SURVEYS, **pk, role=p.respondent_role.value, **values)
    else:
        await update_row(s, SURVEYS, pk, **values)
    role = row.role if row is not None else p.respondent_role.value
    for (metric, dim), by in sorted(d.improvement_deltas(role, before, after).items()):
        await match_bump(s, env, p.match_id, metric, dim, by)


async def on_outcome_recorded(uow: UnitOfWork, env: EventEnvelope, p: OutcomeRecorded):
    followed, job_or_course = d.outcome_counts(
        p.months_after_completion, [o.value for o in p.outcomes]
    )
    if not followed:
        return
    s = uow.session
    pk = {"participant_id": p.participant_id, "match_id": p.match_id}
    row = await get_row(s, OUTCOMES, **pk)
    if row is None:
        await insert_row(s, OUTCOMES, **pk, followed_up=True, job_or_course=job_or_course)
        await match_bump(s, env, p.match_id, d.FOLLOWED_UP_6M)
        if job_or_course:
            await match_bump(s, env, p.match_id, d.JOB_OR_COURSE_6M)
    elif job_or_course and not row.job_or_course:
        await update_row(s, OUTCOMES, pk, job_or_course=True)
        await match_bump(s, env, p.match_id, d.JOB_OR_COURSE_6M)


# --- bursaries (the envelope carries the mentee's partner) ---------------------------------
async def on_fund_created(uow: UnitOfWork, env: EventEnvelope, p: FundCreated):
    await upsert_row(
        uow.session,
        FUNDS,
        {"fund_id": p.fund_id},
        partner_id=env.partner_id,
        slug=p.slug,
        budget_pence=p.budget_pence,
        remaining_pence=p.budget_pence,
    )


async def _fund_remaining(uow: UnitOfWork, fund_id, remaining: int) -> None:
    if await get_row(uow.session, FUNDS, fund_id=fund_id) is None:
        await insert_row(uow.session, FUNDS, fund_id=fund_id, remaining_pence=remaining)
    else:
        await update_row(uow.session, FUNDS, {"fund_id": fund_id}, remaining_pence=remaining)


async def on_bursary_applied(uow: UnitOfWork, env: EventEnvelope, p: BursaryApplied):
    await bump(uow.session, key_of(env), d.BURSARIES_APPLIED)


async def on_bursary_awarded(uow: UnitOfWork, env: EventEnvelope, p: BursaryAwarded):
    key = key_of(env)
    await bump(uow.session, key, d.BURSARIES_AWARDED)
    await bump(uow.session, key, d.BURSARY_AWARDED_PENCE, by=p.amount_pence)
    await _fund_remaining(uow, p.fund_id, p.fund_remaining_pence)


async def on_bursary_declined(uow: UnitOfWork, env: EventEnvelope, p: BursaryDeclined):
    await bump(uow.session, key_of(env), d.BURSARIES_DECLINED)


async def on_bursary_paid(uow: UnitOfWork, env: EventEnvelope, p: BursaryPaid):
    key = key_of(env)
    await bump(uow.session, key, d.BURSARY_PAYMENTS, p.category.value)
    await bump(uow.session, key, d.BURSARY_PAID_PENCE, p.category.value, by=p.amount_pence)


async def on_bursary_lapsed(uow: UnitOfWork, env: EventEnvelope, p: BursaryLapsed):
    key = key_of(env)
    await bump(uow.session, key, d.BURSARIES_LAPSED)
    await bump(uow.session, key, d.BURSARY_RETURNED_PENCE, by=p.returned_pence)
    await _fund_remaining(uow, p.fund_id, p.fund_remaining_pence)


HANDLERS = {
    "partner.registered": on_partner_registered,
    "programme.created": on_programme_created,
    "cohort.opened": on_cohort_opened,
    "application.submitted": on_application_submitted,
    "application.accepted": on_application_decision,
    "application.declined": on_application_decision,
    "application.waitlisted": on_application_decision,
    "application.withdrawn": on_application_decision,
    "participant.erased": on_participant_erased,
    "mentor.training_completed": on_training_completed,
    "match.proposed": on_match_proposed,
    "match.made": on_match_made,
    "match.rejected": on_match_rejected,
    "match.ended": on_match_ended,
    "session.logged": on_session_logged,
    "match.at_risk": on_match_at_risk,
    "match.closed": on_match_closed,
    "survey.submitted": on_survey_submitted,
    "outcome.recorded": on_outcome_recorded,
    "fund.created": on_fund_created,
    "bursary.applied": on_bursary_applied,
    "bursary.awarded": on_bursary_awarded,
    "bursary.declined": on_bursary_declined,
    "bursary.paid": on_bursary_paid,
    "bursary.lapsed": on_bursary_lapsed,
}
