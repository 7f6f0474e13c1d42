"""What Jira says happened to an issue over its life: when it was created and resolved, who changed which field
when, and who commented when. The audit report needs these beyond the decision records (when an escalated issue
was first owned, when a person acted after an escalation, whether and when it was closed).

Values only: the Jira adapter builds them from a search, the report reads them. ``changes_complete`` and
``comments_complete`` say whether Jira returned every entry; a question whose answer may lie in what Jira left
out is answered ``None`` with the reason, never guessed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from escalator.core.issue import StatusCategory

__all__ = ["Answer", "FieldChange", "IssueComment", "IssueHistory"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldChange(_Frozen):
    """One changed field of one changelog entry. People are accountIds (Cloud) or usernames (Data Center)."""

    at: AwareDatetime
    author: str | None
    field: str
    from_value: str | None = None
    to_value: str | None = None


class IssueComment(_Frozen):
    at: AwareDatetime
    author: str | None


@dataclass(frozen=True)
class Answer:
    """An instant, or why there is none: ``None`` with ``reason`` when it cannot be known from what Jira gave,
    ``None`` without a reason when it has not happened (yet)."""

    at: datetime | None
    reason: str | None = None

    @property
    def known(self) -> bool:
        return self.reason is None


class IssueHistory(_Frozen):
    key: str
    created: AwareDatetime
    resolved_at: AwareDatetime | None = None
    status_category: StatusCategory = "new"
    assignee: str | None = None
    changes: tuple[FieldChange, ...] = ()
    comments: tuple[IssueComment, ...] = ()
    changes_complete: bool = True
    comments_complete: bool = True

    @property
    def resolved(self) -> bool:
        """Done in Jira: its status category is done, whether or not Jira kept a resolution date."""
        return self.status_category == "done" or self.resolved_at is not None

    def first_owned_at(self) -> Answer:
        """When the issue first had an assignee: at creation when it was created assigned, else at the first
        change that set one; not yet when it never had one."""
        if not self.changes_complete:
            return Answer(None, "Jira returned only part of its changelog")
        assignments = sorted((c for c in self.changes if c.field == "assignee"), key=lambda c: c.at)
        if assignments and assignments[0].from_value is not None:
            return Answer(self.created)  # someone held it before the first change: it was created assigned
        first = next((c for c in assignments if c.to_value is not None), None)
        if first is not None:
            return Answer(first.at)
        return Answer(self.created if self.assignee is not None else None)

    def next_human_action(self, after: datetime, bots: Collection[str]) -> Answer:
        """The first change or comment after ``after`` by anyone but ``bots`` (escalator's own accounts)."""
        if not (self.changes_complete and self.comments_complete):
            incomplete = "changelog" if not self.changes_complete else "comments"
            return Answer(None, f"Jira returned only part of its {incomplete}")
        people = [c.at for c in self.changes if c.author is not None and c.author not in bots]
        people += [c.at for c in self.comments if c.author is not None and c.author not in bots]
        return Answer(min((at for at in people if at > after), default=None))
