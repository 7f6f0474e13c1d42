"""Write-ahead intents around the live writer: no escalation reaches Jira without its intent in the audit chain
first, and its outcome right after (``escalator.audit.intents`` finds and reconciles the ones a killed run left)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from escalator.audit.record import AuditRecord, People, RunInfo, intent_record, outcome_record
from escalator.audit.sink import AuditSinkError
from escalator.authoring.provenance import GitProvenance
from escalator.core.decision import Decision, Outcome, Plan
from escalator.sweep.apply import Writer, failure_outcome

__all__ = ["IntentJournal", "JournaledWriter"]

LOG = logging.getLogger(__name__)


class IntentJournal(Protocol):
    """Where intents and outcomes go (``escalator.audit.trail.AuditTrail``)."""

    def append_intent(self, record: AuditRecord) -> None: ...

    def append_outcome(self, record: AuditRecord) -> None: ...


class JournaledWriter:
    """A live writer whose every write is bracketed by its intent and its outcome in the audit chain."""

    def __init__(
        self,
        inner: Writer,
        journal: IntentJournal,
        plan: Plan,
        git: GitProvenance,
        run: RunInfo,
        escalation_deadline: timedelta | None = None,
        people: People | None = None,
    ) -> None:
        self.inner = inner
        self._people = people
        self._deadline = escalation_deadline
        self.dry_run = inner.dry_run
        self._journal = journal
        self._plan = plan
        self._git = git
        self._run = run

    def write(self, decision: Decision) -> str | None:
        self._journal.append_intent(
            intent_record(self._plan, decision, self._git, self._run, self._deadline, self._people)
        )  # raises: no write
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
            self._journal.append_outcome(
                outcome_record(self._plan, decision, outcome, self._git, self._run, self._deadline, self._people)
            )
        except AuditSinkError as error:
            LOG.error("%s: the outcome of the write could not be recorded yet: %s", decision.issue_key, error)
