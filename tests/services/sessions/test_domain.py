"""Sessions' rules, without I/O."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from tandem_sessions import domain
from tandem_sessions.domain import ActiveMatch, Conflict, InvalidRequest
from tandem_shared.events.vocabulary import ClosureKind

TODAY = date(2026, 11, 20)


# -- training -------------------------------------------------------------------------------


def test_training_completes_when_the_total_reaches_the_requirement():
    first = domain.add_training(0, 6, 10, already_completed=False)
    assert (first.total_hours, first.completed, first.just_completed) == (6, False, False)
    second = domain.add_training(first.total_hours, 4, 10, already_completed=False)
    assert (second.total_hours, second.completed, second.just_completed) == (10, True, True)


def test_training_completion_is_announced_once():
    later = domain.add_training(10, 3, 10, already_completed=True)
    assert later.completed and not later.just_completed
    assert later.total_hours == 13


def test_fractional_hours_do_not_miss_the_threshold():
    total = 0.0
    progress = None
    for _ in range(10):
        progress = domain.add_training(total, 0.1, 1.0, already_completed=False)
        total = progress.total_hours
        if progress.just_completed:
            break
    assert progress is not None and progress.just_completed and total == 1.0


def test_unknown_requirement_never_completes_until_known():
    p = domain.add_training(0, 20, None, already_completed=False)
    assert not p.completed and not p.just_completed
    assert domain.training_now_complete(20, 10, already_completed=False)
    assert not domain.training_now_complete(20, 10, already_completed=True)
    assert not domain.training_now_complete(5, 10, already_completed=False)


def test_a_zero_hour_requirement_completes_on_first_hours():
    assert domain.add_training(0, 1, 0, already_completed=False).just_completed


def test_non_positive_hours_are_refused():
    with pytest.raises(InvalidRequest):
        domain.add_training(0, 0, 10, already_completed=False)


# -- meetings -------------------------------------------------------------------------------


def meeting(**overrides):
    values = dict(
        status=domain.ACTIVE,
        started_on=TODAY - timedelta(days=30),
        met_on=TODAY - timedelta(days=1),
        today=TODAY,
        competencies=["communication"],
        framework=["communication", "teamwork"],
    )
    values.update(overrides)
    domain.check_meeting(**values)


def test_a_valid_meeting_passes():
    meeting()
    meeting(met_on=TODAY)
    meeting(met_on=TODAY - timedelta(days=30))
    meeting(competencies=["cooking"], framework=[])  # no framework: any code


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        ({"status": domain.CLOSED}, Conflict, "closed"),
        ({"met_on": TODAY + timedelta(days=1)}, InvalidRequest, "future"),
        ({"met_on": TODAY - timedelta(days=31)}, InvalidRequest, "before the match"),
        ({"competencies": ["cooking"]}, InvalidRequest, "framework"),
    ],
)
def test_meeting_rules(overrides, error, words):
    with pytest.raises(error, match=words):
        meeting(**overrides)


# -- closure and outcomes -------------------------------------------------------------------


def close(**overrides):
    values = dict(
        status=domain.ACTIVE,
        closure=ClosureKind.COMPLETED,
        reason_code=None,
        closed_on=TODAY,
        started_on=TODAY - timedelta(days=100),
        today=TODAY,
    )
    values.update(overrides)
    domain.check_closure(**values)


def test_closure_rules():
    close()
    close(closure=ClosureKind.ENDED_EARLY, reason_code="moved_away")
    with pytest.raises(Conflict):
        close(status=domain.CLOSED)
    with pytest.raises(InvalidRequest, match="reason_code"):
        close(closure=ClosureKind.ENDED_EARLY)
    with pytest.raises(InvalidRequest, match="future"):
        close(closed_on=TODAY + timedelta(days=1))
    with pytest.raises(InvalidRequest, match="before"):
        close(closed_on=TODAY - timedelta(days=101))


def test_outcomes_only_after_a_completed_match():
    domain.check_outcome_allowed(status=domain.CLOSED, closure="completed")
    with pytest.raises(Conflict):
        domain.check_outcome_allowed(status=domain.CLOSED, closure="ended_early")
    with pytest.raises(Conflict):
        domain.check_outcome_allowed(status=domain.ACTIVE, closure=None)


# -- at risk --------------------------------------------------------------------------------


def active(days_since_start, last_met_days_ago=None, weeks=4, flagged=False):
    return ActiveMatch(
        match_id=uuid.uuid4(),
        started_on=TODAY - timedelta(days=days_since_start),
        last_met_on=None
        if last_met_days_ago is None
        else TODAY - timedelta(days=last_met_days_ago),
        at_risk_after_weeks=weeks,
        flagged=flagged,
    )


def test_no_meeting_since_the_start_for_the_programme_weeks_is_at_risk():
    fresh, due, late = active(27), active(28), active(40)
    found = domain.matches_at_risk([fresh, due, late], TODAY)
    assert [r.match_id for r in found] == [due.match_id, late.match_id]
    assert [r.weeks_without_meeting for r in found] == [4, 5]
    assert all(r.last_met_on is None for r in found)


def test_the_last_meeting_resets_the_clock():
    recent = active(100, last_met_days_ago=10)
    old = active(100, last_met_days_ago=35)
    found = domain.matches_at_risk([recent, old], TODAY)
    assert [r.match_id for r in found] == [old.match_id]
    assert found[0].last_met_on == TODAY - timedelta(days=35)


def test_the_programme_decides_the_weeks():
    m = active(15, weeks=2)
    assert domain.matches_at_risk([m], TODAY)
    assert not domain.matches_at_risk([active(15, weeks=3)], TODAY)


def test_an_already_flagged_episode_is_not_flagged_again():
    assert domain.matches_at_risk([active(60, flagged=True)], TODAY) == []
