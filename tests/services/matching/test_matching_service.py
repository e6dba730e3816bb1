"""Matching through the real broker and database: pool from events, runs, decisions, isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from tandem_matching.bootstrap import create_app
from tandem_matching.models import Cohort, PoolMember, Programme, TrainedMentor
from tandem_matching.settings import MatchingSettings
from tandem_shared.events.intake import (
    ApplicationAccepted,
    ApplicationWithdrawn,
    CohortOpened,
    MatchingProfile,
    ParticipantErased,
    ProgrammeCreated,
)
from tandem_shared.events.sessions import MatchClosed, MentorTrainingCompleted
from tandem_shared.events.topics import MATCHES
from tandem_shared.service import credentials_table
from tandem_shared.testing.apps import OPERATOR_KEY, serving
from tandem_shared.testing.events import (
    envelope,
    partner_registered,
    publish,
    read_events,
    wait_until,
)
from tandem_shared.testing.plugin import settings_for_tests

NOW = datetime.now(UTC)


def settings(database_url: str, bootstrap: str) -> MatchingSettings:
    return settings_for_tests(
        "matching",
        database_url,
        bootstrap,
        settings_class=MatchingSettings,
        operator_key=OPERATOR_KEY,
    )


def accepted(partner, programme, cohort, pid, role, days_ago, **profile):
    base = dict(area="hackney", age_band="25_34", gender="female", checks_passed=True)
    base.update(profile)
    return envelope(
        ApplicationAccepted(
            application_id=uuid.uuid4(),
            participant_id=pid,
            role=role,
            profile=MatchingProfile(**base),
        ),
        partner_id=partner,
        subject_id=pid,
        programme_id=programme,
        cohort_id=cohort,
        occurred_at=NOW - timedelta(days=days_ago),
        producer="intake",
    )


def trained(partner, programme, pid):
    return envelope(
        MentorTrainingCompleted(
            participant_id=pid,
            hours_completed=10.5,
            required_hours=10,
            completed_on=date.today(),
        ),
        partner_id=partner,
        subject_id=pid,
        programme_id=programme,
        producer="sessions",
    )


async def _count(app, query) -> int:
    async with app.state.kit.sessions() as session:
        return int(await session.scalar(query) or 0)


async def test_pool_runs_decisions_and_isolation(database_url, kafka_bootstrap):
    partner_a, partner_b = uuid.uuid4(), uuid.uuid4()
    key_a, key_b = f"key-a-{uuid.uuid4().hex}", f"key-b-{uuid.uuid4().hex}"
    programme, cohort = uuid.uuid4(), uuid.uuid4()
    early, late = uuid.uuid4(), uuid.uuid4()  # mentees: waited 30 days, 5 days
    mentor_1, mentor_2, untrained = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    app = create_app(settings(database_url, kafka_bootstrap))
    async with serving(app) as http:
        a = {"Authorization": f"Bearer {key_a}"}
        b = {"Authorization": f"Bearer {key_b}"}
        await publish(
            kafka_bootstrap,
            partner_registered(partner_a, key_a, f"a-{partner_a.hex[:8]}"),
            partner_registered(partner_b, key_b, f"b-{partner_b.hex[:8]}"),
            envelope(
                ProgrammeCreated(
                    programme_id=programme,
                    slug="mentoring-2026",
                    programme_type="refugee_women",
                    duration_weeks=17,
                    target_meetings=10,
                    required_training_hours=10,
                    focus_areas=["employment"],
                    matching_weights={"location": 0.3, "age": 0.1, "skills": 0.3},
                ),
                partner_id=partner_a,
                subject_id=programme,
                programme_id=programme,
                producer="intake",
            ),
            envelope(
                CohortOpened(
                    cohort_id=cohort,
                    programme_id=programme,
                    slug="oct-2026",
                    applications_open=date(2026, 8, 5),
                    starts_on=date(2026, 10, 1),
                    ends_on=date(2027, 2, 28),
                ),
                partner_id=partner_a,
                subject_id=programme,
                programme_id=programme,
                cohort_id=cohort,
                producer="intake",
            ),
            accepted(partner_a, programme, cohort, early, "mentee", 30, skills=["english"]),
            accepted(partner_a, programme, cohort, late, "mentee", 5, area="camden"),
            accepted(partner_a, programme, cohort, mentor_1, "mentor", 40, skills=["english"]),
            accepted(partner_a, programme, cohort, mentor_2, "mentor", 40, area="camden"),
            accepted(partner_a, programme, cohort, untrained, "mentor", 40),
            trained(partner_a, programme, mentor_1),
            trained(partner_a, programme, mentor_2),
        )
        creds = credentials_table(app.state.credentials_table.metadata)

        known_keys = select(func.count()).select_from(creds)
        partners = [partner_a, partner_b]
        known_programme = select(func.count()).select_from(Programme)
        known_cohort = select(func.count()).select_from(Cohort)

        async def ready() -> bool:
            pool = select(func.count()).select_from(PoolMember)
            return (
                await _count(app, pool.where(PoolMember.partner_id == partner_a)) == 5
                and await _count_trained(app, partner_a, 2)
                and await _count(app, known_keys.where(creds.c.partner_id.in_(partners))) == 2
                # programme.created carries the weights the run uses; it travels separately
                and await _count(app, known_programme.where(Programme.programme_id == programme))
                and await _count(app, known_cohort.where(Cohort.cohort_id == cohort))
            )

        await wait_until(ready, what="pool, training and partners consumed")

        pool = (await http.get(f"/cohorts/{cohort}/pool", headers=a)).json()
        assert (pool["mentees_waiting"], pool["mentors_active"], pool["mentors_trained"]) == (
            2,
            3,
            2,
        )
        assert [w["participant_id"] for w in pool["waiting_longest"]] == [str(early), str(late)]
        assert (await http.get(f"/cohorts/{cohort}/pool", headers=b)).status_code == 404

        assert (await http.post(f"/cohorts/{cohort}/matching-runs")).status_code == 401
        bogus = await http.post(f"/cohorts/{cohort}/matching-runs", json={"mode": "x"}, headers=a)
        assert bogus.status_code == 422
        response = await http.post(f"/cohorts/{cohort}/matching-runs", json={}, headers=a)
        assert response.status_code == 201, response.text
        run = response.json()
        pairs = {(p["mentee_id"], p["mentor_id"]) for p in run["proposals"]}
        assert {m for m, _ in pairs} == {str(early), str(late)}
        assert {t for _, t in pairs} == {str(mentor_1), str(mentor_2)}  # never the untrained one
        assert run["unmatched"] == []
        first = run["proposals"][0]
        assert {f["factor"] for f in first["factors"]} >= {"location", "age", "skills"}
        assert abs(sum(f["contribution"] for f in first["factors"]) - first["score"]) < 1e-4
        assert "summary" in first["explanation"]

        proposed = await read_events(
            kafka_bootstrap,
            MATCHES.name,
            lambda e: e.partner_id == partner_a and e.event_type == "match.proposed",
            expected=2,
        )
        assert {e.payload["match_id"] for e in proposed} == {p["id"] for p in run["proposals"]}
        assert all(e.cohort_id == cohort and e.programme_id == programme for e in proposed)
        assert all(e.payload["factors"] for e in proposed)

        # Partner B sees none of it.
        by_mentee = {p["mentee_id"]: p for p in run["proposals"]}
        keep, drop = by_mentee[str(early)], by_mentee[str(late)]
        assert (await http.post(f"/cohorts/{cohort}/matching-runs", headers=b)).status_code == 404
        assert (await http.get(f"/cohorts/{cohort}/proposals", headers=b)).status_code == 404
        assert (await http.get(f"/proposals/{keep['id']}", headers=b)).status_code == 404
        assert (await http.post(f"/proposals/{keep['id']}/confirm", headers=b)).status_code == 404
        reject_b = await http.post(
            f"/proposals/{keep['id']}/reject", json={"reason_code": "x"}, headers=b
        )
        assert reject_b.status_code == 404
        assert (await http.get(f"/proposals/{uuid.uuid4()}", headers=a)).status_code == 404

        listed = await http.get(f"/cohorts/{cohort}/proposals?status=proposed", headers=a)
        assert {p["id"] for p in listed.json()} == {keep["id"], drop["id"]}
        assert (
            await http.get(f"/cohorts/{cohort}/proposals?limit=101", headers=a)
        ).status_code == 422

        # Confirm: match.made with the days she waited.
        confirmed = await http.post(f"/proposals/{keep['id']}/confirm", headers=a)
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["status"] == "confirmed"
        again = await http.post(f"/proposals/{keep['id']}/confirm", headers=a)
        assert again.status_code == 409
        assert "confirmed" in again.json()["detail"]

        # Reject: bad input first, then match.rejected.
        bad = await http.post(
            f"/proposals/{drop['id']}/reject", json={"reason_code": "Not A Code!"}, headers=a
        )
        assert bad.status_code == 422
        rejected = await http.post(
            f"/proposals/{drop['id']}/reject", json={"reason_code": "schedule_clash"}, headers=a
        )
        assert rejected.status_code == 200, rejected.text

        decisions = await read_events(
            kafka_bootstrap,
            MATCHES.name,
            lambda e: (
                e.partner_id == partner_a and e.event_type in {"match.made", "match.rejected"}
            ),
            expected=2,
        )
        made = next(e for e in decisions if e.event_type == "match.made")
        assert made.payload["match_id"] == keep["id"]
        assert made.payload["days_waited"] == 30
        assert made.subject_id == keep["id"]
        rej = next(e for e in decisions if e.event_type == "match.rejected")
        assert rej.payload["reason_code"] == "schedule_clash"

        # Next run: the rejected pair is excluded, the confirmed match stays fixed.
        rerun = (await http.post(f"/cohorts/{cohort}/matching-runs", headers=a)).json()
        assert rerun["proposals"] == []
        (left,) = rerun["unmatched"]
        assert left["mentee_id"] == str(late)
        assert left["reason"] == "no_feasible_mentor"
        assert left["eliminated_by"]["excluded_pair"] == 1
        assert left["eliminated_by"]["mentor_not_trained"] == 1

        # Once the third mentor is trained, the late mentee gets her.
        await publish(kafka_bootstrap, trained(partner_a, programme, untrained))
        await wait_until(
            lambda: _count_trained(app, partner_a, 3), what="third mentor's training consumed"
        )
        third = (await http.post(f"/cohorts/{cohort}/matching-runs", headers=a)).json()
        assert [(p["mentee_id"], p["mentor_id"]) for p in third["proposals"]] == [
            (str(late), str(untrained))
        ]

        # Ending the confirmed match frees the mentor and excludes the pair.
        ended = await http.post(
            f"/matches/{keep['id']}/end", json={"reason_code": "withdrew"}, headers=a
        )
        assert ended.status_code == 200
        assert ended.json()["status"] == "ended"
        assert (
            await http.post(f"/matches/{keep['id']}/end", json={"reason_code": "x"}, headers=a)
        ).status_code == 409
        fourth = (await http.post(f"/cohorts/{cohort}/matching-runs", headers=a)).json()
        pairs = {(p["mentee_id"], p["mentor_id"]) for p in fourth["proposals"]}
        assert (str(early), str(mentor_1)) not in pairs
        assert str(early) in {m for m, _ in pairs}
        # Earlier open proposals were superseded by the later runs.
        stale = await http.get(f"/proposals/{third['proposals'][0]['id']}", headers=a)
        assert stale.json()["status"] == "superseded"


async def _count_trained(app, partner_id: uuid.UUID, n: int) -> bool:
    # Scoped to the test's partner: other tests' events share the broker's topics.
    trained = select(func.count()).select_from(TrainedMentor)
    return await _count(app, trained.where(TrainedMentor.partner_id == partner_id)) == n


async def test_closure_withdrawal_and_erasure_update_the_pool(database_url, kafka_bootstrap):
    partner, programme, cohort = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    key = f"key-{uuid.uuid4().hex}"
    first, second, mentor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    app = create_app(settings(database_url, kafka_bootstrap))
    async with serving(app) as http:
        h = {"Authorization": f"Bearer {key}"}
        await publish(
            kafka_bootstrap,
            partner_registered(partner, key, f"c-{partner.hex[:8]}"),
            accepted(partner, programme, cohort, first, "mentee", 50),
            accepted(partner, programme, cohort, second, "mentee", 3),
            accepted(partner, programme, cohort, mentor, "mentor", 60),
            trained(partner, programme, mentor),
        )
        creds = credentials_table(app.state.credentials_table.metadata)
        known_keys = select(func.count()).select_from(creds)

        async def ready() -> bool:
            pool = select(func.count()).select_from(PoolMember)
            return (
                await _count(app, pool.where(PoolMember.partner_id == partner)) == 3
                and await _count_trained(app, partner, 1)
                and await _count(app, known_keys.where(creds.c.partner_id == partner)) == 1
            )

        await wait_until(ready, what="pool consumed")

        # One mentor, two equally good mentees: the one who waited longest goes first.
        run = (await http.post(f"/cohorts/{cohort}/matching-runs", headers=h)).json()
        (proposal,) = run["proposals"]
        assert proposal["mentee_id"] == str(first)
        (waiting,) = run["unmatched"]
        assert waiting["mentee_id"] == str(second)
        assert waiting["reason"] == "feasible_mentors_needed_by_others"
        assert waiting["holders"] == {str(mentor): [str(first)]}
        made = await http.post(f"/proposals/{proposal['id']}/confirm", headers=h)
        assert made.status_code == 200

        # Sessions closes the match as completed: her mentor is free again.
        await publish(
            kafka_bootstrap,
            envelope(
                MatchClosed(
                    match_id=uuid.UUID(proposal["id"]),
                    mentee_id=first,
                    mentor_id=mentor,
                    closure="completed",
                    closed_on=date.today(),
                    meetings_held=10,
                ),
                partner_id=partner,
                subject_id=proposal["id"],
                programme_id=programme,
                cohort_id=cohort,
                producer="sessions",
            ),
        )

        async def closed() -> bool:
            got = await http.get(f"/proposals/{proposal['id']}", headers=h)
            return got.json()["status"] == "closed"

        await wait_until(closed, what="match.closed consumed")
        rerun = (await http.post(f"/cohorts/{cohort}/matching-runs", headers=h)).json()
        (second_proposal,) = rerun["proposals"]
        assert (second_proposal["mentee_id"], second_proposal["mentor_id"]) == (
            str(second),
            str(mentor),
        )
        assert rerun["unmatched"] == []  # the completed mentee is out of the pool
        assert (
            await http.post(f"/proposals/{second_proposal['id']}/confirm", headers=h)
        ).status_code == 200

        # The mentor withdraws: matching unwinds the confirmed match (match.ended).
        await publish(
            kafka_bootstrap,
            envelope(
                ApplicationWithdrawn(
                    application_id=uuid.uuid4(), participant_id=mentor, role="mentor"
                ),
                partner_id=partner,
                subject_id=mentor,
                programme_id=programme,
                cohort_id=cohort,
                producer="intake",
            ),
        )
        ended = await read_events(
            kafka_bootstrap,
            MATCHES.name,
            lambda e: e.partner_id == partner and e.event_type == "match.ended",
            expected=1,
        )
        assert ended[0].payload["match_id"] == second_proposal["id"]
        assert ended[0].payload["reason_code"] == "withdrew"
        third = (await http.post(f"/cohorts/{cohort}/matching-runs", headers=h)).json()
        assert third["proposals"] == []
        assert third["mentors_considered"] == 0

        # Erasure: everything about her goes; her proposals too.
        await publish(
            kafka_bootstrap,
            envelope(
                ParticipantErased(participant_id=second),
                partner_id=partner,
                subject_id=second,
                producer="intake",
            ),
        )

        async def erased() -> bool:
            got = await http.get(f"/proposals/{second_proposal['id']}", headers=h)
            return got.status_code == 404

        await wait_until(erased, what="erasure consumed")
        pool = select(func.count()).select_from(PoolMember)
        assert await _count(app, pool.where(PoolMember.participant_id == second)) == 0

        # A mentor accepted for the programme (no cohort) is offered to each of its cohorts;
        # once one match uses her capacity, the other cohort's proposal cannot be confirmed.
        shared_mentor, x, y = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        cohort_x, cohort_y = uuid.uuid4(), uuid.uuid4()
        await publish(
            kafka_bootstrap,
            accepted(partner, programme, None, shared_mentor, "mentor", 10),
            accepted(partner, programme, cohort_x, x, "mentee", 10),
            accepted(partner, programme, cohort_y, y, "mentee", 10),
            trained(partner, programme, shared_mentor),
        )

        async def shared_ready() -> bool:
            return await _count_trained(app, partner, 2) and (
                await _count(app, pool.where(PoolMember.participant_id.in_([x, y]))) == 2
            )

        await wait_until(shared_ready, what="programme-level mentor consumed")
        px = (await http.post(f"/cohorts/{cohort_x}/matching-runs", headers=h)).json()
        py = (await http.post(f"/cohorts/{cohort_y}/matching-runs", headers=h)).json()
        assert [p["mentor_id"] for p in px["proposals"] + py["proposals"]] == [
            str(shared_mentor)
        ] * 2
        ok = await http.post(f"/proposals/{px['proposals'][0]['id']}/confirm", headers=h)
        assert ok.status_code == 200
        full = await http.post(f"/proposals/{py['proposals'][0]['id']}/confirm", headers=h)
        assert full.status_code == 409
        assert "no capacity" in full.json()["detail"]
