"""Applying a plan with a fake writer (no Jira, no Prefect): the budget, a blocked plan, a failed write, a write
that may have been applied, and a dry run that spends the budget as a live run would."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from escalator.core.decision import Actions, Decision
from escalator.jira.errors import JiraUnavailable
from escalator.sweep.apply import DryRunWriter, apply_decisions

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def escalation(key: str) -> Decision:
    actions = Actions(assignee_from=None, assignee_to="acc-bob", priority_from="High", priority_to="High", comment="-")
    return Decision(issue_key=key, outcome="escalate", reason_code="due", reason="due", to_level="L1", actions=actions)


def quiet(key: str) -> Decision:
    return Decision(issue_key=key, outcome="no_action", reason_code="not_due", reason="not due")


class FakeWriter:
    """Records what it was asked to write; fails the keys it is told to, with the error it is given."""

    dry_run = False

    def __init__(self, failures: dict[str, Exception] | None = None, warnings: dict[str, str] | None = None) -> None:
        self.failures = failures or {}
        self.warnings = warnings or {}
        self.written: list[str] = []
        self._lock = threading.Lock()

    def write(self, decision: Decision) -> str | None:
        with self._lock:
            self.written.append(decision.issue_key)
        if decision.issue_key in self.failures:
            raise self.failures[decision.issue_key]
        return self.warnings.get(decision.issue_key)


def test_every_escalation_is_written_once_in_key_order_and_nothing_else() -> None:
    writer = FakeWriter()
    decisions = [escalation("OPS-3"), quiet("OPS-2"), escalation("OPS-1")]
    outcomes = apply_decisions(decisions, writer, concurrency=1)
    assert writer.written == ["OPS-1", "OPS-3"]
    assert [(o.issue_key, o.status) for o in outcomes] == [("OPS-1", "applied"), ("OPS-3", "applied")]


def test_the_budget_writes_the_first_escalations_and_defers_the_rest() -> None:
    writer = FakeWriter()
    outcomes = apply_decisions([escalation(f"OPS-{i}") for i in range(1, 6)], writer, budget=2)
    assert sorted(writer.written) == ["OPS-1", "OPS-2"]
    assert [o.status for o in outcomes] == ["applied", "applied", "over_budget", "over_budget", "over_budget"]
    assert outcomes[-1].error == "write budget of 2 reached"


def test_a_budget_of_zero_writes_nothing() -> None:
    writer = FakeWriter()
    outcomes = apply_decisions([escalation("OPS-1")], writer, budget=0)
    assert writer.written == [] and [o.status for o in outcomes] == ["over_budget"]


def test_a_blocked_plan_writes_nothing_and_every_escalation_says_why() -> None:
    writer = FakeWriter()
    outcomes = apply_decisions([escalation("OPS-1"), escalation("OPS-2")], writer, blocked="too many")
    assert writer.written == []
    assert [(o.status, o.error) for o in outcomes] == [("blocked", "too many"), ("blocked", "too many")]


def test_a_failed_write_is_its_decisions_outcome_and_the_others_go_on() -> None:
    writer = FakeWriter(failures={"OPS-2": PermissionError("403 Forbidden")})
    outcomes = apply_decisions([escalation(f"OPS-{i}") for i in (1, 2, 3)], writer, budget=3)
    assert sorted(writer.written) == ["OPS-1", "OPS-2", "OPS-3"]
    failed = outcomes[1]
    assert (failed.status, failed.error, failed.error_kind, failed.retryable) == (
        "failed",
        "403 Forbidden",
        "PermissionError",
        False,
    )
    assert [o.status for o in (outcomes[0], outcomes[2])] == ["applied", "applied"]


def test_a_write_that_may_have_been_applied_is_failed_and_says_so() -> None:
    lost = JiraUnavailable("PUT /rest/api/2/issue/OPS-1: read timed out", maybe_applied=True)
    outcomes = apply_decisions([escalation("OPS-1")], FakeWriter(failures={"OPS-1": lost}))
    (outcome,) = outcomes
    assert outcome.status == "failed" and outcome.error_kind == "JiraUnavailable"
    assert outcome.retryable is True and "read timed out" in (outcome.error or "")


def test_a_partial_success_is_applied_with_its_warning() -> None:
    writer = FakeWriter(warnings={"OPS-1": "escalated, but the notification failed: 500"})
    (outcome,) = apply_decisions([escalation("OPS-1")], writer)
    assert outcome.status == "applied" and outcome.warning == "escalated, but the notification failed: 500"


def test_a_dry_run_spends_the_budget_as_a_live_run_would() -> None:
    decisions = [escalation(f"OPS-{i}") for i in range(1, 5)]
    live = apply_decisions(decisions, FakeWriter(), budget=3)
    dry = apply_decisions(decisions, DryRunWriter(), budget=3)
    assert [o.status for o in dry] == ["dry_run", "dry_run", "dry_run", "over_budget"]
    assert [o.issue_key for o in dry] == [o.issue_key for o in live]
    assert [o.status == "over_budget" for o in dry] == [o.status == "over_budget" for o in live]


def test_progress_is_reported_for_every_write() -> None:
    seen: list[int] = []
    apply_decisions([escalation(f"OPS-{i}") for i in range(1, 4)], FakeWriter(), on_progress=seen.append)
    assert seen == [1, 2, 3]
