"""What a policy change would do: two plans over the same issues at the same instant, compared decision by
decision. Pure: no git, no Jira, no clock; ``escalator.preview.compare`` gathers the plans, the renderers in
``escalator.preview.render`` write the result.

An issue changes when its decision differs in what a person would notice: whether it escalates, to which level,
to whom, at which priority, under which category, or when its next level is due.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from escalator.core.decision import Decision, Plan

__all__ = ["KINDS", "ChangeKind", "IssueChange", "PolicyDiff", "diff_plans"]

ChangeKind = Literal[
    "newly_escalated",
    "no_longer_escalated",
    "level_changed",
    "owner_changed",
    "priority_changed",
    "category_changed",
    "timing_changed",
    "outcome_changed",
]
KINDS: tuple[ChangeKind, ...] = get_args(ChangeKind)
"""Every kind of change, in the order reports list them."""
"""In the order the counts are reported."""


class IssueChange(BaseModel):
    """One issue whose decision differs; ``base``/``head`` is None where the issue is outside that scope."""

    model_config = ConfigDict(frozen=True)

    issue_key: str
    kinds: tuple[ChangeKind, ...]
    base: Decision | None
    head: Decision | None


class PolicyDiff(BaseModel):
    model_config = ConfigDict(frozen=True)

    policy: str
    base_label: str
    head_label: str
    base_version: str | None
    head_version: str | None
    now: datetime
    issues: int
    base_escalations: int
    head_escalations: int
    base_blocked: str | None = None
    head_blocked: str | None = None
    changes: tuple[IssueChange, ...]
    notes: tuple[str, ...] = ()
    unknown: bool = False
    """a side's scope is not in the backlog: the policy is not compared (no changes, and ``--fail-over`` fails)"""

    def counts(self) -> dict[ChangeKind, int]:
        """Changed issues by kind, every kind present (an issue counts once under each of its kinds)."""
        result: dict[ChangeKind, int] = dict.fromkeys(KINDS, 0)
        for change in self.changes:
            for kind in change.kinds:
                result[kind] += 1
        return result

    @property
    def newly_escalated(self) -> int:
        """The guard of ``--fail-over``: issues the head escalates that the base does not."""
        return self.counts()["newly_escalated"]


def diff_plans(
    base: Plan | None,
    head: Plan | None,
    *,
    base_label: str,
    head_label: str,
    now: datetime,
    issues: int,
    notes: tuple[str, ...] = (),
    policy_name: str | None = None,
) -> PolicyDiff:
    """Compare ``base`` and ``head`` (None: the policy does not exist on that side) issue by issue. Both None
    only with ``policy_name``: nothing is compared."""
    named = head if head is not None else base
    if named is None and policy_name is None:
        raise ValueError("diff_plans needs at least one plan")
    before = _by_key(base)
    after = _by_key(head)
    changes = []
    for key in sorted(before.keys() | after.keys(), key=_key_order):
        kinds = change_kinds(before.get(key), after.get(key))
        if kinds:
            changes.append(IssueChange(issue_key=key, kinds=kinds, base=before.get(key), head=after.get(key)))
    return PolicyDiff(
        policy=named.policy.name if named is not None else str(policy_name),
        base_label=base_label,
        head_label=head_label,
        base_version=base.policy.version if base else None,
        head_version=head.policy.version if head else None,
        now=now,
        issues=issues,
        base_escalations=len(base.escalations) if base else 0,
        head_escalations=len(head.escalations) if head else 0,
        base_blocked=base.blocked if base else None,
        head_blocked=head.blocked if head else None,
        changes=tuple(changes),
        notes=notes,
    )


def change_kinds(base: Decision | None, head: Decision | None) -> tuple[ChangeKind, ...]:
    """How the decision for one issue differs; () when a person would see no difference."""
    base_escalates = base is not None and base.outcome == "escalate"
    head_escalates = head is not None and head.outcome == "escalate"
    kinds: list[ChangeKind] = []
    if base_escalates != head_escalates:
        kinds.append("newly_escalated" if head_escalates else "no_longer_escalated")
        if base is not None and head is not None and base.category != head.category:
            kinds.append("category_changed")
        return tuple(kinds)
    if base is None or head is None:
        return ()  # in one scope only, and escalated on neither side
    if base_escalates:
        if base.to_level != head.to_level:
            kinds.append("level_changed")
        if _actions(base, "assignee_to") != _actions(head, "assignee_to"):
            kinds.append("owner_changed")
        if _actions(base, "priority_to") != _actions(head, "priority_to"):
            kinds.append("priority_changed")
    if base.category != head.category:
        kinds.append("category_changed")
    if not base_escalates:
        if base.due_at != head.due_at or base.to_level != head.to_level:
            kinds.append("timing_changed")
        if (base.outcome, base.reason_code) != (head.outcome, head.reason_code) and not kinds:
            kinds.append("outcome_changed")
    return tuple(kinds)


def _actions(decision: Decision, name: str) -> str | None:
    return None if decision.actions is None else getattr(decision.actions, name)


def _by_key(plan: Plan | None) -> Mapping[str, Decision]:
    return {} if plan is None else {d.issue_key: d for d in plan.decisions}


def _key_order(key: str) -> tuple[str, int, str]:
    """OPS-2 before OPS-10."""
    project, _, number = key.rpartition("-")
    return (project, int(number), key) if number.isdigit() else (key, 0, key)
