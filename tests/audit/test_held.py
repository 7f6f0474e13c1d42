"""Issues held by their escalation state, recorded once (pure, no Prefect): the first sweep that leaves an issue
alone for its state records why; the same reason at the same state is not recorded again; a new state, a new
reason or a gap in which the issue was not held is; a sweep that stopped part-way, or could not read the issue,
forgets nothing; the register survives its rows and the records after them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from escalator.audit.held import HeldIssue, held_notices, held_register_from, held_rows
from escalator.audit.record import AuditRecord, RunInfo
from escalator.authoring.provenance import GitProvenance
from escalator.core.decision import Decision, Plan
from escalator.core.issue import EscalationState
from escalator.core.policy import PolicyIdentity

IDENTITY = PolicyIdentity(name="outage-matrix", version="3")
GIT = GitProvenance()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def state(at: datetime, policy: str = "outage-matrix") -> EscalationState:
    return EscalationState(
        policy=policy, policy_version="3", category="outage", level="L1", level_index=1, at=at, first_at=at
    )


def held(key: str, code: str, at: datetime = T0, policy: str = "outage-matrix") -> Decision:
    return Decision(
        issue_key=key, outcome="no_action", reason_code=code, reason=f"{key}: {code}", holding_state=state(at, policy)
    )


def not_due(key: str) -> Decision:
    return Decision(issue_key=key, outcome="no_action", reason_code="not_due", reason="not due")


def sweep(
    at: datetime,
    decisions: list[Decision],
    register: dict[str, HeldIssue],
    *,
    complete: bool = True,
    unreadable: tuple[str, ...] = (),
) -> tuple[list[AuditRecord], dict[str, HeldIssue]]:
    plan = Plan(policy=IDENTITY, now=at, decisions=tuple(sorted(decisions, key=lambda d: d.issue_key)))
    run = RunInfo(flow_run_id=f"run-{at.isoformat()}")
    return held_notices(plan, register, complete=complete, unreadable=unreadable, git=GIT, run=run)


def keys(records: list[AuditRecord]) -> list[tuple[str, str]]:
    return [(r.issue_key, r.reason_code) for r in records]


def test_the_first_sweep_records_each_held_issue_and_the_next_records_nothing() -> None:
    first, register = sweep(T0, [held("A-1", "cooldown"), held("A-2", "other_policy", policy="x"), not_due("A-3")], {})
    assert keys(first) == [("A-1", "cooldown"), ("A-2", "other_policy")]
    record = first[1]
    assert record.outcome == "left_alone" and record.decision == "no_action"
    assert record.state_policy == "x" and record.state_at == T0
    second, register = sweep(
        T0 + timedelta(minutes=15), [held("A-1", "cooldown"), held("A-2", "other_policy", policy="x")], register
    )
    assert second == []
    assert sorted(register) == ["A-1", "A-2"] and register["A-1"].since == T0


def test_a_new_state_a_new_reason_or_a_gap_is_recorded_again() -> None:
    _, register = sweep(T0, [held("A-1", "cooldown"), held("A-2", "cooldown"), held("A-3", "cooldown")], {})
    later = T0 + timedelta(hours=1)
    records, register = sweep(
        later, [held("A-1", "cooldown", at=later), held("A-2", "at_top_level"), not_due("A-3")], register
    )
    assert keys(records) == [("A-1", "cooldown"), ("A-2", "at_top_level")]
    assert "A-3" not in register
    records, _ = sweep(later + timedelta(hours=1), [held("A-3", "cooldown")], register)
    assert keys(records) == [("A-3", "cooldown")]


def test_issues_not_seen_are_kept_unless_a_complete_search_lost_them() -> None:
    _, register = sweep(T0, [held("A-1", "cooldown"), held("A-2", "cooldown"), held("A-3", "cooldown")], {})
    _, partial = sweep(T0 + timedelta(minutes=5), [], register, complete=False)
    assert sorted(partial) == ["A-1", "A-2", "A-3"]
    _, complete = sweep(T0 + timedelta(minutes=10), [held("A-1", "cooldown")], register, unreadable=("A-2",))
    assert sorted(complete) == ["A-1", "A-2"]  # A-3 left the search; A-2 could not be read


def test_a_deadline_breach_is_left_to_the_breach_records() -> None:
    breached = held("A-1", "at_top_level").model_copy(update={"deadline_breached": True, "deadline_at": T0})
    records, register = sweep(T0, [breached], {})
    assert records == [] and register == {}


def test_the_register_is_rebuilt_from_its_rows_and_the_records_after_them() -> None:
    _, register = sweep(T0, [held("A-1", "cooldown")], {})
    records, _ = sweep(T0, [held("A-2", "at_top_level")], {})
    rebuilt = held_register_from(held_rows(register), records)
    assert sorted(rebuilt) == ["A-1", "A-2"] and rebuilt["A-1"] == register["A-1"]
    dry = [r.model_copy(update={"dry_run": True, "issue_key": "A-3"}) for r in records]
    assert "A-3" not in held_register_from(None, dry)  # a dry run predicts, it does not record
    assert held_register_from([{"issue_key": "A-9", "bogus": 1}, "text"], ()) == {}  # what does not read is dropped
