"""The whole pipeline: five services as separate processes, a real broker and database.

The flow runs over HTTP only. Midway, reporting is killed with SIGKILL and restarted; the
final figures must still be exact: nothing lost, nothing counted twice.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator

import pytest

from tandem_shared.embedded_broker import free_port
from tandem_shared.http_client import ApiError, ServiceClient, eventually
from tandem_shared.local_stack import (
    SERVICE_PORTS,
    LocalStack,
    ServiceProcess,
    service_env,
    tail,
)

OPERATOR_KEY = "e2e-operator-key"
# Short group timeouts so consumer groups settle in about a second on Tansu.
FAST = {
    "CONSUMER_SESSION_TIMEOUT_MS": "3000",
    "CONSUMER_HEARTBEAT_INTERVAL_MS": "300",
    "CONSUMER_REBALANCE_TIMEOUT_MS": "3000",
    "RELAY_IDLE_POLL_S": "0.05",
    "RELAY_MAX_BACKOFF_S": "1.0",
    "LAG_REFRESH_S": "1.0",
    "METRICS_REFRESH_S": "0.5",
}


@pytest.fixture
def stack(embedded_broker_factory, throwaway_databases, tmp_path) -> Iterator[LocalStack]:
    broker = embedded_broker_factory()
    services = []
    for name in SERVICE_PORTS:
        port = free_port()
        env = service_env(
            name,
            database_url=throwaway_databases.create(name),
            bootstrap=broker.bootstrap,
            operator_key=OPERATOR_KEY,
            port=port,
            **FAST,
        )
        services.append(ServiceProcess(name, port, env, tmp_path / f"{name}.log"))
    local = LocalStack(services)
    try:
        local.start(timeout_s=120)
        yield local
    finally:
        local.stop()
        for service in services:  # shown by pytest only when the test fails
            print(f"----- {service.name} log tail -----\n{tail(service.log_path, 30)}")


def clients(stack: LocalStack, key: str) -> dict[str, ServiceClient]:
    return {name: ServiceClient(stack[name].url, key) for name in SERVICE_PORTS}


def person(i: int, role: str, cohort_id: str) -> dict:
    base = {
        "cohort_id": cohort_id,
        "full_name": f"E2E {role.title()} {i}",
        "email": f"{role}{i}@example.org",
        "date_of_birth": f"1990-05-0{i + 1}",
        "area": ["hackney", "camden", "lambeth", "newham"][i % 4],
        "gender": "female",
        "skills": ["cv_writing", "interviews", "english"],
        "interests": ["cooking", "reading"],
        "languages": ["en"],
        "availability": ["tue_eve", "sat_am"],
    }
    if role == "mentee":
        base |= {
            "focus_area": "employment",
            "goals": ["cv_writing"],
            "immigration_status": "asylum seeker",
        }
    return base


def test_pipeline_end_to_end_survives_a_killed_consumer(stack: LocalStack) -> None:
    today = dt.date.today()
    op = clients(stack, OPERATOR_KEY)

    # -- intake: the operator registers two charities and a funder -------------------------
    charity = op["intake"].post(
        "/partners",
        {
            "slug": f"refuge-{uuid.uuid4().hex[:6]}",
            "name": "Refugee Women Mentoring",
            "kind": "charity",
        },
    )
    other = op["intake"].post(
        "/partners",
        {"slug": f"other-{uuid.uuid4().hex[:6]}", "name": "Another Charity", "kind": "charity"},
    )
    funder = op["intake"].post(
        "/partners",
        {"slug": f"fund-{uuid.uuid4().hex[:6]}", "name": "Bursary Foundation", "kind": "funder"},
    )
    a = clients(stack, charity["api_key"])
    b = clients(stack, other["api_key"])
    f = clients(stack, funder["api_key"])

    programme = a["intake"].post(
        "/programmes",
        {
            "slug": "mentoring",
            "name": "One-to-one mentoring",
            "programme_type": "refugee_women",
            "duration_weeks": 17,
            "target_meetings": 10,
            "required_training_hours": 10,
            "focus_areas": ["employment", "volunteering", "education", "new_skills"],
            "matching_weights": {"location": 1, "age": 1, "skills": 1, "interests": 1},
        },
    )
    cohort = a["intake"].post(
        "/cohorts",
        {
            "programme_id": programme["programme_id"],
            "slug": "autumn",
            "applications_open": str(today - dt.timedelta(days=30)),
            "starts_on": str(today + dt.timedelta(days=1)),
            "ends_on": str(today + dt.timedelta(days=150)),
        },
    )
    cohort_id = cohort["cohort_id"]

    # -- intake: three mentors apply, four mentees are referred; one referral declined -------
    mentors = [a["intake"].post("/applications", person(i, "mentor", cohort_id)) for i in range(3)]
    mentees = [a["intake"].post("/referrals", person(i, "mentee", cohort_id)) for i in range(4)]
    for app in mentors + mentees[:3]:
        a["intake"].post(f"/applications/{app['application_id']}/accept", {"checks_passed": True})
    a["intake"].post(
        f"/applications/{mentees[3]['application_id']}/decline", {"reason_code": "not_eligible"}
    )

    # Isolation: the other partner cannot see this partner's objects.
    with pytest.raises(ApiError) as denied:
        b["intake"].get(f"/applications/{mentors[0]['application_id']}")
    assert denied.value.status == 404

    # -- crash: reporting dies mid-stream, with events still flowing to it -------------------
    stack["reporting"].kill()

    # -- sessions: each mentor completes her 10 hours of training ---------------------------
    for mentor in mentors:
        pid = mentor["participant_id"]
        eventually(
            lambda pid=pid: a["sessions"].post(
                "/training",
                {
                    "participant_id": pid,
                    "hours": 6,
                    "completed_on": str(today),
                    "module": "induction_day",
                },
            ),
            what="sessions knows the mentor",
        )
        a["sessions"].post(
            "/training",
            {"participant_id": pid, "hours": 4, "completed_on": str(today), "module": "evening"},
        )

    # -- matching: once the pool holds everyone, one run proposes all three; confirm -------
    eventually(
        lambda: a["matching"].get(f"/cohorts/{cohort_id}/pool"),
        lambda pool: (
            pool["programme_known"] and pool["mentees_waiting"] == 3 and pool["mentors_ready"] == 3
        ),
        what="the matching pool to fill",
    )
    run = a["matching"].post(f"/cohorts/{cohort_id}/matching-runs", {"mode": "max_total"})
    assert len(run["proposals"]) == 3, run["unmatched"]
    matches = [
        a["matching"].post(f"/proposals/{p['id']}/confirm")["match_id"] for p in run["proposals"]
    ]
    assert {p["mentee_id"] for p in run["proposals"]} == {m["participant_id"] for m in mentees[:3]}

    stack["reporting"].start()  # back from the crash, with its database intact
    stack["reporting"].wait_healthy()

    # -- sessions: two meetings per match; two complete, one ends early ----------------------
    for i, match_id in enumerate(matches):
        eventually(
            lambda m=match_id: a["sessions"].get(f"/matches/{m}"), what="sessions knows the match"
        )
        for _ in range(2):
            a["sessions"].post(
                f"/matches/{match_id}/sessions",
                {
                    "met_on": str(today),
                    "duration_minutes": 60,
                    "mode": "in_person",
                    "topics": ["cv_writing"],
                    "competencies": [],
                },
            )
        closure = (
            {"closure": "completed", "closed_on": str(today)}
            if i < 2
            else {"closure": "ended_early", "reason_code": "relocated", "closed_on": str(today)}
        )
        a["sessions"].post(f"/matches/{match_id}/close", closure)
    with pytest.raises(ApiError) as denied:
        b["sessions"].get(f"/matches/{matches[0]}")
    assert denied.value.status == 404

    # -- bursaries: a fund; a programme mentee applies, is interviewed, and is awarded -------
    fund = f["bursaries"].post(
        "/funds", {"slug": "vocational", "budget_pence": 1_000_000, "award_cap_pence": 500_000}
    )
    mentee_id = mentees[0]["participant_id"]
    bursary = eventually(
        lambda: a["bursaries"].post(
            "/bursary-applications",
            {
                "participant_id": mentee_id,
                "fund_id": fund["fund_id"],
                "course_type": "vocational",
                "requested_pence": {"course_fees": 350_000, "childcare": 50_000},
            },
        ),
        what="bursaries knows the mentee",
    )
    award_id = bursary["bursary_application_id"]
    with pytest.raises(ApiError) as over_cap:
        f["bursaries"].post(
            f"/bursary-applications/{award_id}/award", {"by_category": {"course_fees": 600_000}}
        )
    assert over_cap.value.status == 422
    f["bursaries"].post(
        f"/bursary-applications/{award_id}/award",
        {"by_category": {"course_fees": 350_000, "childcare": 50_000}},
    )

    # -- reporting: exact figures, from events only ------------------------------------------
    expected = {
        ("applications", "mentor"): 3,
        ("applications", "mentee"): 4,
        ("accepted", "mentor"): 3,
        ("accepted", "mentee"): 3,
        ("declined", "mentee"): 1,
        ("mentors_trained",): 3,
        ("matches_proposed",): 3,
        ("matches_made",): 3,
        ("mentees_matched",): 3,
        ("meetings",): 6,
        ("matches_completed",): 2,
        ("matches_ended_early",): 1,
        ("bursaries", "awarded"): 1,
        ("bursaries", "awarded_amount_pence"): 400_000,
    }

    def figures():
        return a["reporting"].get("/reports/partner")["figures"]

    def matches_expected(fig) -> bool:
        return all(_dig(fig, path) == value for path, value in expected.items())

    try:
        eventually(
            figures, matches_expected, timeout_s=90, interval_s=0.5, what="reporting figures"
        )
    except TimeoutError:
        fig = figures()
        pytest.fail(
            "reporting figures differ: "
            + ", ".join(
                f"{'.'.join(p)}={_dig(fig, p)} (want {v})"
                for p, v in expected.items()
                if _dig(fig, p) != v
            )
        )
    time.sleep(3)  # a double count from redelivery would arrive now
    final = figures()
    assert {p: _dig(final, p) for p in expected} == expected
    assert final["acceptance_rate"] == pytest.approx(6 / 7, abs=1e-3)
    assert final["completion_rate"] == pytest.approx(2 / 3, abs=1e-3)

    cohort_figures = a["reporting"].get(f"/reports/cohorts/{cohort_id}")["figures"]
    assert cohort_figures["matches_made"] == 3
    assert b["reporting"].status_of("GET", f"/reports/cohorts/{cohort_id}") == 404
    other_fig = b["reporting"].get("/reports/partner")["figures"]
    assert other_fig["applications"]["total"] == 0


def _dig(figures: dict, path: tuple[str, ...]):
    value = figures
    for part in path:
        value = value[part]
    return value
