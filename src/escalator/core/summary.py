"""The status summary every escalation carries (who, what, when, why, under which policy): one value, written
as the text of the Jira comment."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

from escalator.core.decision import SkippedOwner, format_instant

__all__ = ["StatusSummary"]


class StatusSummary(BaseModel):
    """What an escalation e-mail would say. ``at`` is in the calendar's time zone, so the reader sees local time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_level: str | None
    to_level: str
    owner: str
    at: AwareDatetime
    why: str
    assignee_before: str | None
    priority_before: str | None
    priority_after: str | None
    labels_added: tuple[str, ...] = ()
    skipped: tuple[SkippedOwner, ...] = ()
    note: str | None = None
    policy: str
    policy_version: str
    category: str

    def text(self) -> str:
        changes = [f"assignee {self.assignee_before or 'unassigned'} → {self.owner}"]
        if self.priority_after != self.priority_before:
            changes.append(f"priority {self.priority_before or 'none'} → {self.priority_after}")
        if self.labels_added:
            changes.append("labels +" + ", +".join(self.labels_added))
        origin = "" if self.from_level is None else f"from {self.from_level} "
        lines = [
            f"Escalated {origin}to {self.to_level} ({self.owner}) on {format_instant(self.at)}.",
            f"Why: {self.why}",
            f"What changed: {'; '.join(changes)}.",
        ]
        if self.skipped:
            lines.append("Skipped: " + "; ".join(f"{s.owner} at {s.level} ({s.reason})" for s in self.skipped) + ".")
        if self.note:
            lines.append(self.note.strip())
        lines.append(f"Policy: {self.policy} version {self.policy_version}, category {self.category}.")
        return "\n".join(lines)
