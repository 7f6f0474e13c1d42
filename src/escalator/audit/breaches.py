"""Deadline breaches recorded once: when a breach starts, once a (UTC) day while it lasts, and when it ends.

The core reports every issue past its escalation deadline on every sweep (``Decision.deadline_breached``); a sweep
every 15 minutes would record each such issue 96 times a day. What was already recorded is a fact about the audit
trail, so that is where it is kept: the open breaches of a chain (``OpenBreach``: issue, deadline, when it was
first recorded, the day of its newest record) are folded from the chain's own breach records, and each run's
checkpoint line holds the result so the next run reads only the entries after it (``escalator.audit.trail``).
Without a sink, the register is the latest ``escalator-<policy>-breaches`` artifact in Prefect.

A breach ends, with a ``breach_ended`` record, when the issue is resolved, escalated (applied, or dry run), no
longer past its deadline for another reason (exempted, taken by another policy), or gone from a complete search
(resolved where the scope leaves resolved issues out, moved or deleted). A sweep that stopped part-way ends
nothing it did not see, and an issue whose data could not be read keeps its breach open.

Pure: records, a plan and a register in, records and a register out. Dry runs get the same records a live run
would, but their records never change the register (``register_from`` ignores them) and are not kept as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date
from typing import Any

from pydantic import AwareDatetime

from escalator.audit.record import AuditRecord, RunInfo, breach_ended_record
from escalator.audit.registers import RegisterEntry, from_rows, to_rows
from escalator.authoring.provenance import GitProvenance
from escalator.core.decision import Plan

__all__ = ["OpenBreach", "breach_notices", "register_from", "register_rows"]

Register = dict[str, "OpenBreach"]


class OpenBreach(RegisterEntry):
    """A deadline breach that has been recorded and has not ended."""

    deadline_at: AwareDatetime
    since: AwareDatetime
    last_recorded: date


def register_rows(register: Mapping[str, OpenBreach]) -> list[dict[str, Any]]:
    """The register as rows (checkpoint body, table artifact), in issue-key order."""
    return to_rows(register)


def register_from(rows: object, records: Iterable[AuditRecord] = ()) -> Register:
    """The register a checkpoint (``rows``, as ``register_rows`` wrote them) held, advanced by the live breach
    records written after it. Rows that do not validate are dropped: their breaches are then recorded as starting
    again, which repeats a record rather than losing one."""
    register: Register = from_rows(rows, OpenBreach)
    for record in records:
        if record.dry_run or record.breach is None:
            continue
        if record.breach == "ended":
            register.pop(record.issue_key, None)
        elif record.deadline_at is not None:
            known = register.get(record.issue_key)
            register[record.issue_key] = OpenBreach(
                issue_key=record.issue_key,
                deadline_at=record.deadline_at,
                since=known.since if known is not None and record.breach == "ongoing" else record.evaluated_at,
                last_recorded=record.evaluated_at.astimezone(UTC).date(),
            )
    return register


def breach_notices(
    records: Sequence[AuditRecord],
    plan: Plan | None,
    register: Mapping[str, OpenBreach],
    *,
    complete: bool,
    unreadable: Iterable[str],
    git: GitProvenance,
    run: RunInfo,
) -> tuple[list[AuditRecord], Register]:
    """``records`` with each deadline breach kept only when it starts or was not recorded yet today (marked
    ``started``/``ongoing``), plus a ``breach_ended`` record for each open breach that ended; and the new register.
    ``complete``: the sweep read the whole search, so an issue it did not see has left it."""
    if plan is None:
        return list(records), dict(register)
    today = plan.now.astimezone(UTC).date()
    new: Register = dict(register)
    kept: list[AuditRecord] = []
    breached: set[str] = set()
    status: dict[str, str] = {}
    for record in records:
        status[record.issue_key] = record.outcome
        if record.outcome != "deadline_breached" or record.deadline_at is None:
            kept.append(record)
            continue
        key = record.issue_key
        breached.add(key)
        known = register.get(key)
        if known is not None and known.last_recorded >= today:
            continue  # recorded already today
        kept.append(record.model_copy(update={"breach": "started" if known is None else "ongoing"}))
        since = plan.now if known is None else known.since
        new[key] = OpenBreach(issue_key=key, deadline_at=record.deadline_at, since=since, last_recorded=today)
    decisions = {decision.issue_key: decision for decision in plan.decisions}
    unreadable = set(unreadable)
    for key, known in sorted(register.items()):
        if key in breached:
            continue
        decision = decisions.get(key)
        if decision is None:
            if not complete or key in unreadable:
                continue
            code = "left_search"
            why = f"{key} is no longer in the policy's search: resolved, moved out of scope or deleted."
        elif decision.outcome == "escalate":
            if status.get(key) not in {"applied", "dry_run"}:
                continue  # the escalation did not happen: the breach goes on
            code, why = "escalated", f"{key} was escalated to {decision.to_level} in this run."
        elif decision.outcome == "skipped" and decision.deadline_breached:
            continue  # still past its deadline; the skip record says so
        else:
            code, why = decision.reason_code, f"{key} is no longer past its escalation deadline: {decision.reason}"
        kept.append(breach_ended_record(plan, key, known.deadline_at, code, why, git, run))
        del new[key]
    return kept, new
