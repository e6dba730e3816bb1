"""Reporting through the real broker and database: exact figures per partner from a realistic
set of events (with a duplicate delivery), isolation, export suppression, gauges, rebuild."""

from __future__ import annotations

import uuid
from datetime import date

from tandem_reporting.bootstrap import create_app
from tandem_reporting.settings import ReportingSettings
from tandem_shared.events.bursaries import BursaryAwarded, BursaryPaid
from tandem_shared.events.intake import (
    ApplicationAccepted,
    ApplicationDeclined,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    CohortOpened,
    MatchingProfile,
    ProgrammeCreated,
)
from tandem_shared.events.matching import MatchMade, MatchProposed
from tandem_shared.events.sessions import (
    MatchClosed,
    MentorTrainingCompleted,
    OutcomeRecorded,
    SessionLogged,
    SurveySubmitted,
)
from tandem_shared.testing.apps import OPERATOR_KEY, serving
from tandem_shared.testing.events import envelope, partner_registered, publish, wait_until
from tandem_shared.testing.plugin import settings_for_tests


def settings(database_url: str, bootstrap: str) -> ReportingSettings:
    return settings_for_tests(
        "reporting",
        database_url,
        bootstrap,
        settings_class=ReportingSettings,
        operator_key=OPERATOR_KEY,
        metrics_refresh_s=0.2,
    )


class Charity:
    """Builds one partner's events (each carries partner, programme and cohort)."""

    def __init__(self, slug: str) -> None:
        self.partner = uuid.uuid4()
        self.key = f"key-{slug}-{uuid.uuid4().hex}"
        self.slug = f"{slug}-{self.partner.hex[:8]}"
        self.programme, self.cohort = uuid.uuid4(), uuid.uuid4()

    def ev(self, payload, subject, *, bare: bool = False, producer: str = "test"):
        return envelope(
            payload,
            partner_id=self.partner,
            subject_id=subject,
            programme_id=None if bare else self.programme,
            cohort_id=None if bare else self.cohort,
            producer=producer,
        )

    def setup(self):
        return [
            partner_registered(self.partner, self.key, self.slug),
            self.ev(
                ProgrammeCreated(
                    programme_id=self.programme,
                    slug="mentoring",
                    programme_type="refugee_women",
                    duration_weeks=17,
                    target_meetings=10,
                    required_training_hours=10,
                    focus_areas=["employment"],
                ),
                self.programme,
            ),
            self.ev(
                CohortOpened(
                    cohort_id=self.cohort,
                    programme_id=self.programme,
                    slug="oct-2026",
                    applications_open=date(2026, 8, 5),
                    starts_on=date(2026, 10, 1),
                    ends_on=date(2027, 2, 28),
                ),
                self.programme,
            ),
        ]

    def apply(self, role: str, outcome: str | None):
        pid, app = uuid.uuid4(), uuid.uuid4()
        route = "application" if role == "mentor" else "referral"
        events = [
            self.ev(
                ApplicationSubmitted(
                    application_id=app, participant_id=pid, role=role, route=route
                ),
                pid,
            )
        ]
        if outcome == "accepted":
            profile = MatchingProfile(checks_passed=True)
            events.append(
                self.ev(
                    ApplicationAccepted(
                        application_id=app, participant_id=pid, role=role, profile=profile
                    ),
                    pid,
                )
            )
        elif outcome == "declined":
            events.append(
                self.ev(
                    ApplicationDeclined(
                        application_id=app, participant_id=pid, role=role, reason_code="x"
                    ),
                    pid,
                )
            )
        return pid, app, events


def survey(c: Charity, match, mentee, kind, scores):
    return c.ev(
        SurveySubmitted(
            survey_id=uuid.uuid4(),
            match_id=match,
            participant_id=mentee,
            respondent_role="mentee",
            kind=kind,
            scores=scores,
        ),
        match,
    )


