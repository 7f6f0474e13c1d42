"""Issues their escalation state keeps quiet, recorded once: the first time an issue is left alone for its state.

An issue escalated by another policy, in cooldown, at the top level of its category, or changed by a person under
``on_human_change: stop`` is left alone on every sweep, for as long as its state says so. Without a record an
auditor sees only a count in the summary and cannot tell why an issue is quiet; with one every sweep, a sweep
every 15 minutes would repeat it 96 times a day. So a ``left_alone`` record is written the first time an issue is
held for a reason at a given state (the state's policy and instant, ``at``), and again only when either changes.
An issue past its escalation deadline is left to the breach records, which carry the same reason.

What was already recorded is a fact about the audit trail, kept like the open deadline breaches
(``escalator.audit.breaches``): the held issues of a chain (``HeldIssue``) are folded from its ``left_alone``
records, and each run's checkpoint line holds the result; without a sink, the register is the latest
``escalator-<policy>-left-alone`` artifact in Prefect. An issue leaves the register when a sweep sees it no longer
held for that reason and state, or a complete search no longer finds it; a sweep that stopped part-way, or could
not read the issue, keeps it.

Pure: records, a plan and a register in, records and a register out. Dry runs get the records a live run would,
and never change the register.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime

from escalator.audit.record import AuditRecord, RunInfo, held_record
from escalator.audit.registers import RegisterEntry, from_rows, to_rows
from escalator.authoring.provenance import GitProvenance
from escalator.core.decision import Decision, Plan

__all__ = ["HeldIssue", "held_notices", "held_register_from", "held_rows"]

HeldRegister = dict[str, "HeldIssue"]


class HeldIssue(RegisterEntry):
    """An issue recorded as left alone for its state, and still held by it when last seen."""

    reason_code: str
    state_policy: str
    state_at: AwareDatetime
    since: AwareDatetime

    def holds(self, decision: Decision) -> bool:
        """Whether ``decision`` leaves the issue alone for the same reason at the same state."""
        state = decision.holding_state
        return (
            state is not None
            and decision.reason_code == self.reason_code
            and state.policy == self.state_policy
            and state.at == self.state_at
        )


def held_rows(register: Mapping[str, HeldIssue]) -> list[dict[str, Any]]:
    """The register as rows (checkpoint body, table artifact), in issue-key order."""
    return to_rows(register)


def held_register_from(rows: object, records: Iterable[AuditRecord] = ()) -> HeldRegister:
    """The register a checkpoint (``rows``, as ``held_rows`` wrote them) held, advanced by the live ``left_alone``
    records written after it. Rows that do not validate are dropped: their issues are then recorded again, which
    repeats a record rather than losing one."""
    register: HeldRegister = from_rows(rows, HeldIssue)
    for record in records:
        if record.dry_run or record.outcome != "left_alone" or record.state_policy is None or record.state_at is None:
            continue
        key = record.issue_key
        register[key] = _held(key, record.reason_code, record.state_policy, record.state_at, record.evaluated_at)
    return register


def held_notices(
    plan: Plan | None,
    register: Mapping[str, HeldIssue],
    *,
    complete: bool,
    unreadable: Iterable[str],
    git: GitProvenance,
    run: RunInfo,
) -> tuple[list[AuditRecord], HeldRegister]:
    """A ``left_alone`` record for each issue held by its state that the register does not hold yet for that
    reason and state, and the new register. ``complete``: the sweep read the whole search, so an issue it did not
    see has left it."""
    if plan is None:
        return [], dict(register)
    new: HeldRegister = {}
    records: list[AuditRecord] = []
    seen: set[str] = set()
    for decision in plan.decisions:
        seen.add(decision.issue_key)
        state = decision.holding_state
        if state is None or decision.deadline_breached:
            continue  # not held (any more), or past its deadline, which the breach records tell: leaves the register
        known = register.get(decision.issue_key)
        if known is not None and known.holds(decision):
            new[decision.issue_key] = known
            continue
        records.append(held_record(plan, decision, git, run))
        new[decision.issue_key] = _held(decision.issue_key, decision.reason_code, state.policy, state.at, plan.now)
    unread = set(unreadable)
    for key, known in register.items():
        if key not in seen and (not complete or key in unread):
            new[key] = known  # not seen this time, but not known to have left either
    return records, new


def _held(key: str, code: str, policy: str, at: datetime, since: datetime) -> HeldIssue:
    return HeldIssue(issue_key=key, reason_code=code, state_policy=policy, state_at=at, since=since)
