"""Unit tests for each compatibility factor, score_pair, and the vectorised scorer's agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_matching.engine import (
    FACTORS,
    FactorWeights,
    Mentee,
    Mentor,
    ProgrammeRules,
    distance_km,
    hard_rule_violations,
    score_pair,
)
from tandem_matching.engine.candidates import BlockScorer
from tandem_matching.engine.factors import (
    age_value,
    availability_value,
    interests_value,
    language_value,
    location_value,
    skills_value,
)
from tandem_matching.engine.london_areas import AREAS
from tandem_matching.engine.selection import SelectionScorer

KEY = ("partner", "programme", "cohort")


def ee(**kw) -> Mentee:
    return Mentee(kw.pop("participant_id", "ee1"), *KEY, **kw)


def mr(**kw) -> Mentor:
    kw.setdefault("trained", True)
    kw.setdefault("checked", True)
    return Mentor(kw.pop("participant_id", "mr1"), *KEY, **kw)


RULES = ProgrammeRules()


# -- location ---------------------------------------------------------------------------------


def test_area_table_has_32_boroughs_and_the_city():
    assert len(AREAS) == 33
    assert "city_of_london" in AREAS
    assert distance_km("camden", "camden") == 0.0
    assert 8 < distance_km("camden", "croydon") < 25
    assert distance_km("camden", "atlantis") is None


def test_location_same_area_scores_one():
    assert location_value(ee(area="hackney"), mr(area="hackney"), RULES) == 1.0


def test_location_falls_linearly_with_distance_against_both_radii():
    a = ee(area="camden", travel_radius_km=5, online_ok=False)
    b = mr(area="islington", travel_radius_km=5, online_ok=False)
    d = distance_km("camden", "islington")
    assert location_value(a, b, RULES) == pytest.approx(1 - d / 10)


def test_location_out_of_reach_uses_online_when_both_accept():
    far_a = ee(area="havering", travel_radius_km=2, online_ok=True)
    far_b = mr(area="hillingdon", travel_radius_km=2, online_ok=True)
    assert location_value(far_a, far_b, RULES) == RULES.online_location_value
    no_online = ProgrammeRules(online_allowed=False)
    assert location_value(far_a, far_b, no_online) == 0.0
    offline_b = mr(area="hillingdon", travel_radius_km=2, online_ok=False)
    assert location_value(far_a, offline_b, RULES) == 0.0


def test_location_unknown_area_is_online_only_or_neutral():
    a = ee(area="narnia", online_ok=True)
    assert location_value(a, mr(area="camden", online_ok=True), RULES) == 0.5
    rules = ProgrammeRules(online_location_value=0.7)
    assert location_value(a, mr(area="camden", online_ok=True), rules) == 0.7
    assert location_value(a, mr(area="camden", online_ok=False), rules) == 0.5  # neutral


def test_location_zero_radius():
    a, b = ee(area="camden", travel_radius_km=0), mr(area="camden", travel_radius_km=0)
    assert location_value(a, b, RULES) == 1.0
    a = ee(area="camden", travel_radius_km=0, online_ok=False)
    assert location_value(a, mr(area="hackney", travel_radius_km=0), RULES) == 0.0


# -- age --------------------------------------------------------------------------------------


def test_age_within_preferred_gap_scores_one_then_falls_off():
    rules = ProgrammeRules(preferred_max_age_gap=10, age_gap_falloff_years=10)
    assert age_value(ee(age=30), mr(age=40), rules) == 1.0
    assert age_value(ee(age=30), mr(age=45), rules) == pytest.approx(0.5)
    assert age_value(ee(age=30), mr(age=60), rules) == 0.0
    assert age_value(ee(age=50), mr(age=35), rules) == pytest.approx(0.5)  # gap is symmetric


def test_age_unknown_is_neutral():
    assert age_value(ee(age=None), mr(age=40), RULES) == 0.5


# -- skills -----------------------------------------------------------------------------------


FOCUS = {"employment": {"cv", "interview", "networking", "job_search"}}


def test_skills_cover_focus_area_and_goals_and_saturate():
    rules = ProgrammeRules(focus_area_skills=FOCUS, skills_target=3)
    mentee = ee(focus_area="employment", goals={"excel"})
    assert skills_value(mentee, mr(skills={"cv"}), rules) == pytest.approx(1 / 3)
    assert skills_value(mentee, mr(skills={"cv", "excel"}), rules) == pytest.approx(2 / 3)
    assert skills_value(mentee, mr(skills={"cv", "excel", "interview", "x"}), rules) == 1.0
    assert skills_value(mentee, mr(skills={"cooking"}), rules) == 0.0


def test_skills_small_relevant_set_normalises_by_its_size():
    rules = ProgrammeRules(skills_target=3)
    mentee = ee(goals={"excel"})  # no focus area configured: only her goals
    assert skills_value(mentee, mr(skills={"excel"}), rules) == 1.0
    assert skills_value(ee(), mr(skills={"excel"}), rules) == 0.5  # nothing to compare


# -- interests, language, availability ---------------------------------------------------------


def test_interests_overlap_coefficient():
    assert interests_value(ee(interests={"a", "b"}), mr(interests={"b", "c", "d"}), RULES) == 0.5
    assert interests_value(ee(interests={"a"}), mr(interests={"a", "z"}), RULES) == 1.0
    assert interests_value(ee(interests={"a"}), mr(interests={"z"}), RULES) == 0.0
    assert interests_value(ee(), mr(interests={"z"}), RULES) == 0.5


def test_language_shared_or_not():
    assert language_value(ee(languages={"ar", "en"}), mr(languages={"en"}), RULES) == 1.0
    assert language_value(ee(languages={"ar"}), mr(languages={"en"}), RULES) == 0.0
    assert language_value(ee(languages={"ar"}), mr(), RULES) == 0.5


def test_availability_shared_slots_saturate_at_target():
    rules = ProgrammeRules(availability_target=2)
    a = ee(availability={"mon_eve", "tue_eve", "sat_am"})
    assert availability_value(a, mr(availability={"mon_eve"}), rules) == 1.0  # her 1 of 1
    b = mr(availability={"mon_eve", "wed_eve", "thu_eve"})
    assert availability_value(a, b, rules) == 0.5
    assert availability_value(a, mr(availability={"sun_am"}), rules) == 0.0
    assert availability_value(a, mr(), rules) == 0.5


# -- score_pair ---------------------------------------------------------------------------------


def test_score_is_weighted_sum_with_each_contribution():
    rules = ProgrammeRules(
        weights=FactorWeights(location=2, age=0, skills=1, interests=1, language=0, availability=0),
        focus_area_skills=FOCUS,
    )
    a = ee(area="camden", focus_area="employment", interests={"x", "y"})
    b = mr(area="camden", skills={"cv"}, interests={"x"})
    result = score_pair(a, b, rules)
    assert [c.factor for c in result.contributions] == list(FACTORS)
    by = {c.factor: c for c in result.contributions}
    assert by["location"].weight == 0.5 and by["location"].value == 1.0
    assert by["skills"].weight == 0.25 and by["skills"].value == pytest.approx(1 / 3)
    assert by["interests"].contribution == pytest.approx(0.25)
    assert by["age"].contribution == 0.0
    assert result.score == pytest.approx(sum(c.contribution for c in result.contributions))
    assert result.score == pytest.approx(0.5 + 0.25 / 3 + 0.25)
    for c in result.contributions:
        assert c.contribution == pytest.approx(c.weight * c.value)


def test_weights_must_be_positive():
    with pytest.raises(ValueError):
        FactorWeights(0, 0, 0, 0, 0, 0).normalised()
    with pytest.raises(ValueError):
        FactorWeights(location=-1).normalised()


# -- hard rules (single pair) ---------------------------------------------------------------------


def test_hard_rules_each_named():
    rules = ProgrammeRules(requires_partnership=True, partnerships={"s1": {"emp1"}})
    a = ee(participant_id="a", school_id="s1", preferred_mentor_gender="f", conflicts={"b"})
    ok = mr(participant_id="b2", employer_id="emp1", gender="f")
    assert hard_rule_violations(a, ok, rules) == []
    bad = mr(participant_id="b", trained=False, checked=False, employer_id="emp2", gender="m")
    broken = hard_rule_violations(a, bad, rules, remaining_capacity=0, excluded_pairs={("a", "b")})
    assert broken == [
        "mentor_not_trained",
        "mentor_not_checked",
        "mentor_at_capacity",
        "school_employer_partnership",
        "mentee_preference",
        "conflict_of_interest",
        "excluded_pair",
    ]
    # a conflict declared by the mentor counts too
    assert hard_rule_violations(
        ee(participant_id="a"), mr(participant_id="z", conflicts={"a"}), RULES
    ) == ["conflict_of_interest"]


# -- vectorised scorers agree with score_pair ------------------------------------------------

AREA_CHOICES = [*sorted(AREAS)[:6], "unknown_area", None]
WORDS = ["cv", "excel", "interview", "networking", "cooking", "law"]
small_sets = st.frozensets(st.sampled_from(WORDS), max_size=4)


@st.composite
def people(draw, kind):
    common = dict(
        area=draw(st.sampled_from(AREA_CHOICES)),
        travel_radius_km=draw(st.sampled_from([0.0, 1.5, 5.0, 12.0])),
        online_ok=draw(st.booleans()),
        age=draw(st.one_of(st.none(), st.integers(18, 70))),
        skills=draw(small_sets),
        interests=draw(small_sets),
        languages=draw(st.frozensets(st.sampled_from(["en", "ar", "fa"]), max_size=2)),
        availability=draw(st.frozensets(st.sampled_from(["mon_am", "mon_pm", "sat_am"]))),
    )
    if kind == "mentee":
        return Mentee(
            draw(st.uuids()).hex, *KEY, **common,
            focus_area=draw(st.sampled_from([None, "employment", "education"])),
            goals=draw(small_sets),
        )  # fmt: skip
    return Mentor(draw(st.uuids()).hex, *KEY, **common, trained=True, checked=True)


rules_strategy = st.builds(
    ProgrammeRules,
    weights=st.builds(FactorWeights, *[st.floats(0.01, 3.0) for _ in FACTORS]),
    preferred_max_age_gap=st.sampled_from([0.0, 5.0, 15.0]),
    age_gap_falloff_years=st.sampled_from([0.0, 10.0]),
    online_allowed=st.booleans(),
    online_location_value=st.sampled_from([0.0, 0.4, 0.9]),
    focus_area_skills=st.just({"employment": {"cv", "interview"}, "education": {"law"}}),
    skills_target=st.integers(1, 4),
    availability_target=st.integers(0, 3),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(people("mentee"), min_size=1, max_size=4),
    st.lists(people("mentor"), min_size=1, max_size=4),
    rules_strategy,
)
def test_vectorised_scores_equal_score_pair(mentees, mentors, rules):
    scorer = BlockScorer(mentees, mentors, rules, np.ones(len(mentors), np.int64))
    rows = np.repeat(np.arange(len(mentees)), len(mentors))
    cols = np.tile(np.arange(len(mentors)), len(mentees))
    values = scorer.pair_factor_values(rows, cols)
    exact = scorer.pair_scores(rows, cols)
    fast = SelectionScorer(scorer)
    selection = fast.to_scores(fast.scores(np.arange(len(mentees))).copy())
    for t, (i, j) in enumerate(zip(rows, cols, strict=True)):
        ref = score_pair(mentees[i], mentors[j], rules)
        for f, vector in zip(FACTORS, values, strict=True):
            assert vector[t] == ref.value(f), f  # the exact path is bit-for-bit the same
        assert exact[t] == ref.score
        assert 0.0 <= ref.score <= 1.0 + 1e-12
        # the float32 selection scorer only ranks candidates: close, not identical
        assert math.isclose(selection[i, j], ref.score, abs_tol=2e-5)