def scenario_a(a: Charity):
    events = a.setup()
    mentors, mentees = [], []
    for _ in range(3):
        pid, _, evs = a.apply("mentor", "accepted")
        mentors.append(pid)
        events += evs
    for _ in range(5):
        pid, app, evs = a.apply("mentee", "accepted")
        mentees.append((pid, app))
        events += evs
    events += a.apply("mentee", "declined")[2]
    for m in mentors[:2]:
        events.append(
            a.ev(
                MentorTrainingCompleted(
                    participant_id=m,
                    hours_completed=10,
                    required_hours=10,
                    completed_on=date.today(),
                ),
                m,
            )
        )
    run = uuid.uuid4()
    m1, m2, m3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    (e1, _), (e2, _), (e3, _) = mentees[:3]
    for match, mentee, mentor in ((m1, e1, mentors[0]), (m2, e2, mentors[1]), (m3, e3, mentors[0])):
        events.append(
            a.ev(
                MatchProposed(
                    match_id=match, run_id=run, mentee_id=mentee, mentor_id=mentor, score=0.7
                ),
                match,
            )
        )
    for match, mentee, mentor, days in ((m1, e1, mentors[0], 10), (m2, e2, mentors[1], 20)):
        events.append(
            a.ev(
                MatchMade(
                    match_id=match, mentee_id=mentee, mentor_id=mentor, score=0.7, days_waited=days
                ),
                match,
            )
        )
    for match, n in ((m1, 3), (m2, 2)):
        for i in range(1, n + 1):
            events.append(
                a.ev(
                    SessionLogged(
                        session_id=uuid.uuid4(),
                        match_id=match,
                        met_on=date(2026, 10, i),
                        duration_minutes=60,
                        mode="in_person",
                        meeting_number=i,
                    ),
                    match,
                    bare=(i == 1),  # no programme/cohort: keyed by the match
                )
            )
    for match, mentee, mentor, closure in (
        (m1, e1, mentors[0], "completed"),
        (m2, e2, mentors[1], "ended_early"),
    ):
        events.append(
            a.ev(
                MatchClosed(
                    match_id=match,
                    mentee_id=mentee,
                    mentor_id=mentor,
                    closure=closure,
                    reason_code=None if closure == "completed" else "moved_away",
                    closed_on=date(2027, 2, 1),
                    meetings_held=3,
                ),
                match,
            )
        )
    events += [
        survey(a, m1, e1, "baseline", {"networks": 2, "self_confidence": 3}),
        survey(a, m1, e1, "exit", {"networks": 4, "self_confidence": 3}),
        survey(a, m2, e2, "exit", {"networks": 2}),  # exit before baseline
        survey(a, m2, e2, "baseline", {"networks": 3}),
    ]
    for mentee, match, months, outcomes in (
        (e1, m1, 6, ["course"]),
        (e2, m2, 6, ["none"]),
        (e1, m1, 12, ["job"]),  # after six months: not counted
    ):
        events.append(
            a.ev(
                OutcomeRecorded(
                    outcome_id=uuid.uuid4(),
                    match_id=match,
                    participant_id=mentee,
                    months_after_completion=months,
                    outcomes=outcomes,
                ),
                match,
            )
        )
    bursary, fund = uuid.uuid4(), uuid.uuid4()
    events.append(
        a.ev(
            BursaryAwarded(
                bursary_application_id=bursary,
                fund_id=fund,
                participant_id=e1,
                amount_pence=400000,
                by_category={"course_fees": 320000, "childcare": 80000},
                start_by=date(2027, 12, 1),
                fund_remaining_pence=5100000,
            ),
            bursary,
            bare=True,
        )
    )
    for category, amount in (("course_fees", 320000), ("childcare", 80000)):
        events.append(
            a.ev(
                BursaryPaid(
                    bursary_application_id=bursary,
                    fund_id=fund,
                    payment_id=uuid.uuid4(),
                    category=category,
                    amount_pence=amount,
                ),
                bursary,
                bare=True,
            )
        )
    # A duplicate delivery (same event_id) of the last mentee's acceptance, then her
    # withdrawal on the same key: once the withdrawal is counted, the duplicate was handled.
    pid, app = mentees[-1]
    accepted = next(
        e for e in events if e.event_type == "application.accepted" and e.subject_id == str(pid)
    )
    events += [
        accepted,
        a.ev(ApplicationWithdrawn(application_id=app, participant_id=pid, role="mentee"), pid),
    ]
    return events


EXPECTED_A = {
    "applications": {"mentor": 3, "mentee": 6, "total": 9},
    "referrals": 6,
    "accepted": {"mentor": 3, "mentee": 5, "total": 8},
    "declined": {"mentor": 0, "mentee": 1, "total": 1},
    "withdrawn": {"mentor": 0, "mentee": 1, "total": 1},
    "acceptance_rate": 0.8889,
    "mentors_trained": 2,
    "matches_proposed": 3,
    "matches_made": 2,
    "mentees_matched": 2,
    "matched_share": 0.4,
    "mean_days_to_match": 15.0,
    "meetings": 5,
    "meetings_per_match": 2.5,
    "matches_completed": 1,
    "matches_ended_early": 1,
    "completion_rate": 0.5,
    "survey_improvement": {
        "mentee": {
            "networks": {"respondents": 2, "improved": 1, "rate": 0.5},
            "self_confidence": {"respondents": 1, "improved": 0, "rate": 0.0},
        }
    },
    "outcomes_within_six_months": {"followed_up": 2, "job_or_course": 1, "rate": 0.5},
}


def subset(figures: dict) -> dict:
    return {k: figures[k] for k in EXPECTED_A}


