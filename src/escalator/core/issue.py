"""What the core knows of a Jira issue: a frozen snapshot of the fields it reads, and the escalation state
escalator stored on the issue the last time it escalated it.

The Jira adapter builds these from search results; tests and ``policy explain`` build them from JSON. Nothing
here talks to Jira.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "STATE_PROPERTY_KEY",
    "EscalationState",
    "EscalatorChange",
    "FieldValue",
    "IssueSnapshot",
    "SnapshotProblem",
    "StatusCategory",
    "StatusChange",
]

STATE_PROPERTY_KEY = "escalator.state"
"""The Jira issue property under which the escalation state lives on each issue."""

StatusCategory = Literal["new", "indeterminate", "done"]
FieldValue = str | float | int | bool | None | tuple[str, ...]


@dataclass(frozen=True)
class SnapshotProblem:
    """Something wrong with one issue's data that kept it out of the evaluation, e.g. an unreadable state.
    The adapter finds these; the sweep records them; the core never sees such an issue."""

    issue_key: str
    problem: str


class EscalationState(BaseModel):
    """What escalator did to an issue last: written to the issue in the same request as the escalation.

    ``assignee_set`` and ``priority_set`` are what escalator left on the issue; when the issue now shows
    something else, a person changed it since, and escalator does not fight them. Any Jira user who may edit the
    issue may write this property, so the adapter checks its form (and its MAC, when a state key is set) and the
    core checks it against the issue and the policy (``escalator.core.state``) before trusting it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    policy: str
    policy_version: str
    category: str
    level: str
    level_index: int = Field(ge=0, description="1 for the first level (L1), 2 for the second, ...")
    at: AwareDatetime = Field(description="when escalator escalated the issue to this level")
    first_at: AwareDatetime = Field(description="when escalator first escalated the issue under this policy")
    assignee_set: str | None = None
    priority_set: str | None = None
    escalations: int = Field(default=1, ge=1, description="how many escalations this issue has had so far")
    run_id: str | None = None


class EscalatorChange(BaseModel):
    """One change escalator's own account made to the issue, read from the changelog: what it set, and when.
    Only Jira writes the changelog, so these survive when the ``escalator.state`` property is deleted or forged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime
    assignee: str | None = Field(default=None, description="the person it assigned, if the assignee changed")
    priority: str | None = Field(default=None, description="the priority it set, if the priority changed")
    labels_added: tuple[str, ...] = ()


class StatusChange(BaseModel):
    """One status change read from the changelog: when, and from which status to which (names as Jira shows them).
    Golden cases write it ``{at: ..., from: Open, to: Waiting for customer}``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    at: AwareDatetime
    from_status: str | None = Field(default=None, alias="from")
    to_status: str = Field(alias="to")


class IssueSnapshot(BaseModel):
    """An open issue as the core sees it. People are Jira ids: accountId on Cloud, username on Data Center."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(min_length=1)
    project: str
    issue_type: str
    status: str = "To Do"
    status_category: StatusCategory = "new"
    priority: str | None = None
    assignee: str | None = None
    reporter: str | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    fields: dict[str, FieldValue] = Field(
        default_factory=dict, description="custom field values by field id, e.g. customfield_10010"
    )
    created: AwareDatetime
    updated: AwareDatetime | None = None
    assignee_changed_at: AwareDatetime | None = Field(
        default=None, description="when the assignee last changed, by anyone (from the changelog)"
    )
    priority_changed_at: AwareDatetime | None = Field(
        default=None, description="when the priority last changed, by anyone (from the changelog)"
    )
    human_changed_at: AwareDatetime | None = Field(
        default=None,
        description="when a person (anyone but escalator's own account) last changed the assignee or priority, "
        "from the changelog; None when nobody did or the changelog was not available",
    )
    state: EscalationState | None = None
    state_problem: str | None = Field(
        default=None,
        description="why the stored escalation state was not used (unreadable, unsigned or a bad MAC, unknown "
        "schema); the core then rebuilds it from escalator_changes and says so",
    )
    escalator_changes: tuple[EscalatorChange, ...] = Field(
        default=(), description="changes by escalator's own account in the changelog, oldest first"
    )
    status_changes: tuple[StatusChange, ...] = Field(
        default=(), description="the status changes in the changelog, oldest first (for paused clocks)"
    )
    status_history_since: AwareDatetime | None = Field(
        default=None,
        description="None when status_changes is the whole status history; else the instant from which it is "
        "complete (Jira returned only the newest part of the changelog)",
    )

    @field_validator("labels", "components", mode="after")
    @classmethod
    def _sorted_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return value if len(value) < 2 else tuple(sorted(set(value)))  # most issues have none or one

    @field_validator("status_changes", mode="after")
    @classmethod
    def _oldest_first(cls, value: tuple[StatusChange, ...]) -> tuple[StatusChange, ...]:
        return tuple(sorted(value, key=lambda change: change.at))
