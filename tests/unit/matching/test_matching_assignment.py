"""Property tests (hard rules, capacity, partners, optimality against brute force) and the
incremental re-matching rules of propose_matches."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_matching.engine import (
    MODE_FAIRNESS,
    MODE_MAX_TOTAL,
    MatchingInput,
    Mentee,
    Mentor,
    ProgrammeRules,
    propose_matches,
    score_pair,
)
from tandem_matching.engine.propose import waiting_bonus

T0 = datetime(2025, 1, 1)
AREAS = ["camden", "hackney", "croydon", "barnet", "unknown_area"]
WORDS = ["cv", "excel", "interview", "law", "cooking"]
SLOTS = ["mon_am", "tue_pm", "sat_am"]
sets = st.frozensets(st.sampled_from(WORDS), max_size=3)


@st.composite
def instances(draw, single_block: bool = False, max_mentees: int = 5, max_mentors: int = 4):
    blocks = [("p1", "prog", "c1")] if single_block else [
        ("p1", "prog", "c1"), ("p1", "prog", "c2"), ("p2", "prog", "c1")
    ]  # fmt: skip
    n = draw(st.integers(0, max_mentees))
    m = draw(st.integers(0, max_mentors))
    mentor_ids = [f"or{j}" for j in range(m)]
    mentee_ids = [f"ee{i}" for i in range(n)]
    mentees = []
    for pid in mentee_ids:
        mentees.append(
            Mentee(
                pid, *draw(st.sampled_from(blocks)),
                area=draw(st.sampled_from(AREAS)),
                travel_radius_km=draw(st.sampled_from([2.0, 8.0])),
                online_ok=draw(st.booleans()),
                age=draw(st.sampled_from([None, 25, 40, 60])),
                interests=draw(sets), languages=draw(st.frozensets(st.sampled_from(["en", "ar"]))),
                availability=draw(st.frozensets(st.sampled_from(SLOTS))),
                focus_area=draw(st.sampled_from([None, "employment"])), goals=draw(sets),
                preferred_mentor_gender=draw(st.sampled_from([None, None, "f"])),
                school_id=draw(st.sampled_from([None, "s1", "s2"])),
                conflicts=draw(st.frozensets(st.sampled_from(mentor_ids), max_size=1))
                if mentor_ids else frozenset(),
                waiting_since=T0 + timedelta(days=draw(st.integers(0, 50))),
            )
        )  # fmt: skip
    mentors = []
    for pid in mentor_ids:
        mentors.append(
            Mentor(
                pid, *draw(st.sampled_from(blocks)),
                area=draw(st.sampled_from(AREAS)),
                travel_radius_km=draw(st.sampled_from([2.0, 8.0])),
                online_ok=draw(st.booleans()),
                age=draw(st.sampled_from([None, 30, 45])),
                gender=draw(st.sampled_from(["f", "m", None])),
                skills=draw(sets), interests=draw(sets),
                languages=draw(st.frozensets(st.sampled_from(["en", "ar"]))),
                availability=draw(st.frozensets(st.sampled_from(SLOTS))),
                employer_id=draw(st.sampled_from([None, "e1", "e2"])),
                trained=draw(st.booleans()) or draw(st.booleans()),
                checked=draw(st.booleans()) or draw(st.booleans()),
                capacity=draw(st.integers(1, 2)),
                conflicts=draw(st.frozensets(st.sampled_from(mentee_ids), max_size=1))
                if mentee_ids else frozenset(),
            )
        )  # fmt: skip
    all_pairs = [(a, b) for a in mentee_ids for b in mentor_ids]
    excluded = draw(st.frozensets(st.sampled_from(all_pairs), max_size=3)) if all_pairs else ()
    confirmed = frozenset()
    if all_pairs and draw(st.booleans()):
        confirmed = frozenset({draw(st.sampled_from(all_pairs))})
    rules = ProgrammeRules(
        focus_area_skills={"employment": {"cv", "interview"}},
        requires_partnership=draw(st.booleans()),
        partnerships={"s1": {"e1"}, "s2": {"e1", "e2"}},
        top_k=draw(st.integers(1, 3)) if draw(st.booleans()) else 10,
        top_k_mentor=draw(st.integers(0, 2)),
        waiting_priority_weight=draw(st.sampled_from([0.0, 0.1])),
    )
    return MatchingInput(mentees, mentors, rules, confirmed, excluded)


def allowed(data: MatchingInput, mentee: Mentee, mentor: Mentor) -> bool:
    """Independent statement of the hard rules (capacity is checked separately)."""
    r = data.rules
    if mentee.block != mentor.block or not (mentor.trained and mentor.checked):
        return False
    if r.requires_partnership and mentor.employer_id not in r.partnerships.get(
        mentee.school_id, ()
    ):
        return False
    if mentee.preferred_mentor_gender and mentor.gender != mentee.preferred_mentor_gender:
        return False
    if mentor.participant_id in mentee.conflicts or mentee.participant_id in mentor.conflicts:
        return False
    return (mentee.participant_id, mentor.participant_id) not in data.excluded_pairs


def remaining_capacity(data: MatchingInput) -> dict[str, int]:
    cap = {p.participant_id: p.capacity for p in data.mentors}
    for _, b in data.confirmed_pairs:
        if b in cap:
            cap[b] -= 1
    return cap


def brute_force(data: MatchingInput, mode: str):
    """Best objective over every assignment: (matched, [min score,] sum of score + bonus)."""
    confirmed = {a for a, _ in data.confirmed_pairs}
    mentees = sorted(
        (p for p in data.mentees if p.participant_id not in confirmed),
        key=lambda p: p.participant_id,
    )
    bonus = {}
    for block in {p.block for p in mentees}:
        group = sorted((p for p in mentees if p.block == block), key=lambda p: p.participant_id)
        weights = waiting_bonus(group, data.rules.waiting_priority_weight)
        for p, b in zip(group, weights, strict=True):
            bonus[p.participant_id] = b
    cap = remaining_capacity(data)
    options = []
    for a in mentees:
        opts = [None] + [
            b for b in data.mentors if allowed(data, a, b) and cap[b.participant_id] > 0
        ]
        options.append(opts)
    best = None
    for choice in itertools.product(*options):
        load: dict[str, int] = {}
        ok = True
        for b in choice:
            if b is not None:
                load[b.participant_id] = load.get(b.participant_id, 0) + 1
                if load[b.participant_id] > cap[b.participant_id]:
                    ok = False
                    break
        if not ok:
            continue
        pairs = [(a, b) for a, b in zip(mentees, choice, strict=True) if b is not None]
        scores = [score_pair(a, b, data.rules).score for a, b in pairs]
        total = sum(s + bonus[a.participant_id] for (a, _), s in zip(pairs, scores, strict=True))
        if mode == MODE_FAIRNESS:
            key = (len(pairs), min(scores) if scores else 0.0, total)
        else:
            key = (len(pairs), total)
        if best is None or _greater(key, best):
            best = key
    return best


def _greater(a, b, tol=1e-9) -> bool:
    for x, y in zip(a, b, strict=True):
        if abs(x - y) > tol:
            return x > y
    return False


def objective(data: MatchingInput, result, mode: str):
    by_id = {p.participant_id: p for p in data.mentees}
    bonus = {}
    confirmed = {a for a, _ in data.confirmed_pairs}
    pool = [p for p in data.mentees if p.participant_id not in confirmed]
    for block in {p.block for p in pool}:
        group = sorted((p for p in pool if p.block == block), key=lambda p: p.participant_id)
        weights = waiting_bonus(group, data.rules.waiting_priority_weight)
        for p, b in zip(group, weights, strict=True):
            bonus[p.participant_id] = b
    scores = [p.score for p in result.proposals]
    total = sum(p.score + bonus[by_id[p.mentee_id].participant_id] for p in result.proposals)
    if mode == MODE_FAIRNESS:
        return (len(scores), min(scores) if scores else 0.0, total)
    return (len(scores), total)


def check_invariants(data: MatchingInput, result) -> None:
    mentees = {p.participant_id: p for p in data.mentees}
    mentors = {p.participant_id: p for p in data.mentors}
    confirmed = {a for a, _ in data.confirmed_pairs}
    cap = remaining_capacity(data)
    load: dict[str, int] = {}
    seen = set()
    for p in result.proposals:
        a, b = mentees[p.mentee_id], mentors[p.mentor_id]
        assert a.partner_id == b.partner_id, "pair crosses partners"
        assert allowed(data, a, b), "hard rule broken"
        assert p.mentee_id not in confirmed, "confirmed mentee proposed again"
        assert p.mentee_id not in seen
        seen.add(p.mentee_id)
        load[b.participant_id] = load.get(b.participant_id, 0) + 1
        assert load[b.participant_id] <= cap[b.participant_id], "capacity exceeded"
        assert p.score == pytest.approx(score_pair(a, b, data.rules).score, abs=1e-12)
        assert sum(c.contribution for c in p.contributions) == pytest.approx(p.score)
    unmatched = {u.mentee_id for u in result.unmatched}
    assert unmatched.isdisjoint(seen)
    assert unmatched | seen == set(mentees) - confirmed


@settings(max_examples=120, deadline=None)
@given(instances())
def test_hard_rules_capacity_partners_and_max_cardinality(data):
    for mode in (MODE_MAX_TOTAL, MODE_FAIRNESS):
        result = propose_matches(data, mode=mode)
        check_invariants(data, result)
        # Maximum cardinality holds whatever top_k is (augmenting paths over all pairs).
        best = brute_force(data, MODE_MAX_TOTAL)
        assert len(result.proposals) == best[0]


@settings(max_examples=120, deadline=None)
@given(instances())
def test_max_total_equals_brute_force(data):
    data = replace(data, rules=replace(data.rules, top_k=10))  # graph holds every pair
    result = propose_matches(data)
    best = brute_force(data, MODE_MAX_TOTAL)
    got = objective(data, result, MODE_MAX_TOTAL)
    assert got[0] == best[0]
    assert got[1] == pytest.approx(best[1], abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(instances(single_block=True))
def test_fairness_equals_brute_force(data):
    data = replace(data, rules=replace(data.rules, top_k=10))
    result = propose_matches(data, mode=MODE_FAIRNESS)
    best = brute_force(data, MODE_FAIRNESS)
    got = objective(data, result, MODE_FAIRNESS)
    assert got[0] == best[0]
    assert got[1] == pytest.approx(best[1], abs=1e-9)  # bottleneck
    assert got[2] == pytest.approx(best[2], abs=1e-9)  # then total


@settings(max_examples=40, deadline=None)
@given(instances(max_mentees=6, max_mentors=5), st.randoms(use_true_random=False))
def test_deterministic_and_independent_of_input_order(data, rnd: random.Random):
    first = propose_matches(data)
    again = propose_matches(data)
    assert first == again
    mentees, mentors = list(data.mentees), list(data.mentors)
    rnd.shuffle(mentees)
    rnd.shuffle(mentors)
    shuffled = propose_matches(replace(data, mentees=tuple(mentees), mentors=tuple(mentors)))
    assert shuffled == first


# -- targeted behaviour ------------------------------------------------------------------------

KEY = ("p1", "prog", "c1")


def ee(pid, **kw):
    kw.setdefault("area", "camden")
    return Mentee(pid, *KEY, **kw)


def mr(pid, **kw):
    kw.setdefault("area", "camden")
    kw.setdefault("trained", True)
    kw.setdefault("checked", True)
    return Mentor(pid, *KEY, **kw)


def test_mentee_whose_only_mentor_is_outside_her_top_k_is_not_lost():
    # A prefers X to Y; B can only have X. With top_k=1 both rank X first, so only augmenting
    # over all feasible pairs finds A->Y, B->X.
    rules = ProgrammeRules(top_k=1, top_k_mentor=0)
    a = ee("a", interests={"x"})
    b = ee("b", preferred_mentor_gender="f")
    x = mr("x", gender="f", interests={"x"})
    y = mr("y", gender="m", area="croydon", online_ok=False)
    result = propose_matches(MatchingInput([a, b], [x, y], rules))
    assert sorted(result.pairs) == [("a", "y"), ("b", "x")]


def test_capacity_above_one_is_used():
    result = propose_matches(
        MatchingInput([ee("a"), ee("b"), ee("c")], [mr("x", capacity=2), mr("y")])
    )
    assert len(result.proposals) == 3
    assert sum(1 for p in result.proposals if p.mentor_id == "x") == 2


def test_confirmed_pairs_stay_fixed_and_use_capacity():
    data = MatchingInput(
        [ee("a"), ee("b"), ee("c")],
        [mr("x", capacity=2), mr("y")],
        confirmed_pairs={("a", "x")},
    )
    result = propose_matches(data)
    assert "a" not in {p.mentee_id for p in result.proposals}
    assert sum(1 for p in result.proposals if p.mentor_id == "x") == 1
    assert len(result.proposals) == 2


def test_rejected_and_ended_pairs_are_excluded():
    data = MatchingInput([ee("a")], [mr("x"), mr("y", area="croydon")], excluded_pairs={("a", "x")})
    assert propose_matches(data).pairs == [("a", "y")]


def test_longest_waiting_mentee_goes_first_when_not_everyone_fits():
    old = ee("old", waiting_since=T0, interests={"z", "q"})
    new = ee("new", waiting_since=T0 + timedelta(days=90), interests={"z", "w"})
    mentor = mr("x", interests={"z", "w"})  # the newcomer scores 0.075 higher with her...
    assert (
        score_pair(new, mentor, ProgrammeRules()).score
        > score_pair(old, mentor, ProgrammeRules()).score
    )
    result = propose_matches(MatchingInput([new, old], [mentor]))
    assert result.pairs == [("old", "x")]  # ...but the bonus (0.1 max) lets the longest wait win
    no_priority = ProgrammeRules(waiting_priority_weight=0.0)
    assert propose_matches(MatchingInput([new, old], [mentor], no_priority)).pairs == [("new", "x")]


def test_waiting_bonus_is_linear_in_wait():
    a, b, c = (
        ee(p, waiting_since=T0 + timedelta(days=d)) for p, d in (("a", 0), ("b", 5), ("c", 10))
    )
    assert np.allclose(waiting_bonus([a, b, c], 0.1), [0.1, 0.05, 0.0])
    assert np.allclose(waiting_bonus([a, ee("d")], 0.1), [0.0, 0.0])


def test_max_cardinality_beats_score():
    # x suits a perfectly, but only x can take b: matching both is worth more than a's best.
    a = ee("a", interests={"q"})
    b = ee("b", preferred_mentor_gender="f")
    x = mr("x", gender="f", interests={"q"})
    y = mr("y", gender="m", area="havering", online_ok=False)
    result = propose_matches(MatchingInput([a, b], [x, y]))
    assert sorted(result.pairs) == [("a", "y"), ("b", "x")]


def test_fairness_raises_the_lowest_score():
    # Max total pairs a-x (great) and b-y (poor); fairness prefers two middling pairs.
    rules = ProgrammeRules(waiting_priority_weight=0.0)
    a = ee("a", interests={"p", "q"}, languages={"en"})
    b = ee("b", interests={"p"}, languages={"ar"}, area="croydon", online_ok=False)
    x = mr("x", interests={"p", "q"}, languages={"en", "ar"})
    y = mr("y", interests={"z"}, languages={"en"}, area="croydon", online_ok=False)
    data = MatchingInput([a, b], [x, y], rules)
    total = propose_matches(data)
    fair = propose_matches(data, mode=MODE_FAIRNESS)
    assert fair.min_score >= total.min_score
    assert total.total_score >= fair.total_score
    assert len(fair.proposals) == len(total.proposals) == 2


def test_blocks_are_separate():
    other = Mentee("z", "p2", "prog", "c1", area="camden")
    result = propose_matches(MatchingInput([ee("a"), other], [mr("x", capacity=2)]))
    assert result.pairs == [("a", "x")]
    assert result.unmatched[0].mentee_id == "z"
    assert result.unmatched[0].block_mentors == 0


def test_unknown_mode_rejected():
    with pytest.raises(ValueError):
        propose_matches(MatchingInput([], []), mode="greedy")
