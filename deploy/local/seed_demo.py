"""Seed the `make run` demo over the public APIs, as a partner would use them.

Creates a refugee women's mentoring charity, a schools programme with two school–employer
partnerships, and a bursary foundation with a fund; then drives the refugee cohort through
the whole flow (applications, training, matching, meetings, closure, surveys, a bursary),
so the reports already show figures. Writes the API keys to var/demo-keys.json.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from tandem_shared.http_client import ServiceClient, eventually
from tandem_shared.local_stack import LocalStack

AREAS = ["hackney", "camden", "lambeth", "newham", "islington", "southwark", "brent"]
SKILLS = ["cv_writing", "interviews", "english", "it_basics", "networking", "finance"]
INTERESTS = ["cooking", "reading", "football", "music", "art", "walking"]
SLOTS = ["mon_eve", "tue_eve", "wed_eve", "sat_am", "sat_pm", "sun_pm"]
COMPETENCIES = [
    "communication",
    "teamwork",
    "problem_solving",
    "self_management",
    "resilience",
    "creativity",
    "aiming_high",
]


def step(message: str) -> None:
    print(f"  · {message}", flush=True)


def seed(stack: LocalStack, operator_key: str, keys_file: Path) -> None:
    rng = random.Random(7)
    today = dt.date.today()

    def api(service: str, key: str) -> ServiceClient:
        return ServiceClient(stack[service].url, key)

    intake = api("intake", operator_key)
    step("registering partners: a refugee women's charity, a schools charity, a funder")
    refuge = intake.post(
        "/partners",
        {
            "slug": "refugee-women-london",
            "kind": "charity",
            "name": "Refugee Women Mentoring (demo)",
        },
    )
    schools = intake.post(
        "/partners",
        {
            "slug": "schools-mentoring",
            "kind": "charity",
            "name": "Schools Business Mentoring (demo)",
        },
    )
    foundation = intake.post(
        "/partners",
        {
            "slug": "bursary-foundation",
            "kind": "funder",
            "name": "Vocational Bursary Foundation (demo)",
        },
    )
    keys = {
        "operator": operator_key,
        "refugee-women-london": refuge["api_key"],
        "schools-mentoring": schools["api_key"],
        "bursary-foundation": foundation["api_key"],
    }
    keys_file.write_text(json.dumps(keys, indent=2) + "\n")

    r = {s: api(s, refuge["api_key"]) for s in ("intake", "sessions", "matching", "bursaries")}
    s_intake = api("intake", schools["api_key"])
    funder = api("bursaries", foundation["api_key"])

    step("schools programme with two school–employer partnerships")
    school_prog = s_intake.post(
        "/programmes",
        {
            "slug": "schools-2026",
            "name": "Business mentoring for schools",
            "programme_type": "schools",
            "duration_weeks": 43,
            "target_meetings": 10,
            "required_training_hours": 3,
            "focus_areas": ["employment", "education"],
            "partnerships": [
                {"school_id": "hackney-academy", "employer_ids": ["city-bank"]},
                {"school_id": "riverside-sen-school", "employer_ids": ["law-firm"]},
            ],
            "competencies": COMPETENCIES,
        },
    )
    s_intake.post(
        "/cohorts",
        {
            "programme_id": school_prog["programme_id"],
            "slug": "2026-27",
            "applications_open": str(today - dt.timedelta(days=20)),
            "starts_on": str(today + dt.timedelta(days=10)),
            "ends_on": str(today + dt.timedelta(days=300)),
        },
    )

    step("refugee women's programme and its autumn cohort")
    prog = r["intake"].post(
        "/programmes",
        {
            "slug": "mentoring-programme",
            "name": "One-to-one mentoring",
            "programme_type": "refugee_women",
            "duration_weeks": 17,
            "target_meetings": 10,
            "required_training_hours": 10,
            "focus_areas": ["employment", "volunteering", "education", "new_skills"],
            "matching_weights": {
                "location": 1,
                "age": 1,
                "skills": 1.5,
                "interests": 1,
                "language": 0.5,
                "availability": 0.5,
            },
        },
    )
    cohort = r["intake"].post(
        "/cohorts",
        {
            "programme_id": prog["programme_id"],
            "slug": "autumn",
            "applications_open": str(today - dt.timedelta(days=60)),
            "starts_on": str(today + dt.timedelta(days=1)),
            "ends_on": str(today + dt.timedelta(days=140)),
        },
    )

    def profile(role: str, i: int) -> dict:
        data = {
            "cohort_id": cohort["cohort_id"],
            "full_name": f"Demo {role} {i}",
            "email": f"demo-{role}-{i}@example.org",
            "date_of_birth": str(dt.date(1975 + rng.randrange(25), 1 + i % 12, 1 + i)),
            "area": rng.choice(AREAS),
            "gender": "female",
            "skills": rng.sample(SKILLS, 3),
            "interests": rng.sample(INTERESTS, 2),
            "languages": ["en", *rng.sample(["ar", "fa", "ti", "fr"], 1)],
            "availability": rng.sample(SLOTS, 3),
        }
        if role == "mentee":
            data |= {
                "focus_area": rng.choice(["employment", "education", "new_skills"]),
                "goals": rng.sample(SKILLS, 2),
            }
        return data

    step("8 mentors apply, 8 mentees are referred; screening accepts 7 + 7")
    mentors = [r["intake"].post("/applications", profile("mentor", i)) for i in range(8)]
    mentees = [r["intake"].post("/referrals", profile("mentee", i)) for i in range(8)]
    for app in mentors[:7] + mentees[:7]:
        r["intake"].post(f"/applications/{app['application_id']}/accept", {"checks_passed": True})
    r["intake"].post(f"/applications/{mentors[7]['application_id']}/waitlist")
    r["intake"].post(
        f"/applications/{mentees[7]['application_id']}/decline", {"reason_code": "outside_area"}
    )

    step("mentors complete their 10 hours of training (a full day and an evening)")
    for m in mentors[:7]:
        pid = m["participant_id"]
        eventually(
            lambda pid=pid: r["sessions"].post(
                "/training",
                {
                    "participant_id": pid,
                    "hours": 7,
                    "completed_on": str(today),
                    "module": "full_day",
                },
            ),
            what="sessions to learn of the mentor",
        )
        r["sessions"].post(
            "/training",
            {"participant_id": pid, "hours": 3, "completed_on": str(today), "module": "evening"},
        )

    step("matching the cohort once its pool holds everyone")
    eventually(
        lambda: r["matching"].get(f"/cohorts/{cohort['cohort_id']}/pool"),
        lambda pool: (
            pool["programme_known"] and pool["mentees_waiting"] == 7 and pool["mentors_ready"] == 7
        ),
        what="the matching pool to fill",
    )
    run = r["matching"].post(f"/cohorts/{cohort['cohort_id']}/matching-runs", {})
    matches = [
        r["matching"].post(f"/proposals/{p['id']}/confirm")["match_id"] for p in run["proposals"]
    ]

    step("meetings, surveys and closure for each match")
    for i, match_id in enumerate(matches):
        eventually(
            lambda m=match_id: r["sessions"].get(f"/matches/{m}"),
            what="sessions to learn of the match",
        )
        r["sessions"].post(
            f"/matches/{match_id}/surveys",
            {
                "respondent_role": "mentee",
                "kind": "baseline",
                "scores": {"skills_knowledge": 2, "self_confidence": 2, "networks": 1},
            },
        )
        for _ in range(rng.randrange(3, 8)):
            r["sessions"].post(
                f"/matches/{match_id}/sessions",
                {
                    "met_on": str(today),
                    "duration_minutes": rng.choice([45, 60, 90]),
                    "mode": rng.choice(["in_person", "online"]),
                    "topics": rng.sample(SKILLS, 1),
                    "competencies": [],
                },
            )
        if i < 6:
            r["sessions"].post(
                f"/matches/{match_id}/surveys",
                {
                    "respondent_role": "mentee",
                    "kind": "exit",
                    "scores": {
                        "skills_knowledge": 4,
                        "self_confidence": rng.choice([2, 4, 5]),
                        "networks": 3,
                    },
                },
            )
            r["sessions"].post(
                f"/matches/{match_id}/close", {"closure": "completed", "closed_on": str(today)}
            )
            r["sessions"].post(
                f"/matches/{match_id}/outcomes",
                {
                    "months_after_completion": 6,
                    "outcomes": [rng.choice(["job", "course", "volunteering"])],
                },
            )

    step("the foundation opens a fund; a mentee applies, is interviewed and awarded")
    fund = funder.post(
        "/funds", {"slug": "vocational-2026", "budget_pence": 5_500_000, "award_cap_pence": 500_000}
    )
    alumna = run["proposals"][0]["mentee_id"]
    bursary = eventually(
        lambda: r["bursaries"].post(
            "/bursary-applications",
            {
                "participant_id": alumna,
                "fund_id": fund["fund_id"],
                "course_type": "vocational",
                "requested_pence": {"course_fees": 320_000, "childcare": 80_000},
            },
        ),
        what="bursaries to learn of the mentee",
    )
    funder.post(
        f"/bursary-applications/{bursary['bursary_application_id']}/award",
        {"by_category": {"course_fees": 320_000, "childcare": 80_000}},
    )
    step(f"done; API keys written to {keys_file}")
