"""Intake through its HTTP API, the real broker and a real database.

One app (lifespan: migrations, topics, consumers, relay) serves the whole module; every test
registers its own partners, so assertions are scoped to that test's partner ids.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_intake.bootstrap import create_app
from tandem_intake.models import MESSAGING, Application, AuditEntry, Participant
from tandem_intake.settings import IntakeSettings
from tandem_shared.events.topics import APPLICATIONS, PARTNERS, PROGRAMMES
from tandem_shared.service import hash_api_key
from tandem_shared.testing.apps import serving
from tandem_shared.testing.plugin import settings_for_tests

TODAY = date.today()


@dataclass
class Intake:
    app: FastAPI
    client: httpx.AsyncClient
    settings: IntakeSettings

    @property
    def operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.operator_key}"}

    async def count(self, table: Any) -> int:
        async with self.app.state.kit.engine.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(table))

    async def counts(self) -> dict[str, int]:
        tables = {
            "applications": Application.__table__,
            "participants": Participant.__table__,
            "audit": AuditEntry.__table__,
            "outbox": MESSAGING.outbox,
        }
        return {name: await self.count(t) for name, t in tables.items()}


@pytest.fixture(scope="module")
async def intake(kafka_bootstrap, throwaway_databases):
    base = settings_for_tests("intake", throwaway_databases.create("intake"), kafka_bootstrap)
    settings = IntakeSettings(**base.model_dump(), encryption_key=Fernet.generate_key().decode())
    app = create_app(settings)
    async with serving(app) as client:
        yield Intake(app, client, settings)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Tenant:
    partner_id: str
    key: dict[str, str]
    programme_id: str
    cohort_id: str


async def new_partner(intake: Intake, kind: str = "charity") -> tuple[str, dict[str, str]]:
    slug = f"charity-{uuid.uuid4().hex[:8]}"
    r = await intake.client.post(
        "/partners",
        json={"slug": slug, "name": "Women Mentoring London", "kind": kind},
        headers=intake.operator,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["api_key"] and body["slug"] == slug
    return body["partner_id"], bearer(body["api_key"])


async def new_tenant(intake: Intake, programme_type: str = "refugee_women") -> Tenant:
    partner_id, key = await new_partner(intake)
    programme = {
        "slug": "mentoring-2026",
        "name": "Mentoring 2026",
        "programme_type": programme_type,
        "duration_weeks": 17,
        "target_meetings": 10,
        "required_training_hours": 10,
        "focus_areas": ["employment", "education"],
        "matching_weights": {"location": 0.3, "age": 0.1, "skills": 0.3, "interests": 0.3},
        "partnerships": [{"school_id": "school-a", "employer_ids": ["bank-x"]}],
        "competencies": ["communication", "teamwork"],
    }
    r = await intake.client.post("/programmes", json=programme, headers=key)
    assert r.status_code == 201, r.text
    programme_id = r.json()["programme_id"]
    r = await intake.client.post(
        "/cohorts",
        json={
            "programme_id": programme_id,
            "slug": "oct",
            "applications_open": str(TODAY - timedelta(days=10)),
            "starts_on": str(TODAY + timedelta(days=20)),
            "ends_on": str(TODAY + timedelta(days=160)),
        },
        headers=key,
    )
    assert r.status_code == 201, r.text
    return Tenant(partner_id, key, programme_id, r.json()["cohort_id"])


MENTOR = {
    "full_name": "Margaret Oyelaran-Whitcombe",
    "email": "margaret.whitcombe@bank-x.example",
    "phone": "+44 20 7946 0000",
    "date_of_birth": "1979-04-23",
    "notes": "Sponsored by her employer; prefers Tuesday evenings",
    "area": "islington",
    "skills": ["finance", "cv_writing"],
    "interests": ["running"],
    "languages": ["en", "fr"],
    "availability": ["tue_eve"],
    "gender": "female",
    "capacity": 2,
}
MENTEE = {
    "full_name": "Amina Qasimzadeh",
    "email": "amina.qasimzadeh@mail.example",
    "date_of_birth": "1996-11-02",
    "immigration_status": "Refugee status granted 2024",
    "health_needs": "Mobility: step-free venues",
    "notes": "Referred by the Hackney refugee centre",
    "area": "hackney",
    "focus_area": "employment",
    "goals": ["cv_writing", "interviews"],
    "gender": "female",
    "preferred_mentor_gender": "female",
    "languages": ["en", "ar"],
}
SECRETS = [
    "Margaret",
    "Whitcombe",
    "margaret.whitcombe@bank-x.example",
    "7946",
    "1979-04-23",
    "Sponsored",
    "Amina",
    "Qasimzadeh",
    "amina.qasimzadeh@mail.example",
    "1996-11-02",
    "Refugee status",
    "step-free",
    "Hackney refugee centre",
]


async def submit(intake: Intake, t: Tenant, path: str, body: dict, **extra) -> dict:
    r = await intake.client.post(
        path, json={**body, "cohort_id": t.cohort_id, **extra}, headers=t.key
    )
    assert r.status_code == 201, r.text
    return r.json()


async def events_for(
    bootstrap: str,
    topic: str,
    partner_id: str,
    done: Callable[[list[dict]], bool],
    timeout_s: float = 30.0,
) -> tuple[list[dict], list[bytes]]:
    """This partner's envelopes on a topic (and their raw bytes), once `done` says enough."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    envelopes: list[dict] = []
    raw: list[bytes] = []
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                for record in batch:
                    envelope = json.loads(record.value)
                    if envelope.get("partner_id") == partner_id:
                        envelopes.append(envelope)
                        raw.append(record.value + (record.key or b""))
            if done(envelopes):
                return envelopes, raw
    finally:
        await consumer.stop()
    types = [e["event_type"] for e in envelopes]
    raise AssertionError(f"timed out on {topic}; saw {types}")


