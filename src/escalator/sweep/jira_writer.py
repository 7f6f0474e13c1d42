"""The live writer: a decision written to Jira through the adapter, the run stamped into the state and comment."""

from __future__ import annotations

from escalator.audit.record import RunInfo
from escalator.core.decision import Decision
from escalator.jira.adapter import JiraAdapter
from escalator.jira.errors import JiraUnavailable


class JiraWriter:
    """Writes a decision through the adapter, stamping the run into the stored state and the comment.

    A write whose answer was lost (timeout, 502/504 after the request was sent) may have been applied;
    it is reported as failed with that said, and the next sweep reads the issue's state and will not repeat it.
    """

    dry_run = False

    def __init__(self, jira: JiraAdapter, run: RunInfo) -> None:
        self._jira = jira
        self._run = run

    def write(self, decision: Decision) -> str | None:
        state = decision.new_state
        if state is not None and self._run.flow_run_id:
            decision = decision.model_copy(
                update={"new_state": state.model_copy(update={"run_id": self._run.flow_run_id})}
            )
        try:
            applied = self._jira.apply(decision, run_link=run_link(self._run))
        except JiraUnavailable as error:
            if error.maybe_applied:
                raise JiraUnavailable(
                    f"{error} (the write may have been applied; the next sweep reads the issue's state and will "
                    "not repeat it)",
                    maybe_applied=True,
                ) from error
            raise
        return f"escalated, but the notification failed: {applied.notify_error}" if applied.notify_error else None


def run_link(run: RunInfo) -> str | None:
    """How an escalation names its run: the run's page in the Prefect UI, else its name and id."""
    if run.flow_run_url:
        return run.flow_run_url
    return f"escalator flow run {run.flow_run_name} ({run.flow_run_id})" if run.flow_run_id else None
