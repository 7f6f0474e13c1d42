"""Write-ahead intents: no escalation reaches Jira without its intent in the audit chain first, and none is left
without an outcome record after the next run.

``JournaledWriter`` wraps the live writer: before each write it appends the escalation's record with outcome
``intent`` to the chain (durably; if that fails, nothing is written to Jira), and right after it the record with
the write's outcome. A sweep killed between the two leaves an intent without an outcome; the next sweep of the
chain finds it (``pending_intents``), reads the issue from Jira (``escalator.sweep.reconcile``) and records it as
``applied`` or ``not_applied`` (``reconciled_record``): applied when the issue's ``escalator.state`` is the very
state the intent would have written (same policy, level and instant), which only that write can have set.

Pure, apart from the writer, which appends through the trail it is given.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from escalator.audit.record import AuditRecord, RunInfo, intent_record, outcome_record
from escalator.audit.sink import AuditSinkError
from escalator.authoring.provenance import GitProvenance
from escalator.core.decision import Decision, Plan
from escalator.core.issue import EscalationState
from escalator.sweep.apply import Outcome, Writer, failure_outcome

__all__ = ["IntentJournal", "JournaledWriter", "pending_intents", "reconciled_record", "state_shows"]

LOG = logging.getLogger(__name__)


class IntentJournal(Protocol):
    """Where intents and outcomes go (``escalator.audit.trail.AuditTrail``)."""

    def append_intent(self, record: AuditRecord) -> None: ...

    def append_outcome(self, record: AuditRecord) -> None: ...


class JournaledWriter:
    """A live writer whose every write is bracketed by its intent and its outcome in the audit chain."""

    def __init__(self, inner: Writer, journal: IntentJournal, plan: Plan, git: GitProvenance, run: RunInfo) -> None:
        self.inner = inner
        self.dry_run = inner.dry_run
        self._journal = journal
        self._plan = plan
        self._git = git
        self._run = run

    def write(self, decision: Decision) -> str | None:
        self._journal.append_intent(intent_record(self._plan, decision, self._git, self._run))  # raises: no write
        try:
            warning = self.inner.write(decision)
        except Exception as error:
            self._outcome(decision, failure_outcome(decision.issue_key, error))
            raise
        self._outcome(decision, Outcome(issue_key=decision.issue_key, status="applied", warning=warning))
        return warning

    def _outcome(self, decision: Decision, outcome: Outcome) -> None:
        """The outcome, right after the write. If the chain cannot take it, the run's final append tries again
        and fails the run loudly; the next run then reconciles the intent."""
        try:
            self._journal.append_outcome(outcome_record(self._plan, decision, outcome, self._git, self._run))
        except AuditSinkError as error:
            LOG.error("%s: the outcome of the write could not be recorded yet: %s", decision.issue_key, error)


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
