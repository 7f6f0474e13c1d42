"""What an auditor asks for: which records, by issue, policy, version, commit, outcome, time and run.

Pure: a query matches records; the readers (Prefect artifacts, the audit sink) use it to narrow what they fetch.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from escalator.audit.record import AuditRecord

__all__ = ["RecordQuery"]


class RecordQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    issue_keys: frozenset[str] = frozenset()
    policy: str | None = None
    policy_version: str | None = None
    commit: str | None = None
    outcomes: frozenset[str] = frozenset()
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    flow_run: str | None = None
    dry_run: bool | None = None
    dirty: bool | None = None
    limit: int | None = None

    def matches(self, record: AuditRecord) -> bool:
        return (
            (not self.issue_keys or record.issue_key.upper() in self.issue_keys)
            and (self.policy is None or record.policy == self.policy)
            and (self.policy_version is None or record.policy_version == self.policy_version)
            and (self.commit is None or _commit_matches(self.commit, record))
            and (not self.outcomes or record.outcome in self.outcomes)
            and (self.since is None or record.evaluated_at >= self.since)
            and (self.until is None or record.evaluated_at < self.until)
            and (self.flow_run is None or self.flow_run in (record.flow_run_id, record.flow_run_name))
            and (self.dry_run is None or record.dry_run == self.dry_run)
            and (self.dirty is None or (record.git_dirty is not False) == self.dirty)
        )

    def before_range(self, created: datetime | None) -> bool:
        """True when an artifact created at ``created`` (and everything older) holds only records before
        ``since``: a record is evaluated before its artifact is created."""
        return self.since is not None and created is not None and created < self.since


def _commit_matches(wanted: str, record: AuditRecord) -> bool:
    """A commit prefix of HEAD (``git_commit``) or of the policy file's last commit (``policy_commit``);
    ``none`` asks for records of policies outside git."""
    if wanted.lower() in {"none", "uncommitted"}:
        return record.git_commit is None
    commits = (record.git_commit, record.policy_commit)
    return any(commit is not None and commit.startswith(wanted.lower()) for commit in commits)
