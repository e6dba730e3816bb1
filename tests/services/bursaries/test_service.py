"""Bursaries through the real broker and database: app lifespan + httpx ASGI transport.

One service instance (fresh database) per module; every test uses its own partners and funds,
so other tests' events on the shared registry topics never confuse the assertions.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import httpx
import pytest_asyncio

from tandem_bursaries.bootstrap import create_app
from tandem_bursaries.models import Fund, Mentee
from tandem_bursaries.settings import BursariesSettings
from tandem_shared.events.intake import ApplicationAccepted, MatchingProfile, ParticipantErased
from tandem_shared.events.sessions import MatchClosed
from tandem_shared.events.topics import BURSARIES, FUNDS
from tandem_shared.events.vocabulary import ClosureKind, Role
from tandem_shared.testing.apps import OPERATOR_KEY, ServiceUnderTest, service_under_test
from tandem_shared.testing.events import outbox_drained, topic_events, wait_until
from tandem_shared.testing.plugin import settings_for_tests

OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}


@pytest_asyncio.fixture(scope="module")
async def service(kafka_bootstrap, throwaway_databases):
    settings = settings_for_tests(
        "bursaries",
        throwaway_databases.create("bursaries"),
        kafka_bootstrap,
        settings_class=BursariesSettings,
        operator_key=OPERATOR_KEY,
    )
    async with service_under_test(create_app(settings), kafka_bootstrap, Service) as service:
        yield service


class Service(ServiceUnderTest):
    async def partner(self, kind: str = "charity") -> tuple[uuid.UUID, dict[str, str]]:
        return await self.known_partner("/bursary-applications", kind)

    async def mentee(self, partner_id: uuid.UUID, *, alumna_only: bool = False) -> uuid.UUID:
        participant_id = uuid.uuid4()
        if alumna_only:  # heard of only through her completed match
            match_id = uuid.uuid4()
            event = MatchClosed(
                match_id=match_id,
                mentee_id=participant_id,
                mentor_id=uuid.uuid4(),
                closure=ClosureKind.COMPLETED,
                closed_on=date.today(),
                meetings_held=10,
            )
            await self.feeder.publish(event, partner_id=partner_id, subject_id=match_id)
        else:
            await self.feeder.publish(
                ApplicationAccepted(
                    application_id=uuid.uuid4(),
                    participant_id=participant_id,
                    role=Role.MENTEE,
                    profile=MatchingProfile(),
                ),
                partner_id=partner_id,
                subject_id=participant_id,
                producer="intake",
            )

        async def known():
            async with self.kit.sessions() as session:
                return await session.get(Mentee, participant_id) is not None

        await wait_until(known, what="the mentee to be known")
        return participant_id

    async def fund(self, funder_headers, budget=5_500_000, cap=500_000, window=365) -> uuid.UUID:
        r = await self.client.post(
            "/funds",
            json={
                "slug": "vocational-2026",
                "budget_pence": budget,
                "award_cap_pence": cap,
                "start_window_days": window,
            },
            headers=funder_headers,
        )
        assert r.status_code == 201, r.text
        return uuid.UUID(r.json()["fund_id"])

    async def apply(self, headers, participant_id, fund_id, **overrides) -> httpx.Response:
        body = {
            "participant_id": str(participant_id),
            "fund_id": str(fund_id),
            "course_type": "vocational",
            "requested_pence": {"course_fees": 320_000, "childcare": 80_000},
        }
        body.update(overrides)
        return await self.client.post("/bursary-applications", json=body, headers=headers)

    async def events(self, topic: str, subject_id) -> list:
        await outbox_drained(self.kit)
        events = await topic_events(self.bootstrap, topic)
        return [e for e in events if e.subject_id == str(subject_id)]

    async def fund_row(self, fund_id) -> Fund:
        async with self.kit.sessions() as session:
            return await session.get(Fund, fund_id)


async def test_fund_creation(service: Service):
    funder_id, funder = await service.partner("funder")
    charity_id, charity = await service.partner("charity")
    client = service.client
    fund = {"slug": "vocational-2026", "budget_pence": 5_500_000, "award_cap_pence": 500_000}

    r = await client.post(
        "/funds", json={**fund, "funder_partner_id": str(funder_id)}, headers=OPERATOR
    )
    assert r.status_code == 201, r.text
    by_operator = r.json()
    assert by_operator["remaining_pence"] == 5_500_000 and by_operator["start_window_days"] == 365
    own = await service.fund(funder, window=200)

    assert (await client.post("/funds", json=fund, headers=charity)).status_code == 403
    assert (await client.post("/funds", json=fund, headers=OPERATOR)).status_code == 422
    r = await client.post(
        "/funds", json={**fund, "funder_partner_id": str(charity_id)}, headers=OPERATOR
    )
    assert r.status_code == 422 and "not a registered funder" in r.text
    for bad in (
        {**fund, "award_cap_pence": 6_000_000},
        {**fund, "budget_pence": 0},
        {**fund, "award_cap_pence": -1},
        {**fund, "slug": "Not A Code"},
    ):
        assert (await client.post("/funds", json=bad, headers=funder)).status_code == 422, bad

    r = await client.get(f"/funds/{own}", headers=funder)
    assert r.json()["budget_pence"] == 5_500_000 and r.json()["remaining_pence"] == 5_500_000
    r = await client.get(f"/funds/{own}", headers=charity)  # visible, without its money figures
    assert r.status_code == 200 and r.json()["budget_pence"] is None
    assert (await client.get(f"/funds/{uuid.uuid4()}", headers=funder)).status_code == 404
    assert (await client.get("/funds?limit=101", headers=funder)).status_code == 422

    events = [
        e for e in await topic_events_after_drain(service, FUNDS.name) if e.partner_id == funder_id
    ]
    assert sorted(e.payload["start_window_days"] for e in events) == [200, 365]
    assert {e.subject_id for e in events} == {by_operator["fund_id"], str(own)}


async def topic_events_after_drain(service: Service, topic: str):
    await outbox_drained(service.kit)
    return await topic_events(service.bootstrap, topic)


async def test_a_programme_mentee_gets_an_interview_automatically(service: Service):
    _, funder = await service.partner("funder")
    partner_a, charity_a = await service.partner()
    _, charity_b = await service.partner()
    fund_id = await service.fund(funder)
    mentee = await service.mentee(partner_a)
    alumna = await service.mentee(partner_a, alumna_only=True)
    client = service.client

    r = await service.apply(charity_a, mentee, fund_id)
    assert r.status_code == 201, r.text
    application = r.json()
    assert application["status"] == "interview_scheduled"
    assert application["interview_guaranteed"] is True
    r = await service.apply(charity_a, alumna, fund_id)
    assert r.status_code == 201 and r.json()["status"] == "interview_scheduled"

    # Unknown participant, another partner's mentee, an unknown fund: not found.
    assert (await service.apply(charity_a, uuid.uuid4(), fund_id)).status_code == 404
    assert (await service.apply(charity_b, mentee, fund_id)).status_code == 404
    assert (await service.apply(charity_a, mentee, uuid.uuid4())).status_code == 404
    r = await service.apply(charity_a, mentee, fund_id, requested_pence={"yacht": 5})
    assert r.status_code == 422
    assert (await service.apply(funder, mentee, fund_id)).status_code == 403

    url = f"/bursary-applications/{application['bursary_application_id']}"
    assert (await client.get(url, headers=charity_b)).status_code == 404
    assert (await client.get(url, headers=charity_a)).status_code == 200
    assert (await client.get(url, headers=funder)).status_code == 200
    listed = (await client.get("/bursary-applications", headers=charity_b)).json()
    assert listed == []

    events = await service.events(BURSARIES.name, application["bursary_application_id"])
    assert [e.event_type for e in events] == ["bursary.applied", "bursary.interview_scheduled"]
    assert all(e.partner_id == partner_a for e in events)
    assert events[0].payload["programme_mentee"] is True
    assert events[1].payload["guaranteed"] is True


async def _application(service: Service, charity, partner_id, fund_id) -> str:
    mentee = await service.mentee(partner_id)
    r = await service.apply(charity, mentee, fund_id)
    assert r.status_code == 201, r.text
    return r.json()["bursary_application_id"]


async def test_awards_respect_the_cap_and_the_remaining_budget(service: Service):
    _, funder = await service.partner("funder")
    _, other_funder = await service.partner("funder")
    partner_a, charity_a = await service.partner()
    _, charity_b = await service.partner()
    fund_id = await service.fund(funder, budget=600_000, cap=500_000)
    first = await _application(service, charity_a, partner_a, fund_id)
    second = await _application(service, charity_a, partner_a, fund_id)
    client = service.client

    def award(app_id, by_category, headers=funder):
        return client.post(
            f"/bursary-applications/{app_id}/award",
            json={"by_category": by_category},
            headers=headers,
        )

    r = await award(first, {"course_fees": 450_000, "childcare": 50_001})
    assert r.status_code == 422 and "500001" in r.text and "cap of 500000" in r.text
    assert (await award(first, {"course_fees": 1}, charity_a)).status_code == 403
    assert (await award(first, {"course_fees": 1}, charity_b)).status_code == 404
    assert (await award(first, {"course_fees": 1}, other_funder)).status_code == 404
    assert (await award(first, {"course_fees": -5})).status_code == 422

    r = await award(first, {"course_fees": 320_000, "childcare": 80_000})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "awarded"
    assert (await award(first, {"course_fees": 1})).status_code == 409

    r = await award(second, {"course_fees": 200_001})
    assert r.status_code == 422 and "remaining 200000" in r.text
    fund = (await client.get(f"/funds/{fund_id}", headers=funder)).json()
    assert fund["committed_pence"] == 400_000 and fund["remaining_pence"] == 200_000

    pay = f"/bursary-applications/{first}/payments"
    r = await client.post(
        pay, json={"category": "course_fees", "amount_pence": 320_000}, headers=funder
    )
    assert r.status_code == 201, r.text
    r = await client.post(pay, json={"category": "course_fees", "amount_pence": 1}, headers=funder)
    assert r.status_code == 422 and "exceed" in r.text
    r = await client.post(pay, json={"category": "travel", "amount_pence": 1}, headers=funder)
    assert r.status_code == 422
    r = await client.post(pay, json={"category": "childcare", "amount_pence": 1}, headers=charity_a)
    assert r.status_code == 403

    r = await client.post(
        f"/bursary-applications/{second}/decline",
        json={"reason_code": "over_budget"},
        headers=funder,
    )
    assert r.status_code == 200 and r.json()["status"] == "declined"

    first_events = await service.events(BURSARIES.name, first)
    assert [e.event_type for e in first_events] == [
        "bursary.applied",
        "bursary.interview_scheduled",
        "bursary.awarded",
        "bursary.paid",
    ]
    awarded = first_events[2]
    assert awarded.partner_id == partner_a
    assert awarded.payload["amount_pence"] == 400_000
    assert awarded.payload["fund_remaining_pence"] == 200_000
    assert date.fromisoformat(awarded.payload["start_by"]) == date.today() + timedelta(days=365)
    second_events = await service.events(BURSARIES.name, second)
    assert [e.event_type for e in second_events][2:] == ["bursary.declined"]


async def test_concurrent_awards_never_overspend_the_fund(service: Service):
    _, funder = await service.partner("funder")
    partner_a, charity_a = await service.partner()
    fund_id = await service.fund(funder, budget=500_000, cap=300_000)
    apps = [await _application(service, charity_a, partner_a, fund_id) for _ in range(3)]
    results = await asyncio.gather(
        *(
            service.client.post(
                f"/bursary-applications/{a}/award",
                json={"by_category": {"course_fees": 200_000}},
                headers=funder,
            )
            for a in apps
        )
    )
    assert sorted(r.status_code for r in results) == [200, 200, 422]
    fund = await service.fund_row(fund_id)
    assert fund.committed_pence == 400_000


async def test_an_award_not_started_in_time_lapses(service: Service):
    _, funder = await service.partner("funder")
    partner_a, charity_a = await service.partner()
    fund_id = await service.fund(funder, budget=1_000_000, cap=500_000, window=30)
    idle = await _application(service, charity_a, partner_a, fund_id)
    started = await _application(service, charity_a, partner_a, fund_id)
    client = service.client
    for app_id in (idle, started):
        r = await client.post(
            f"/bursary-applications/{app_id}/award",
            json={"by_category": {"course_fees": 300_000, "travel": 100_000}},
            headers=funder,
        )
        assert r.status_code == 200, r.text
    r = await client.post(
        f"/bursary-applications/{idle}/payments",
        json={"category": "course_fees", "amount_pence": 300_000},
        headers=funder,
    )
    assert r.status_code == 201
    r = await client.post(
        f"/bursary-applications/{started}/course-started", json={}, headers=charity_a
    )
    assert r.status_code == 200, r.text

    late = (date.today() + timedelta(days=31)).isoformat()
    assert (await client.post(f"/lapses/scan?as_of={late}", headers=charity_a)).status_code == 403
    r = await client.post(f"/lapses/scan?as_of={late}", headers=OPERATOR)
    assert r.status_code == 200 and r.json()["lapsed"] >= 1
    await client.post(f"/lapses/scan?as_of={late}", headers=OPERATOR)  # nothing twice

    idle_now = (await client.get(f"/bursary-applications/{idle}", headers=charity_a)).json()
    assert idle_now["status"] == "lapsed" and idle_now["returned_pence"] == 100_000
    assert (await client.get(f"/bursary-applications/{started}", headers=funder)).json()[
        "status"
    ] == "awarded"
    fund = (await client.get(f"/funds/{fund_id}", headers=funder)).json()
    assert fund["committed_pence"] == 700_000 and fund["remaining_pence"] == 300_000

    lapsed = [
        e for e in await service.events(BURSARIES.name, idle) if e.event_type == "bursary.lapsed"
    ]
    assert len(lapsed) == 1
    assert lapsed[0].payload["returned_pence"] == 100_000
    assert lapsed[0].payload["fund_remaining_pence"] == 300_000
    assert not [
        e for e in await service.events(BURSARIES.name, started) if e.event_type == "bursary.lapsed"
    ]


async def test_erasure_forgets_the_applicant_but_keeps_the_money(service: Service):
    _, funder = await service.partner("funder")
    partner_a, charity_a = await service.partner()
    fund_id = await service.fund(funder)
    mentee = await service.mentee(partner_a)
    app_id = await _application(service, charity_a, partner_a, fund_id)
    r = await service.apply(charity_a, mentee, fund_id)
    assert r.status_code == 201
    mine = r.json()["bursary_application_id"]
    await service.feeder.publish(
        ParticipantErased(participant_id=mentee), partner_id=partner_a, subject_id=mentee
    )

    async def erased():
        r = await service.client.get(f"/bursary-applications/{mine}", headers=charity_a)
        return r.json()["participant_id"] is None

    await wait_until(erased, what="the applicant to be erased")
    assert (await service.apply(charity_a, mentee, fund_id)).status_code == 404
    other = (await service.client.get(f"/bursary-applications/{app_id}", headers=funder)).json()
    assert other["participant_id"] is not None
    r = await service.client.post(
        f"/bursary-applications/{mine}/award",
        json={"by_category": {"course_fees": 1000}},
        headers=funder,
    )
    assert r.status_code == 200  # the decision still stands, anonymously