def has(*types: str) -> Callable[[list[dict]], bool]:
    def check(envelopes: list[dict]) -> bool:
        seen = [e["event_type"] for e in envelopes]
        return all(seen.count(t) >= types.count(t) for t in set(types))

    return check


# ------------------------------------------------------------------------------ tests ---
async def test_intake_flow_emits_events_without_personal_data(intake, kafka_bootstrap):
    t = await new_tenant(intake)
    mentor = await submit(intake, t, "/applications", MENTOR)
    mentee = await submit(intake, t, "/referrals", MENTEE)
    assert (mentor["role"], mentor["route"], mentor["status"]) == (
        "mentor",
        "application",
        "submitted",
    )
    assert (mentee["role"], mentee["route"]) == ("mentee", "referral")

    for application, checks in ((mentor, True), (mentee, False)):
        r = await intake.client.post(
            f"/applications/{application['application_id']}/accept",
            json={"checks_passed": checks},
            headers=t.key,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "accepted"

    envelopes, raw = await events_for(
        kafka_bootstrap,
        APPLICATIONS.name,
        t.partner_id,
        has(
            "application.submitted",
            "application.submitted",
            "application.accepted",
            "application.accepted",
        ),
    )
    for blob in raw:
        for secret in SECRETS:
            assert secret.encode() not in blob, secret
    for e in envelopes:
        assert e["producer"] == "intake"
        assert e["programme_id"] == t.programme_id and e["cohort_id"] == t.cohort_id
        assert e["subject_id"] == e["payload"]["participant_id"]
    accepted = {
        e["payload"]["role"]: e["payload"]
        for e in envelopes
        if e["event_type"] == "application.accepted"
    }
    mentee_profile = accepted["mentee"]["profile"]
    assert accepted["mentee"]["participant_id"] == mentee["participant_id"]
    assert mentee_profile["focus_area"] == "employment"
    assert mentee_profile["area"] == "hackney"
    assert mentee_profile["preferred_mentor_gender"] == "female"
    assert mentee_profile["age_band"] in {"25_34", "35_44"}
    assert mentee_profile["checks_passed"] is False
    assert accepted["mentor"]["profile"]["capacity"] == 2
    assert accepted["mentor"]["profile"]["checks_passed"] is True
    assert accepted["mentor"]["profile"]["age_band"] in {"45_54", "55_64"}

    programme_events, _ = await events_for(
        kafka_bootstrap, PROGRAMMES.name, t.partner_id, has("programme.created", "cohort.opened")
    )
    opened = next(e for e in programme_events if e["event_type"] == "cohort.opened")
    assert opened["subject_id"] == t.programme_id and opened["cohort_id"] == t.cohort_id
    created = next(e for e in programme_events if e["event_type"] == "programme.created")
    assert created["payload"]["matching_weights"]["skills"] == 0.3
    partner_events, _ = await events_for(
        kafka_bootstrap, PARTNERS.name, t.partner_id, has("partner.registered")
    )
    digest = hash_api_key(t.key["Authorization"].removeprefix("Bearer "))
    assert partner_events[0]["payload"]["api_key_sha256"] == digest

    # The coordinator reads the personal data back, and the read is audited.
    audits_before = await intake.count(AuditEntry.__table__)
    r = await intake.client.get(f"/applications/{mentee['application_id']}", headers=t.key)
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["personal_data"]["full_name"] == MENTEE["full_name"]
    assert detail["personal_data"]["date_of_birth"] == MENTEE["date_of_birth"]
    assert detail["special_category"]["immigration_status"] == MENTEE["immigration_status"]
    assert detail["erased"] is False and detail["checks_passed"] is False
    assert await intake.count(AuditEntry.__table__) == audits_before + 1
    async with intake.app.state.kit.sessions() as session:
        entry = await session.scalar(
            select(AuditEntry)
            .where(AuditEntry.application_id == uuid.UUID(mentee["application_id"]))
            .order_by(AuditEntry.at.desc())
        )
        assert entry.action == "application.read"
        assert str(entry.actor_partner_id) == t.partner_id and entry.actor_slug
        stored = await session.get(Application, uuid.UUID(mentee["application_id"]))
        for secret in SECRETS:
            assert secret.encode() not in stored.personal_data + stored.special_category

    # The list has names, no special-category data, and filters.
    r = await intake.client.get(
        "/applications", params={"cohort_id": t.cohort_id, "role": "mentee"}, headers=t.key
    )
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 1 and page["items"][0]["full_name"] == MENTEE["full_name"]
    assert "special_category" not in page["items"][0] and "Refugee" not in r.text
    r = await intake.client.get("/applications", params={"status": "waitlisted"}, headers=t.key)
    assert r.json()["total"] == 0
    r = await intake.client.get("/applications", params={"limit": 101}, headers=t.key)
    assert r.status_code == 422


async def test_partners_are_isolated(intake):
    a = await new_tenant(intake)
    b = await new_tenant(intake)
    application = await submit(intake, a, "/referrals", MENTEE)
    app_id, person = application["application_id"], application["participant_id"]
    c = intake.client
    for method, path, body in [
        ("GET", f"/applications/{app_id}", None),
        ("POST", f"/applications/{app_id}/accept", {"checks_passed": True}),
        ("POST", f"/applications/{app_id}/withdraw", None),
        ("GET", f"/cohorts/{a.cohort_id}", None),
        ("GET", f"/programmes/{a.programme_id}", None),
        ("DELETE", f"/participants/{person}", None),
    ]:
        r = await c.request(method, path, json=body, headers=b.key)
        assert r.status_code == 404, (method, path, r.text)
    r = await c.post("/referrals", json={**MENTEE, "cohort_id": a.cohort_id}, headers=b.key)
    assert r.status_code == 404 and "cohort" in r.json()["detail"]
    r = await c.post(
        "/referrals",
        json={**MENTEE, "cohort_id": b.cohort_id, "participant_id": person},
        headers=b.key,
    )
    assert r.status_code == 404 and "participant" in r.json()["detail"]
    r = await c.post(
        "/cohorts",
        json={
            "programme_id": a.programme_id,
            "slug": "sneaky",
            "applications_open": "2026-01-01",
            "starts_on": "2026-02-01",
            "ends_on": "2026-03-01",
        },
        headers=b.key,
    )
    assert r.status_code == 404
    r = await c.get("/applications", headers=b.key)
    assert all(i["application_id"] != app_id for i in r.json()["items"])
    r = await c.get("/programmes", headers=b.key)
    assert [p["programme_id"] for p in r.json()] == [b.programme_id]
    r = await c.get("/programmes", headers=intake.operator, params={"partner_id": a.partner_id})
    assert [p["programme_id"] for p in r.json()] == [a.programme_id]
    # The operator may configure a programme for a partner; the partner then sees it.
    r = await c.post(
        "/programmes",
        json={
            "partner_id": a.partner_id,
            "slug": "reverse-pilot",
            "name": "Reverse mentoring pilot",
            "programme_type": "reverse_mentoring",
            "duration_weeks": 12,
            "target_meetings": 6,
            "required_training_hours": 2,
            "focus_areas": ["new_skills"],
        },
        headers=intake.operator,
    )
    assert r.status_code == 201, r.text
    assert r.json()["partner_id"] == a.partner_id
    r = await c.get(f"/programmes/{r.json()['programme_id']}", headers=a.key)
    assert r.status_code == 200


async def test_bad_input_is_refused_with_reasons_and_writes_nothing(intake):
    t = await new_tenant(intake)
    schools = await new_tenant(intake, programme_type="schools")
    before = await intake.counts()
    c = intake.client

    r = await c.post(
        "/referrals", json={**MENTEE, "cohort_id": t.cohort_id, "email": "nope"}, headers=t.key
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "email"]

    r = await c.post(
        "/referrals",
        json={**MENTEE, "cohort_id": t.cohort_id, "focus_area": "volunteering"},
        headers=t.key,
    )
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["loc"] == ["body", "focus_area"]
    assert "not one of the programme's: employment, education" in problem["msg"]

    r = await c.post(
        "/applications",
        json={**MENTOR, "cohort_id": t.cohort_id, "date_of_birth": str(TODAY)},
        headers=t.key,
    )
    assert r.status_code == 422 and "at least 18" in r.text

    r = await c.post(
        "/referrals",
        json={**MENTEE, "cohort_id": schools.cohort_id, "school_id": "school-z"},
        headers=schools.key,
    )
    assert r.status_code == 422 and "not a partner school: school-a" in r.text
    r = await c.post(
        "/applications", json={**MENTOR, "cohort_id": schools.cohort_id}, headers=schools.key
    )
    assert r.status_code == 422 and "needs employer_id" in r.text

    r = await c.post(
        "/referrals", json={**MENTEE, "cohort_id": t.cohort_id, "shoe_size": 6}, headers=t.key
    )
    assert r.status_code == 422 and "shoe_size" in r.text
    r = await c.post("/referrals", json={**MENTEE, "cohort_id": "x"}, headers=t.key)
    assert r.status_code == 422
    assert await intake.counts() == before

    # Programme and cohort rules.
    r = await c.post(
        "/cohorts",
        json={
            "programme_id": t.programme_id,
            "slug": "backwards",
            "applications_open": "2026-10-02",
            "starts_on": "2026-10-01",
            "ends_on": "2026-09-01",
        },
        headers=t.key,
    )
    assert r.status_code == 422
    assert {p["loc"][1] for p in r.json()["detail"]} == {"applications_open", "ends_on"}
    r = await c.post(
        "/programmes",
        json={
            "slug": "bad",
            "name": "Bad",
            "programme_type": "schools",
            "duration_weeks": 40,
            "target_meetings": 10,
            "required_training_hours": 3,
            "focus_areas": ["education"],
        },
        headers=t.key,
    )
    assert r.status_code == 422 and "school partnership" in r.text
    r = await c.post(
        "/programmes",
        json={
            "slug": "x",
            "name": "x",
            "programme_type": "other",
            "duration_weeks": 1,
            "target_meetings": 1,
            "required_training_hours": 0,
            "focus_areas": ["employment"],
        },
        headers=intake.operator,
    )
    assert r.status_code == 422 and "partner_id" in r.text
    assert await intake.counts() == before

    # Duplicates are conflicts.
    r = await c.post(
        "/partners",
        json={"slug": "dup-" + t.partner_id[:8], "name": "D", "kind": "funder"},
        headers=intake.operator,
    )
    assert r.status_code == 201
    r = await c.post(
        "/partners",
        json={"slug": "dup-" + t.partner_id[:8], "name": "D", "kind": "charity"},
        headers=intake.operator,
    )
    assert r.status_code == 409 and "already exists" in r.text
    programme = (await c.get(f"/programmes/{t.programme_id}", headers=t.key)).json()
    dup = {
        k: programme[k]
        for k in (
            "slug",
            "name",
            "programme_type",
            "duration_weeks",
            "target_meetings",
            "required_training_hours",
            "focus_areas",
        )
    }
    r = await c.post("/programmes", json=dup, headers=t.key)
    assert r.status_code == 409


async def test_authentication_and_roles(intake):
    t = await new_tenant(intake)
    application = await submit(intake, t, "/applications", MENTOR)
    path = f"/applications/{application['application_id']}"
    c = intake.client
    assert (await c.get(path)).status_code == 401
    assert (await c.get(path, headers=bearer("tdm_unknown"))).status_code == 401
    assert (await c.get("/partners")).status_code == 401
    r = await c.get(path, headers=intake.operator)
    assert r.status_code == 403 and "operators see no personal data" in r.text
    assert (await c.get("/applications", headers=intake.operator)).status_code == 403
    r = await c.post(
        "/applications", json={**MENTOR, "cohort_id": t.cohort_id}, headers=intake.operator
    )
    assert r.status_code == 403
    assert (await c.get("/partners", headers=t.key)).status_code == 403
    r = await c.post("/partners", json={"slug": "x", "name": "x", "kind": "charity"}, headers=t.key)
    assert r.status_code == 403
    _, funder = await new_partner(intake, kind="funder")
    assert (await c.get(path, headers=funder)).status_code == 403
    assert (await c.get("/programmes", headers=funder)).status_code == 403
    r = await c.get("/partners", headers=intake.operator)
    assert r.status_code == 200 and "api_key" not in r.text


async def test_screening_transitions(intake):
    t = await new_tenant(intake)
    c = intake.client
    a = (await submit(intake, t, "/referrals", MENTEE))["application_id"]
    r = await c.post(
        f"/applications/{a}/decline", json={"reason_code": "not_eligible"}, headers=t.key
    )
    assert r.status_code == 200 and r.json()["status"] == "declined"
    r = await c.post(f"/applications/{a}/accept", json={"checks_passed": True}, headers=t.key)
    assert r.status_code == 409
    assert r.json()["from"] == "declined" and r.json()["to"] == "accepted"
    assert "from 'declined' to 'accepted'" in r.json()["detail"]

    b = (await submit(intake, t, "/applications", MENTOR))["application_id"]
    for action, body, expected in [
        ("waitlist", None, 200),
        ("accept", {"checks_passed": True}, 200),
        ("decline", {"reason_code": "too_late"}, 409),
        ("withdraw", None, 200),
        ("withdraw", None, 409),
    ]:
        r = await c.post(f"/applications/{b}/{action}", json=body, headers=t.key)
        assert r.status_code == expected, (action, r.text)
    r = await c.post(f"/applications/{a}/decline", json={"reason_code": "Not OK!"}, headers=t.key)
    assert r.status_code == 422
    detail = (await c.get(f"/applications/{a}", headers=t.key)).json()
    assert detail["decline_reason"] == "not_eligible"


async def test_returning_participant_keeps_her_history(intake):
    t = await new_tenant(intake)
    mentee = await submit(intake, t, "/referrals", MENTEE)
    person = mentee["participant_id"]
    r = await intake.client.post(
        "/applications",
        json={**MENTOR, "cohort_id": t.cohort_id, "participant_id": person},
        headers=t.key,
    )
    assert r.status_code == 409 and "open application" in r.text
    await intake.client.post(f"/applications/{mentee['application_id']}/withdraw", headers=t.key)
    mentor = await submit(intake, t, "/applications", MENTOR, participant_id=person)
    assert mentor["participant_id"] == person and mentor["role"] == "mentor"
    r = await intake.client.get("/applications", params={"cohort_id": t.cohort_id}, headers=t.key)
    assert {i["role"] for i in r.json()["items"] if i["participant_id"] == person} == {
        "mentor",
        "mentee",
    }


async def test_erasure_destroys_the_key_and_emits_participant_erased(intake, kafka_bootstrap):
    t = await new_tenant(intake)
    referral = await submit(intake, t, "/referrals", MENTEE)
    person, app_id = referral["participant_id"], referral["application_id"]
    c = intake.client

    r = await c.delete(f"/participants/{person}", headers=t.key)
    assert r.status_code == 200, r.text
    assert r.json()["applications_blanked"] == 1

    r = await c.get(f"/applications/{app_id}", headers=t.key)
    assert r.status_code == 200
    detail = r.json()
    assert detail["erased"] is True
    assert detail["personal_data"] is None and detail["special_category"] is None
    assert detail["profile"] == {}
    r = await c.get("/applications", params={"cohort_id": t.cohort_id}, headers=t.key)
    assert r.json()["items"][0]["full_name"] is None

    async with intake.app.state.kit.sessions() as session:
        participant = await session.get(Participant, uuid.UUID(person))
        assert participant.wrapped_data_key is None and participant.erased_at is not None
        stored = await session.get(Application, uuid.UUID(app_id))
        assert stored.personal_data is None and stored.special_category is None
        actions = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.participant_id == uuid.UUID(person))
        )
        assert "participant.erased" in set(actions)

    r = await c.post(f"/applications/{app_id}/accept", json={"checks_passed": True}, headers=t.key)
    assert r.status_code == 409 and "erased" in r.text
    r = await c.post(
        "/applications",
        json={**MENTOR, "cohort_id": t.cohort_id, "participant_id": person},
        headers=t.key,
    )
    assert r.status_code == 409
    outbox_before = await intake.count(MESSAGING.outbox)
    again = await c.delete(f"/participants/{person}", headers=t.key)
    assert again.status_code == 200 and again.json()["applications_blanked"] == 0
    assert await intake.count(MESSAGING.outbox) == outbox_before

    envelopes, _ = await events_for(
        kafka_bootstrap, APPLICATIONS.name, t.partner_id, has("participant.erased")
    )
    erased = [e for e in envelopes if e["event_type"] == "participant.erased"]
    assert len(erased) == 1
    assert erased[0]["subject_id"] == person and erased[0]["payload"] == {"participant_id": person}
