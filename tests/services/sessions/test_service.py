"""Sessions through the real broker and database: app lifespan + httpx ASGI transport.

One service instance (fresh database) per module; every test uses its own partners, so
events of other tests on the shared registry topics never confuse the assertions.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from sqlalchemy import func, select

from tandem_sessions.bootstrap import create_app
from tandem_sessions.models import TrainingRecord
from tandem_sessions.settings import SessionsSettings
from tandem_shared.db import utcnow
from tandem_shared.events.intake import (
    ApplicationAccepted,
    MatchingProfile,
    ParticipantErased,
    ProgrammeCreated,
)
from tandem_shared.events.matching import MatchMade
from tandem_shared.events.topics import RELATIONSHIPS, TRAINING
from tandem_shared.events.vocabulary import Role
from tandem_shared.testing.apps import OPERATOR_KEY, ServiceUnderTest, service_under_test
from tandem_shared.testing.events import outbox_drained, topic_events, wait_until
from tandem_shared.testing.plugin import settings_for_tests


@pytest_asyncio.fixture(scope="module")
async def service(kafka_bootstrap, throwaway_databases):
    settings = settings_for_tests(
        "sessions",
        throwaway_databases.create("sessions"),
        kafka_bootstrap,
        settings_class=SessionsSettings,
        operator_key=OPERATOR_KEY,
    )
    async with service_under_test(create_app(settings), kafka_bootstrap, Service) as service:
        yield service


class Service(ServiceUnderTest):
    async def partner(self) -> tuple[uuid.UUID, dict[str, str]]:
        """A registered partner whose key the service already accepts."""
        return await self.known_partner("/matches")

    async def programme(self, partner_id, **overrides) -> uuid.UUID:
        values = dict(
            programme_id=uuid.uuid4(),
            slug="mentoring-2026",
            programme_type="refugee_women",
            duration_weeks=17,
            target_meetings=10,
            required_training_hours=10.0,
            at_risk_after_weeks=4,
            focus_areas=["employment"],
            competencies=["communication", "teamwork"],
        )
        values.update(overrides)
        event = ProgrammeCreated(**values)
        await self.feeder.publish(
            event, partner_id=partner_id, subject_id=event.programme_id, producer="intake"
        )
        return event.programme_id

    async def accepted(self, partner_id, programme_id, role: Role) -> uuid.UUID:
        participant_id = uuid.uuid4()
        await self.feeder.publish(
            ApplicationAccepted(
                application_id=uuid.uuid4(),
                participant_id=participant_id,
                role=role,
                profile=MatchingProfile(),
            ),
            partner_id=partner_id,
            subject_id=participant_id,
            programme_id=programme_id,
            producer="intake",
        )
        return participant_id

    async def match(self, partner_id, programme_id, headers, *, days_ago: int = 30) -> uuid.UUID:
        match_id = uuid.uuid4()
        await self.feeder.publish(
            MatchMade(
                match_id=match_id,
                mentee_id=uuid.uuid4(),
                mentor_id=uuid.uuid4(),
                score=0.8,
                days_waited=3,
            ),
            partner_id=partner_id,
            subject_id=match_id,
            programme_id=programme_id,
            producer="matching",
            occurred_at=datetime.now(UTC) - timedelta(days=days_ago),
        )

        async def visible_with_its_programme() -> bool:
            # match.made and programme.created travel on different topics: wait for both.
            r = await self.client.get(f"/matches/{match_id}", headers=headers)
            return r.status_code == 200 and r.json()["target_meetings"] is not None

        await wait_until(visible_with_its_programme, what="the match and its programme")
        return match_id

    async def events(self, topic: str, subject_id) -> list:
        await outbox_drained(self.kit)
        return [
            e for e in await topic_events(self.bootstrap, topic) if e.subject_id == str(subject_id)
        ]


async def _is(awaitable, expected) -> bool:
    return (await awaitable) == expected


def day(offset_days: int = 0) -> str:
    return (utcnow().date() + timedelta(days=offset_days)).isoformat()


async def test_training_completion_is_emitted_exactly_once(service: Service):
    partner_id, headers = await service.partner()
    programme_id = await service.programme(partner_id, required_training_hours=10.0)
    mentor = await service.accepted(partner_id, programme_id, Role.MENTOR)
    client = service.client

    async def programme_known():
        r = await client.get(f"/mentors/{mentor}/training", headers=headers)
        return r.status_code == 200 and r.json()["required_hours"] == 10.0

    await wait_until(programme_known, what="the mentor and her programme")

    training = {"participant_id": str(mentor), "completed_on": day(-2), "module": "induction"}
    r = await client.post("/training", json={**training, "hours": 6}, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["completed"] is False
    r = await client.post("/training", json={**training, "hours": 4.5}, headers=headers)
    assert r.status_code == 201 and r.json()["completed"] is True
    r = await client.post("/training", json={**training, "hours": 2}, headers=headers)
    assert r.status_code == 201
    body = (await client.get(f"/mentors/{mentor}/training", headers=headers)).json()
    assert body["total_hours"] == 12.5 and body["completed"] is True

    events = await service.events(TRAINING.name, mentor)
    assert [e.event_type for e in events] == ["mentor.training_completed"]
    assert events[0].partner_id == partner_id
    assert events[0].payload["hours_completed"] == 10.5
    assert events[0].payload["required_hours"] == 10.0


async def test_training_bad_input_and_isolation(service: Service):
    partner_id, headers = await service.partner()
    _, other_headers = await service.partner()
    programme_id = await service.programme(partner_id)
    mentor = await service.accepted(partner_id, programme_id, Role.MENTOR)
    mentee = await service.accepted(partner_id, programme_id, Role.MENTEE)
    client = service.client
    await wait_until(
        lambda: _is_status(client.get(f"/mentors/{mentor}/training", headers=headers), 200),
        what="the mentor",
    )
    ok = {"participant_id": str(mentor), "hours": 2, "completed_on": day(-1), "module": "ethics"}
    for bad in (
        {**ok, "hours": 0},
        {**ok, "hours": 25},
        {**ok, "module": "Free text!"},
        {k: v for k, v in ok.items() if k != "module"},
        {**ok, "completed_on": day(+3)},
        {**ok, "notes": "she was great"},
    ):
        r = await client.post("/training", json=bad, headers=headers)
        assert r.status_code == 422, (bad, r.text)
    assert (await client.post("/training", json=ok)).status_code == 401
    # A mentee, an unknown participant, or another partner's mentor: not found.
    for pid, h in ((mentee, headers), (uuid.uuid4(), headers), (mentor, other_headers)):
        r = await client.post("/training", json={**ok, "participant_id": str(pid)}, headers=h)
        assert r.status_code == 404, r.text
    assert (
        await client.get(f"/mentors/{mentor}/training", headers=other_headers)
    ).status_code == 404
    body = (await client.get(f"/mentors/{mentor}/training", headers=headers)).json()
    assert body["total_hours"] == 0 and body["completed"] is False
    async with service.kit.sessions() as session:
        rows = await session.scalar(
            select(func.count()).where(TrainingRecord.participant_id == mentor)
        )
    assert rows == 0


async def _is_status(awaitable, expected: int) -> bool:
    return (await awaitable).status_code == expected


async def test_match_lifecycle_emits_its_events(service: Service):
    partner_id, headers = await service.partner()
    _, other = await service.partner()
    programme_id = await service.programme(partner_id)
    match_id = await service.match(partner_id, programme_id, headers, days_ago=30)
    client = service.client
    url = f"/matches/{match_id}"

    meeting = {"duration_minutes": 60, "mode": "in_person", "topics": ["cv_writing"]}
    r = await client.post(
        f"{url}/sessions",
        json={**meeting, "met_on": day(-20), "competencies": ["communication"]},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["meeting_number"] == 1
    r = await client.post(f"{url}/sessions", json={**meeting, "met_on": day(-5)}, headers=headers)
    assert r.json()["meeting_number"] == 2

    # Bad input: 422 and nothing written.
    for bad in (
        {**meeting, "met_on": day(+1)},
        {**meeting, "met_on": day(-40)},
        {**meeting, "met_on": day(-1), "competencies": ["cooking"]},
        {**meeting, "met_on": day(-1), "mode": "by_pigeon"},
        {**meeting, "met_on": day(-1), "duration_minutes": 0},
    ):
        r = await client.post(f"{url}/sessions", json=bad, headers=headers)
        assert r.status_code == 422, (bad, r.text)
    r = await client.post(
        f"{url}/close", json={"closure": "ended_early", "closed_on": day()}, headers=headers
    )
    assert r.status_code == 422 and "reason_code" in r.text

    # Another partner sees nothing.
    assert (await client.get(url, headers=other)).status_code == 404
    r = await client.post(f"{url}/sessions", json={**meeting, "met_on": day(-1)}, headers=other)
    assert r.status_code == 404
    r = await client.post(
        f"{url}/close", json={"closure": "completed", "closed_on": day()}, headers=other
    )
    assert r.status_code == 404
    listed = (await client.get("/matches", headers=other)).json()
    assert str(match_id) not in {m["match_id"] for m in listed}
    assert (await client.get("/matches?limit=101", headers=headers)).status_code == 422

    match = (await client.get(url, headers=headers)).json()
    assert match["meetings_held"] == 2 and match["last_met_on"] == day(-5)
    assert match["status"] == "active"
    assert str(match_id) in {
        m["match_id"] for m in (await client.get("/matches", headers=headers)).json()
    }

    r = await client.post(
        f"{url}/outcomes",
        json={"months_after_completion": 6, "outcomes": ["course"]},
        headers=headers,
    )
    assert r.status_code == 409  # not completed yet
    close = {"closure": "completed", "closed_on": day()}
    r = await client.post(f"{url}/close", json=close, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"
    assert (await client.post(f"{url}/close", json=close, headers=headers)).status_code == 409
    r = await client.post(f"{url}/sessions", json={**meeting, "met_on": day()}, headers=headers)
    assert r.status_code == 409

    r = await client.post(
        f"{url}/surveys",
        json={"respondent_role": "mentee", "kind": "exit", "scores": {"self_confidence": 5}},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{url}/surveys",
        json={"respondent_role": "mentee", "kind": "exit", "scores": {"self_confidence": 6}},
        headers=headers,
    )
    assert r.status_code == 422
    r = await client.post(
        f"{url}/outcomes",
        json={"months_after_completion": 6, "outcomes": ["course"]},
        headers=headers,
    )
    assert r.status_code == 201, r.text

    events = await service.events(RELATIONSHIPS.name, match_id)
    assert [e.event_type for e in events] == [
        "session.logged",
        "session.logged",
        "match.closed",
        "survey.submitted",
        "outcome.recorded",
    ]
    assert all(e.partner_id == partner_id and e.programme_id == programme_id for e in events)
    assert [e.payload["meeting_number"] for e in events[:2]] == [1, 2]
    closed = events[2].payload
    assert closed["meetings_held"] == 2 and closed["closure"] == "completed"


async def test_at_risk_is_flagged_once_per_episode(service: Service):
    partner_id, headers = await service.partner()
    programme_id = await service.programme(partner_id, at_risk_after_weeks=4)
    client = service.client
    await wait_until(
        lambda: _is_status(client.get("/matches", headers=headers), 200), what="partner"
    )
    match_id = await service.match(partner_id, programme_id, headers, days_ago=35)
    operator = {"Authorization": f"Bearer {OPERATOR_KEY}"}

    assert (await client.post("/at-risk/scan", headers=headers)).status_code == 403
    r = await client.post("/at-risk/scan", headers=operator)
    assert r.status_code == 200, r.text
    assert (await client.get(f"/matches/{match_id}", headers=headers)).json()["at_risk"] is True
    await client.post("/at-risk/scan", headers=operator)  # same episode: nothing new

    r = await client.post(
        f"/matches/{match_id}/sessions",
        json={"met_on": day(), "duration_minutes": 30, "mode": "online"},
        headers=headers,
    )
    assert r.status_code == 201
    assert (await client.get(f"/matches/{match_id}", headers=headers)).json()["at_risk"] is False
    await client.post("/at-risk/scan", headers=operator)  # met today: not at risk
    await client.post(f"/at-risk/scan?as_of={day(29)}", headers=operator)  # 4 weeks and 1 day

    events = [
        e
        for e in await service.events(RELATIONSHIPS.name, match_id)
        if e.event_type == "match.at_risk"
    ]
    assert [e.payload["last_met_on"] for e in events] == [None, day()]
    assert events[0].payload["weeks_without_meeting"] == 5


async def test_erasure_forgets_the_participant(service: Service):
    partner_id, headers = await service.partner()
    programme_id = await service.programme(partner_id)
    match_id = await service.match(partner_id, programme_id, headers)
    mentee = uuid.UUID(
        (await service.client.get(f"/matches/{match_id}", headers=headers)).json()["mentee_id"]
    )
    await service.feeder.publish(
        ParticipantErased(participant_id=mentee), partner_id=partner_id, subject_id=mentee
    )

    async def erased():
        r = await service.client.get(f"/matches/{match_id}", headers=headers)
        return r.json()["mentee_id"] is None

    await wait_until(erased, what="the mentee to be erased")
    match = (await service.client.get(f"/matches/{match_id}", headers=headers)).json()
    assert match["mentor_id"] is not None  # the match itself stays, as a count
