"""Write-ahead intents: no escalation reaches Jira without its intent in the audit chain first, and none is left
without an outcome record after the next run.

``escalator.sweep.journal.JournaledWriter`` wraps the live writer: before each write it appends the escalation's
record with outcome ``intent`` to the chain (durably; if that fails, nothing is written to Jira), and right after
it the record with the write's outcome. A sweep killed between the two leaves an intent without an outcome; the
next sweep of the chain finds it (``pending_intents``), reads the issue from Jira (``escalator.sweep.reconcile``)
and records it as ``applied`` or ``not_applied`` (``reconciled_record``): applied when the issue's
``escalator.state`` is the very state the intent would have written (same policy, level and instant), which only
that write can have set.

Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from escalator.audit.record import AuditRecord, RunInfo
from escalator.core.issue import EscalationState

__all__ = ["pending_intents", "reconciled_record", "state_shows"]


def _intent_key(record: AuditRecord) -> tuple[str, str | None, datetime]:
    return record.issue_key, record.flow_run_id, record.evaluated_at


def pending_intents(entries: Iterable[tuple[str, AuditRecord]]) -> list[AuditRecord]:
    """The intents among ``entries`` (kind and record, in chain order) that no outcome record follows."""
    intents: dict[tuple[str, str | None, datetime], AuditRecord] = {}
    for kind, record in entries:
        key = _intent_key(record)
        if kind == "intent":
            intents.setdefault(key, record)
        elif record.decision == "escalate":
            intents.pop(key, None)
    return list(intents.values())


def state_shows(intent: AuditRecord, state: EscalationState | None) -> bool:
    """True when ``state`` is the one the intent's write would have stored: only that write sets it."""
    return (
        state is not None
        and state.policy == intent.policy
        and state.level == intent.to_level
        and state.at == intent.evaluated_at
    )


def reconciled_record(intent: AuditRecord, applied: bool, found: str, by: RunInfo) -> AuditRecord:
    """The outcome of an intent whose run did not record one: ``found`` says what Jira showed."""
    who = by.flow_run_name or by.flow_run_id or "a later run"
    verdict = "applied" if applied else "not applied"
    return intent.model_copy(
        update={
            "outcome": "applied" if applied else "not_applied",
            "reason": f"{intent.reason} Reconciled by {who}: the run was stopped between its write and the "
            f"record of its outcome; {found}, so the escalation was {verdict}.",
            "reconciled_by": by.flow_run_id or by.flow_run_name or "unknown",
        }
    )