async def test_figures_isolation_export_metrics_and_rebuild(database_url, kafka_bootstrap):
    a, b = Charity("a"), Charity("b")
    events_a = scenario_a(a)
    events_b = b.setup()
    _, _, evs = b.apply("mentee", "accepted")
    events_b += evs + b.apply("mentee", None)[2]

    app = create_app(settings(database_url, kafka_bootstrap))
    async with serving(app) as http:
        ha = {"Authorization": f"Bearer {a.key}"}
        hb = {"Authorization": f"Bearer {b.key}"}
        await publish(kafka_bootstrap, *events_a, *events_b)

        async def report(headers) -> dict | None:
            r = await http.get("/reports/partner", headers=headers)
            return r.json() if r.status_code == 200 else None

        async def a_complete() -> bool:
            # Events of different topics are projected in no fixed order across topics: wait
            # for every expected figure, not for one topic's last event.
            got = await report(ha)
            return (
                bool(got)
                and subset(got["figures"]) == EXPECTED_A
                and got["figures"]["bursaries"]["paid_pence"] == 400000
            )

        await wait_until(a_complete, what="partner A's events projected")

        got = await report(ha)
        assert got["slug"] == a.slug
        assert subset(got["figures"]) == EXPECTED_A
        bursaries = got["figures"]["bursaries"]
        assert bursaries["awarded"] == 1
        assert bursaries["awarded_amount_gbp"] == 4000.0
        assert bursaries["spend_by_category"]["course_fees"]["amount_pence"] == 320000
        assert bursaries["spend_by_category"]["childcare"]["amount_pence"] == 80000
        programmes = {p["programme_id"]: p for p in got["programmes"]}
        assert set(programmes) == {str(a.programme), None}
        programme = programmes[str(a.programme)]
        assert programme["slug"] == "mentoring"
        # bursary events carried no programme: they count for the partner outside programmes
        assert programmes[None]["figures"]["bursaries"]["awarded"] == 1
        cohorts = {c["cohort_id"]: c for c in programme["cohorts"]}
        assert subset(cohorts[str(a.cohort)]["figures"]) == EXPECTED_A
        assert cohorts[str(a.cohort)]["figures"]["bursaries"]["awarded"] == 0

        cohort = await http.get(f"/reports/cohorts/{a.cohort}", headers=ha)
        assert cohort.status_code == 200
        assert cohort.json()["slug"] == "oct-2026"
        assert subset(cohort.json()["figures"]) == EXPECTED_A

        # Partner B: its own figures only, and A's cohort does not exist for it.
        async def b_complete() -> bool:
            got_b = await report(hb)
            return bool(got_b) and got_b["figures"]["applications"]["total"] == 2

        await wait_until(b_complete, what="partner B's events projected")
        fb = (await report(hb))["figures"]
        assert fb["applications"] == {"mentor": 0, "mentee": 2, "total": 2}
        assert fb["accepted"]["mentee"] == 1
        assert fb["meetings"] == 0
        assert (await http.get(f"/reports/cohorts/{a.cohort}", headers=hb)).status_code == 404
        assert (await http.get(f"/reports/cohorts/{uuid.uuid4()}", headers=ha)).status_code == 404
        assert (await http.get("/reports/partner")).status_code == 401
        operator = {"Authorization": f"Bearer {OPERATOR_KEY}"}
        assert (await http.get("/reports/partner", headers=operator)).status_code == 403

        # Export: counts under 5 suppressed.
        export = (await http.get("/reports/partner/export", headers=ha)).json()["figures"]
        assert export["applications"]["mentee"] == {"value": 6, "suppressed": False}
        assert export["applications"]["mentor"] == {"value": None, "suppressed": True}
        assert export["matches_made"] == {"value": None, "suppressed": True}
        assert export["meetings"] == {"value": 5, "suppressed": False}
        assert export["meetings_per_match"] == {"value": None, "suppressed": True}

        # Prometheus: partner and programme slugs as labels, never a person.
        expected_lines = [
            f'tandem_impact_applications{{partner="{a.slug}",programme="mentoring",role="mentee"}}'
            " 6.0",
            f'tandem_impact_matches_made{{partner="{a.slug}",programme="mentoring"}} 2.0',
            f'tandem_impact_meetings{{partner="{a.slug}",programme="mentoring"}} 5.0',
            f'tandem_impact_bursary_awarded_amount_gbp{{partner="{a.slug}"}} 4000.0',
        ]

        async def scraped() -> str | None:
            # The gauges come from a snapshot refreshed in the background: an early one may
            # predate the last events, so wait for the final values rather than any value.
            r = await http.get("/metrics", headers=operator)
            assert r.status_code == 200
            return r.text if all(line in r.text for line in expected_lines) else None

        await wait_until(scraped, what="impact gauges in /metrics")
        text = await scraped()
        assert text is not None
        impact = [line for line in text.splitlines() if line.startswith("tandem_impact_")]
        people = {str(p) for e in events_a for p in (e.subject_id,)}
        assert not any(p in line for line in impact for p in people)
        assert (await http.get("/metrics", headers=ha)).status_code == 403

        # Rebuild by replay: the same figures come back, nothing double-counted.
        assert (await http.post("/admin/rebuild", headers=ha)).status_code == 403
        rebuilt = await http.post("/admin/rebuild", headers=operator)
        assert rebuilt.status_code == 202, rebuilt.text
        await wait_until(a_complete, what="read model rebuilt")
        again = await report(ha)
        assert subset(again["figures"]) == EXPECTED_A
        assert again["figures"]["bursaries"]["awarded"] == 1
