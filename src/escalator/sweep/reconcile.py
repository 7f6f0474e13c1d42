"""Reconciliation: an escalation whose intent is in the audit chain but whose outcome is not (its run was killed
between the two) is looked up in Jira and recorded as applied or not applied.

One read per pending intent (``JiraAdapter.escalation_state``). A run stopped mid-write leaves at most a few
intents per chain (as many as writes were in flight). The read decides by the issue's stored escalation state,
which only that write can have set (``escalator.audit.intents.state_shows``); a later escalation of the issue by
another run would show another state and count the intent as not applied, which is what the chain then says.
Jira errors other than a missing issue propagate: the intent stays pending for the next run.
"""

from __future__ import annotations

from collections.abc import Sequence

from escalator.audit.intents import reconciled_record, state_shows
from escalator.audit.record import AuditRecord, RunInfo
from escalator.jira.adapter import JiraAdapter
from escalator.jira.errors import JiraNotFound

__all__ = ["reconcile_intents"]


def reconcile_intents(intents: Sequence[AuditRecord], jira: JiraAdapter, run: RunInfo) -> list[AuditRecord]:
    """One outcome record per intent, from what Jira shows now."""
    reconciled = []
    for intent in intents:
        try:
            state, problem = jira.escalation_state(intent.issue_key)
        except JiraNotFound:
            reconciled.append(reconciled_record(intent, False, "Jira no longer shows the issue", run))
            continue
        if problem is not None:
            found = f"its escalation state cannot be trusted ({problem})"
            reconciled.append(reconciled_record(intent, False, found, run))
        elif state_shows(intent, state):
            assert state is not None
            found = f"the issue's escalation state shows {state.level} set at {state.at.isoformat()}"
            reconciled.append(reconciled_record(intent, True, found, run))
        else:
            shown = f"{state.level} set at {state.at.isoformat()}" if state is not None else "no escalation"
            found = f"the issue's escalation state shows {shown}, not this escalation"
            reconciled.append(reconciled_record(intent, False, found, run))
    return reconciled
