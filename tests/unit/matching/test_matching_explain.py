"""Unit tests for each explanation: contributions, best-mentor alternatives, unmatched reasons."""

from __future__ import annotations

import pytest

from tandem_matching.engine import (
    FACTORS,
    REASON_NEEDED_BY_OTHERS,
    REASON_NO_FEASIBLE,
    MatchingInput,
    Mentee,
    Mentor,
    ProgrammeRules,
    propose_matches,
    score_pair,
)

KEY = ("p1", "prog", "c1")
RULES = ProgrammeRules(waiting_priority_weight=0.0)


def ee(pid, **kw):
    kw.setdefault("area", "camden")
    kw.setdefault("online_ok", False)
    return Mentee(pid, *KEY, **kw)


def mr(pid, **kw):
    kw.setdefault("area", "camden")
    kw.setdefault("online_ok", False)
    kw.setdefault("trained", True)
    kw.setdefault("checked", True)
    return Mentor(pid, *KEY, **kw)


def s(a, b) -> float:
    return score_pair(a, b, RULES).score


def by_mentee(result):
    return {p.mentee_id: p for p in result.proposals}


def test_every_proposal_lists_each_factor_contribution():
    a = ee("a", age=30, interests={"x", "y"}, languages={"en"}, availability={"mon_am"})
    x = mr("x", age=50, area="hackney", interests={"x"}, languages={"ar"})
    (p,) = propose_matches(MatchingInput([a], [x], RULES)).proposals
    ref = score_pair(a, x, RULES)
    assert [c.factor for c in p.contributions] == list(FACTORS)
    for got, want in zip(p.contributions, ref.contributions, strict=True):
        assert got.value == want.value
        assert got.weight == want.weight
        assert got.contribution == pytest.approx(got.weight * got.value)
    assert p.score == ref.score == pytest.approx(sum(c.contribution for c in p.contributions))
    assert p.best_alternative is None  # her only mentor is her best


def test_swap_alternative_names_the_holder_and_the_total_loss():
    # Both want x; a gains more from x than b, so b gets y and is told why.
    a = ee("a", interests={"p"}, languages={"en"})
    b = ee("b", interests={"p"}, languages={"ar"})
    x = mr("x", interests={"p", "q"}, languages={"en"})
    y = mr("y", area="islington", interests={"z"}, languages={"ar"})
    assert s(b, x) > s(b, y)
    result = propose_matches(MatchingInput([a, b], [x, y], RULES))
    props = by_mentee(result)
    assert props["a"].mentor_id == "x" and props["a"].best_alternative is None
    alt = props["b"].best_alternative
    assert props["b"].mentor_id == "y"
    assert alt.best_mentor_id == "x" and alt.holder_mentee_id == "a"
    assert alt.kind == "swap" and alt.displaced_to_mentor_id == "y"
    assert alt.best_score == pytest.approx(s(b, x))
    expected = s(b, x) + s(a, y) - s(b, y) - s(a, x)
    assert alt.total_delta == pytest.approx(expected)
    assert alt.total_delta <= 1e-12  # the proposal is optimal


def test_displace_alternative_moves_the_holder_to_a_free_mentor():
    # a cannot take y (declared conflict); z is free, so a would move to z.
    a = ee("a", conflicts={"y"})
    b = ee("b")
    x = mr("x")
    y = mr("y", area="islington")
    z = mr("z", area="havering")
    props = by_mentee(propose_matches(MatchingInput([a, b], [x, y, z], RULES)))
    assert (props["a"].mentor_id, props["b"].mentor_id) == ("x", "y")
    alt = props["b"].best_alternative
    assert alt.kind == "displace" and alt.holder_mentee_id == "a"
    assert alt.displaced_to_mentor_id == "z"
    assert alt.total_delta == pytest.approx(s(b, x) - s(b, y) + s(a, z) - s(a, x))


def test_displace_unmatched_when_the_holder_has_nowhere_to_go():
    a = ee("a", conflicts={"y"})
    b = ee("b")
    x, y = mr("x"), mr("y", area="islington")
    props = by_mentee(propose_matches(MatchingInput([a, b], [x, y], RULES)))
    alt = props["b"].best_alternative
    assert alt.kind == "displace_unmatched" and alt.displaced_to_mentor_id is None
    assert alt.total_delta == pytest.approx(s(b, x) - s(b, y) - s(a, x))


def test_unmatched_with_no_feasible_mentor_counts_each_rule():
    rules = ProgrammeRules(requires_partnership=True, partnerships={"s1": {"e1"}})
    a = ee("a", preferred_mentor_gender="f", school_id="s1", conflicts={"c"})
    mentors = [
        mr("u", trained=False, gender="f", employer_id="e1"),
        mr("g", gender="m", employer_id="e1"),
        mr("c", gender="f", employer_id="e1"),
        mr("e", gender="f", employer_id="e1"),
        mr("p", gender="f", employer_id="e9"),
    ]
    data = MatchingInput([a], mentors, rules, excluded_pairs={("a", "e")})
    (u,) = propose_matches(data).unmatched
    assert u.reason == REASON_NO_FEASIBLE
    assert u.block_mentors == 5 and u.feasible_count == 0
    assert dict(u.eliminated_by) == {
        "mentor_not_trained": 1,
        "mentee_preference": 1,
        "conflict_of_interest": 1,
        "excluded_pair": 1,
        "school_employer_partnership": 1,
    }


def test_unmatched_because_confirmed_matches_filled_the_mentor():
    data = MatchingInput([ee("a"), ee("b")], [mr("x")], RULES, confirmed_pairs={("a", "x")})
    result = propose_matches(data)
    assert result.proposals == ()
    (u,) = result.unmatched
    assert u.mentee_id == "b" and u.reason == REASON_NO_FEASIBLE
    assert dict(u.eliminated_by) == {"mentor_at_capacity": 1}


def test_unmatched_because_feasible_mentors_were_needed_by_others():
    data = MatchingInput([ee("a", interests={"q"}), ee("b")], [mr("x", interests={"q"})], RULES)
    result = propose_matches(data)
    assert result.pairs == [("a", "x")]
    (u,) = result.unmatched
    assert u.mentee_id == "b" and u.reason == REASON_NEEDED_BY_OTHERS
    assert u.feasible_count == 1
    assert u.feasible_mentor_ids == ("x",)
    assert dict(u.holders) == {"x": ("a",)}
    assert dict(u.eliminated_by) == {}
