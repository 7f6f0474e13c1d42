"""The escalation state the rules trust (``escalator.core.state``): a stored state that cannot be what escalator
wrote is not used; the state is rebuilt from escalator's own changes in the changelog, never sending an issue
back down and never silencing it; one issue's impossible data costs that issue alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from escalator.core import evaluate
from escalator.core.issue import EscalatorChange, IssueSnapshot
from escalator.core.state import state_in_use
from tests.core.policy_builders import BERLIN, make_issue, make_policy, state

POLICY = make_policy()
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=BERLIN)  # a Wednesday afternoon
T0 = datetime(2026, 11, 16, 13, 0, tzinfo=BERLIN)


def change(hours_after_t0: float, **fields: Any) -> EscalatorChange:
    return EscalatorChange(at=T0 + timedelta(hours=hours_after_t0), **fields)


# The support category: L1 dave, L2 frank (inactive in these tests) or erin, with label "escalated", L3 grace.
TO_L1 = change(0, assignee="dave")
TO_L2 = change(9, assignee="erin", labels_added=("escalated",))
TO_L3 = change(20, assignee="grace", priority="Highest")


def decide(issue: IssueSnapshot) -> Any:
    (decision,) = evaluate([issue], POLICY, NOW, inactive_users={"frank"}).decisions
    return decision


def test_a_stored_state_that_holds_up_is_used_as_it_is() -> None:
    issue = make_issue(state=state(), escalator_changes=(TO_L1,))
    assert state_in_use(issue, POLICY, NOW).state == issue.state
    assert decide(issue).data_problem is None


def test_impossible_times_are_not_trusted_and_cost_this_issue_alone() -> None:
    """``at: 0001-01-01`` made evaluate raise outside any per-issue handling; ``first_at`` in the year 9999 too."""
    forged = [
        state(at=datetime(1, 1, 1, tzinfo=UTC), first_at=datetime(1, 1, 1, tzinfo=UTC)),
        state(first_at=datetime(9999, 12, 31, tzinfo=UTC), at=datetime(9999, 12, 31, tzinfo=UTC)),
        state(at=NOW + timedelta(days=30), first_at=NOW + timedelta(days=30)),  # would silence it (cooldown)
    ]
    issues = [make_issue(f"SUP-{i}", state=s, assignee="dave") for i, s in enumerate(forged, start=1)]
    plan = evaluate([*issues, make_issue("SUP-9")], POLICY, NOW, inactive_users={"frank"})
    for decision in plan.decisions[:3]:
        assert decision.data_problem and "times are impossible" in decision.data_problem
        assert "never escalated" in decision.data_problem
        assert decision.outcome == "escalate" and decision.from_level is None  # as never escalated: not silenced
    assert (
        plan.decision_for("SUP-9")
        == evaluate([make_issue("SUP-9")], POLICY, NOW, inactive_users={"frank"}).decisions[0]
    )


def test_a_level_the_category_does_not_have_is_not_trusted() -> None:
    issue = make_issue(state=state(level="L2", level_index=3), escalator_changes=(TO_L1, TO_L2))
    used = state_in_use(issue, POLICY, NOW)
    assert used.problem and "names level L2 (3)" in used.problem
    assert used.state is not None and used.state.level == "L2"  # rebuilt from the changelog


def test_a_deleted_state_after_l1_l2_l3_is_rebuilt_never_sent_back_down() -> None:
    for changes, level in [((TO_L1,), "L1"), ((TO_L1, TO_L2), "L2"), ((TO_L1, TO_L2, TO_L3), "L3")]:
        priority = next((c.priority for c in reversed(changes) if c.priority), "Medium")
        issue = make_issue(assignee=changes[-1].assignee, priority=priority, escalator_changes=changes)
        decision = decide(issue)
        assert decision.from_level == level, (level, decision.reason)
        assert (
            decision.data_problem
            and "missing" in decision.data_problem
            and f"{level} of support" in decision.data_problem
        )
        assert decision.to_level in (None, "L2", "L3") and decision.to_level != "L1"
    at_top = decide(make_issue(assignee="grace", priority="Highest", escalator_changes=(TO_L1, TO_L2, TO_L3)))
    assert at_top.reason_code == "at_top_level"


def test_a_rebuilt_state_restarts_the_clock_at_escalators_last_change() -> None:
    issue = make_issue(assignee="erin", escalator_changes=(TO_L1, TO_L2))
    used = state_in_use(issue, POLICY, NOW).state
    assert used is not None
    assert (used.at, used.first_at, used.escalations, used.assignee_set) == (TO_L2.at, TO_L1.at, 2, "erin")
    assert decide(issue).clock_started_at == TO_L2.at


def test_a_state_put_back_from_before_escalators_last_change_is_a_replay() -> None:
    """An earlier genuine state (L1) restored after escalator moved the issue to L2 would repeat L1 → L2."""
    issue = make_issue(assignee="erin", state=state(), escalator_changes=(TO_L1, TO_L2))
    used = state_in_use(issue, POLICY, NOW)
    assert used.problem and "earlier state was put back" in used.problem
    assert used.state is not None and used.state.level == "L2"


def test_a_state_the_adapter_refused_is_not_used_and_without_escalators_changes_l1_is_next() -> None:
    """A forged top level or foreign policy with a bad MAC reaches the core as no state and the adapter's reason."""
    issue = make_issue(state_problem="the escalation state's MAC does not verify", assignee=None)
    decision = decide(issue)
    assert decision.data_problem and "MAC does not verify" in decision.data_problem
    assert decision.outcome == "escalate" and decision.from_level is None


def test_a_category_removed_by_a_new_policy_version_is_matched_again_and_said() -> None:
    issue = make_issue(state=state(category="retired", policy_version="6"), escalator_changes=(TO_L1,))
    decision = decide(issue)
    assert decision.category == "support"
    assert decision.data_problem and "'retired'" in decision.data_problem and "matched again" in decision.data_problem


def test_a_level_escalators_changes_do_not_tell_is_taken_as_the_first() -> None:
    issue = make_issue(escalator_changes=(change(0, priority="High"),))
    used = state_in_use(issue, POLICY, NOW)
    assert used.state is not None and used.state.level == "L1"
    assert used.problem and "the lowest, L1, is assumed" in used.problem


def test_dates_no_calendar_covers_are_a_data_problem_for_that_issue_only() -> None:
    ancient = make_issue("SUP-1", created=datetime(1, 1, 2, tzinfo=UTC))
    plan = evaluate([ancient, make_issue("SUP-2")], POLICY, NOW)
    bad, good = plan.decisions
    assert bad.reason_code == "data_problem" and bad.data_problem and "could not be evaluated" in bad.data_problem
    assert good.reason_code != "data_problem"
