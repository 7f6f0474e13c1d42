"""A ``Decision`` -> the Jira requests that carry it out. Pure: builds bodies, sends nothing.

One escalation is one ``PUT /issue/{key}``: assignee, priority, labels (added), the status comment and the
new escalation state as an inline issue property, so Jira applies them together or not at all. A separate
``POST /issue/{key}/notify`` is built only when the decision asks for explicit notifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from escalator.core.decision import Decision
from escalator.core.issue import STATE_PROPERTY_KEY
from escalator.jira.snapshot import Deployment
from escalator.jira.state_seal import StateSeal

__all__ = ["IssueEdit", "issue_edit", "mention", "notification", "user_ref"]


@dataclass(frozen=True)
class IssueEdit:
    issue_key: str
    body: dict[str, Any]
    notification: dict[str, Any] | None


def user_ref(user: str, deployment: Deployment) -> dict[str, str]:
    """How a request names a person: accountId on Cloud, username on Data Center."""
    return {"accountId": user} if deployment == "cloud" else {"name": user}


def mention(user: str, deployment: Deployment) -> str:
    """A person in the v2 wiki markup escalator's comments are written in: Jira shows the name, linked."""
    return f"[~accountid:{user}]" if deployment == "cloud" else f"[~{user}]"


def issue_edit(
    decision: Decision, deployment: Deployment, run_link: str | None = None, seal: StateSeal | None = None
) -> IssueEdit:
    """The write for an ``escalate`` decision; anything else is a programming error (ValueError). ``seal`` signs
    the state when a state key is set."""
    actions, state = decision.actions, decision.new_state
    if decision.outcome != "escalate" or actions is None or state is None:
        raise ValueError(f"{decision.issue_key}: only an escalation with actions and a new state can be applied")
    fields: dict[str, Any] = {}
    if actions.assignee_to != actions.assignee_from:
        fields["assignee"] = user_ref(actions.assignee_to, deployment)
    if actions.priority_to is not None and actions.priority_to != actions.priority_from:
        fields["priority"] = {"name": actions.priority_to}
    text = actions.summary.text(person=lambda user: mention(user, deployment)) if actions.summary else actions.comment
    comment = text if run_link is None else f"{text}\n\nRun: {run_link}"
    update: dict[str, Any] = {"comment": [{"add": {"body": comment}}]}
    if actions.labels_add:
        update["labels"] = [{"add": label} for label in actions.labels_add]
    body = {
        "fields": fields,
        "update": update,
        "properties": [{"key": STATE_PROPERTY_KEY, "value": (seal or StateSeal()).seal(decision.issue_key, state)}],
    }
    return IssueEdit(decision.issue_key, body, notification(decision, deployment))


def notification(decision: Decision, deployment: Deployment) -> dict[str, Any] | None:
    """The body of ``POST /issue/{key}/notify``, or None when the decision asks nobody to be told."""
    actions = decision.actions
    if actions is None or not actions.notifies:
        return None
    level = decision.to_level or "the next level"
    return {
        "subject": f"{decision.issue_key} escalated to {level}",
        "textBody": actions.comment,
        "to": {
            "reporter": actions.notify_reporter,
            "assignee": actions.notify_assignee,
            "watchers": actions.notify_watchers,
            "users": [user_ref(user, deployment) for user in actions.notify_users],
        },
    }
