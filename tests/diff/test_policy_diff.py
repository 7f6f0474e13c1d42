"""The pure comparison: which kinds of change a pair of decisions makes (no git, no Jira, no Prefect)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from escalator.core.decision import Actions, Decision
from escalator.preview.diff import change_kinds

T = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def escalate(**overrides: Any) -> Decision:
    actions = {"assignee_from": None, "assignee_to": "acc-alice", "priority_from": "Medium", "priority_to": "High"}
    actions.update(overrides.pop("actions", {}))
    fields: dict[str, Any] = {
        "issue_key": "X-1",
        "outcome": "escalate",
        "reason_code": "due",
        "reason": "due",
        "category": "outage",
        "to_level": "L1",
        "actions": Actions(comment="c", **actions),
    }
    return Decision(**{**fields, **overrides})


def wait(**overrides: Any) -> Decision:
    fields: dict[str, Any] = {
        "issue_key": "X-1",
        "outcome": "no_action",
        "reason_code": "not_due",
        "reason": "not due",
        "category": "incident",
        "due_at": T,
    }
    return Decision(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("base", "head", "kinds"),
    [
        (escalate(), escalate(), ()),
        (wait(), wait(), ()),
        (wait(), escalate(), ("newly_escalated", "category_changed")),
        (escalate(), wait(category="outage"), ("no_longer_escalated",)),
        (None, escalate(), ("newly_escalated",)),
        (escalate(), None, ("no_longer_escalated",)),
        (None, wait(), ()),
        (escalate(), escalate(to_level="L2"), ("level_changed",)),
        (escalate(), escalate(actions={"assignee_to": "acc-carol"}), ("owner_changed",)),
        (escalate(), escalate(actions={"priority_to": "Highest"}), ("priority_changed",)),
        (escalate(), escalate(category="incident"), ("category_changed",)),
        (wait(), wait(due_at=T + timedelta(days=3)), ("timing_changed",)),
        (wait(), wait(category="other"), ("category_changed",)),
        (wait(), wait(outcome="skipped", reason_code="exempt_label", due_at=T), ("outcome_changed",)),
        (escalate(), escalate(reason="other words"), ()),
    ],
)
def test_change_kinds(base: Decision | None, head: Decision | None, kinds: tuple[str, ...]) -> None:
    assert change_kinds(base, head) == kinds
