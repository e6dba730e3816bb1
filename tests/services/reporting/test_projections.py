"""Projection handlers against a real (SQLite) database, no broker: ordering and counting."""

from __future__ import annotations

import uuid
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from tandem_reporting import domain as d
from tandem_reporting.handlers import HANDLERS
from tandem_reporting.models import NIL, Base, Counter, MatchState, SurveyPair
from tandem_shared.db import session_factory
from tandem_shared.events import parse_payload
from tandem_shared.events.intake import ApplicationAccepted, MatchingProfile, ParticipantErased
from tandem_shared.events.matching import MatchMade
from tandem_shared.events.sessions import SessionLogged, SurveySubmitted
from tandem_shared.testing.events import envelope

PARTNER, PROGRAMME, COHORT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.fixture
async def sessions(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


async def handle(sessions, env) -> None:
    async with sessions() as session:
        await HANDLERS[env.event_type](SimpleNamespace(session=session), env, parse_payload(env))
        await session.commit()


async def counters(sessions) -> dict:
    async with sessions() as session:
        rows = (await session.execute(select(Counter))).scalars().all()
    return {(r.programme_id, r.cohort_id, r.metric, r.dim): r.value for r in rows if r.value}


def ev(payload, subject, *, bare=False):
    return envelope(
        payload,
        partner_id=PARTNER,
        subject_id=subject,
        programme_id=None if bare else PROGRAMME,
        cohort_id=None if bare else COHORT,
    )


def session_logged(match, n):
    return SessionLogged(
        session_id=uuid.uuid4(),
        match_id=match,
        met_on=date(2026, 10, n),
        duration_minutes=45,
        mode="online",
        meeting_number=n,
    )


async def test_meetings_logged_before_the_match_is_made_move_to_its_cohort(sessions):
    match, mentee, mentor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await handle(sessions, ev(session_logged(match, 1), match, bare=True))
    await handle(sessions, ev(session_logged(match, 2), match, bare=True))
    assert await counters(sessions) == {(NIL, NIL, d.MEETINGS, ""): 2}
    made = MatchMade(match_id=match, mentee_id=mentee, mentor_id=mentor, score=0.5, days_waited=9)
    await handle(sessions, ev(made, match))
    await handle(sessions, ev(session_logged(match, 3), match, bare=True))
    assert await counters(sessions) == {
        (PROGRAMME, COHORT, d.MEETINGS, ""): 3,
        (PROGRAMME, COHORT, d.MATCHES_MADE, ""): 1,
        (PROGRAMME, COHORT, d.MENTEES_MATCHED, ""): 1,
        (PROGRAMME, COHORT, d.DAYS_TO_MATCH, ""): 9,
    }


async def test_decisions_count_once_per_application_and_a_rematch_is_one_mentee(sessions):
    pid, app = uuid.uuid4(), uuid.uuid4()
    acc = ApplicationAccepted(
        application_id=app, participant_id=pid, role="mentee", profile=MatchingProfile()
    )
    await handle(sessions, ev(acc, pid))
    await handle(sessions, ev(acc, pid))  # a second acceptance event (not a redelivery)
    mentor = uuid.uuid4()
    for days in (5, 15):  # matched, ended, matched again
        made = MatchMade(
            match_id=uuid.uuid4(), mentee_id=pid, mentor_id=mentor, score=0.5, days_waited=days
        )
        await handle(sessions, ev(made, made.match_id))
    got = await counters(sessions)
    assert got[(PROGRAMME, COHORT, d.ACCEPTED, "mentee")] == 1
    assert got[(PROGRAMME, COHORT, d.MATCHES_MADE, "")] == 2
    assert got[(PROGRAMME, COHORT, d.MENTEES_MATCHED, "")] == 1
    figures = d.build_figures({(m, dim): v for (_, _, m, dim), v in got.items()})
    assert figures["matched_share"] == 1.0
    assert figures["mean_days_to_match"] == 10.0


async def test_resubmitted_exit_survey_replaces_the_earlier_one(sessions):
    match, mentee = uuid.uuid4(), uuid.uuid4()

    def survey(kind, score):
        return ev(
            SurveySubmitted(
                survey_id=uuid.uuid4(),
                match_id=match,
                participant_id=mentee,
                respondent_role="mentee",
                kind=kind,
                scores={"networks": score},
            ),
            match,
        )

    await handle(sessions, survey("baseline", 2))
    await handle(sessions, survey("exit", 4))
    key = (PROGRAMME, COHORT)
    assert (await counters(sessions))[(*key, d.SURVEY_IMPROVED, "mentee.networks")] == 1
    await handle(sessions, survey("exit", 2))  # corrected: no improvement after all
    got = await counters(sessions)
    assert got[(*key, d.SURVEY_PAIRS, "mentee.networks")] == 1
    assert (*key, d.SURVEY_IMPROVED, "mentee.networks") not in got

    # Erasure removes her id from the state tables; the aggregate stays.
    await handle(sessions, ev(ParticipantErased(participant_id=mentee), mentee, bare=True))
    async with sessions() as session:
        assert (await session.execute(select(SurveyPair))).first() is None
        assert all(m.mentee_id != mentee for m in (await session.scalars(select(MatchState))))
    assert (await counters(sessions))[(*key, d.SURVEY_PAIRS, "mentee.networks")] == 1
