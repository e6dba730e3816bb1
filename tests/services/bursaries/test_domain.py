"""Bursaries' rules, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from tandem_bursaries import domain
from tandem_bursaries.domain import Conflict, InvalidRequest, OpenAward

TODAY = date(2026, 11, 20)


def test_programme_mentees_and_alumnae_are_guaranteed_an_interview():
    applied = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    for mentee, alumna in ((True, False), (False, True), (True, True)):
        interview = domain.interview_for(programme_mentee=mentee, alumna=alumna, applied_at=applied)
        assert interview is not None and interview.guaranteed
        assert interview.scheduled_for == datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert domain.interview_for(programme_mentee=False, alumna=False, applied_at=applied) is None


def test_fund_rules():
    domain.check_fund(5_500_000, 500_000)
    domain.check_fund(500_000, 500_000)
    with pytest.raises(InvalidRequest, match="more than the budget"):
        domain.check_fund(100, 101)
    with pytest.raises(InvalidRequest):
        domain.check_fund(0, 0)


def award(**overrides):
    values = dict(
        status=domain.INTERVIEW_SCHEDULED,
        by_category={"course_fees": 320_000, "childcare": 80_000},
        award_cap_pence=500_000,
        fund_remaining_pence=5_500_000,
        awarded_on=TODAY,
        start_window_days=365,
    )
    values.update(overrides)
    return domain.decide_award(**values)


def test_a_valid_award():
    a = award()
    assert a.amount_pence == 400_000
    assert a.fund_remaining_pence == 5_100_000
    assert a.start_by == TODAY + timedelta(days=365)
    assert a.by_category == {"course_fees": 320_000, "childcare": 80_000}


def test_award_exactly_at_cap_and_at_remaining_budget():
    assert award(by_category={"course_fees": 500_000}).amount_pence == 500_000
    a = award(by_category={"course_fees": 300_000}, fund_remaining_pence=300_000)
    assert a.fund_remaining_pence == 0


def test_award_above_the_cap_is_refused_with_the_numbers():
    with pytest.raises(InvalidRequest, match=r"500001 pence is above the fund's cap of 500000"):
        award(by_category={"course_fees": 500_001})


def test_award_above_the_remaining_budget_is_refused_with_the_numbers():
    with pytest.raises(InvalidRequest, match=r"400000 pence is above the fund's remaining 399999"):
        award(fund_remaining_pence=399_999)


def test_award_needs_money_and_an_undecided_application():
    with pytest.raises(InvalidRequest):
        award(by_category={"course_fees": 0})
    for decided in (domain.AWARDED, domain.DECLINED, domain.LAPSED):
        with pytest.raises(Conflict):
            award(status=decided)
        with pytest.raises(Conflict):
            domain.check_decline(decided)
    domain.check_decline(domain.APPLIED)


def test_payments_never_exceed_the_award_per_category():
    awarded = {"course_fees": 320_000, "childcare": 80_000}
    ok = dict(status=domain.AWARDED, awarded_by_category=awarded)
    domain.check_payment(**ok, category="course_fees", amount_pence=320_000, paid_by_category={})
    domain.check_payment(
        **ok, category="childcare", amount_pence=30_000, paid_by_category={"childcare": 50_000}
    )
    with pytest.raises(InvalidRequest, match="exceed"):
        domain.check_payment(
            **ok, category="childcare", amount_pence=30_001, paid_by_category={"childcare": 50_000}
        )
    with pytest.raises(InvalidRequest, match="exceed"):
        domain.check_payment(**ok, category="travel", amount_pence=1, paid_by_category={})
    with pytest.raises(Conflict):
        domain.check_payment(
            status=domain.LAPSED,
            awarded_by_category=awarded,
            category="childcare",
            amount_pence=1,
            paid_by_category={},
        )


def test_course_start_rules():
    ok = dict(status=domain.AWARDED, course_started_on=None, start_by=TODAY)
    domain.check_course_start(**ok, started_on=TODAY)
    with pytest.raises(InvalidRequest, match="after the start-by"):
        domain.check_course_start(**ok, started_on=TODAY + timedelta(days=1))
    with pytest.raises(Conflict):
        domain.check_course_start(**{**ok, "course_started_on": TODAY}, started_on=TODAY)
    with pytest.raises(Conflict):
        domain.check_course_start(**{**ok, "status": domain.DECLINED}, started_on=TODAY)


def open_award(start_by, started=None, awarded=400_000, paid=0, status=domain.AWARDED):
    return OpenAward(uuid.uuid4(), uuid.uuid4(), status, start_by, started, awarded, paid)


def test_awards_past_start_by_without_a_course_lapse_and_return_the_unpaid_money():
    due = open_award(TODAY - timedelta(days=1), paid=320_000)
    on_the_day = open_award(TODAY)
    started = open_award(TODAY - timedelta(days=10), started=TODAY - timedelta(days=20))
    already = open_award(TODAY - timedelta(days=10), status=domain.LAPSED)
    found = domain.lapses([due, on_the_day, started, already], TODAY)
    assert [(x.application_id, x.returned_pence) for x in found] == [(due.application_id, 80_000)]
    assert found[0].fund_id == due.fund_id
