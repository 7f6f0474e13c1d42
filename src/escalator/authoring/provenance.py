"""Where a policy file came from in git: HEAD's commit and who made it, whether the file differs from it, and
the file's own last commit (which may be older than HEAD) with its author.

Auditors ask "under which version of which policy, approved by whom?"; the answer is the file's sha256 (in
the policy identity) plus what git knows about it. Without git, or outside a repository, the fields stay None
and the record says so, rather than failing the run.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from escalator.authoring.git import GitRefError, run_git

__all__ = ["GitProvenance", "git_provenance"]


class GitProvenance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    commit: str | None = None  # HEAD
    dirty: bool | None = None
    tracked: bool | None = None
    author: str | None = None  # HEAD's author, "name <email>"
    committed_at: str | None = None  # HEAD's author date (ISO 8601)
    policy_commit: str | None = None  # the last commit that changed the policy file
    policy_author: str | None = None  # that commit's author, "name <email>"
    policy_authored_at: str | None = None  # that commit's author date (ISO 8601)

    @property
    def clean(self) -> bool:
        """True only when the file is committed and unchanged since: what a production run should use."""
        return self.commit is not None and self.tracked is True and self.dirty is False


def _git(directory: Path, *args: str) -> str | None:
    """What git says, or None when it cannot say (no git, not a repository): provenance is what git knows."""
    try:
        return run_git(directory, *args, timeout=10).decode(errors="replace").strip()
    except GitRefError:
        return None


_LOG_FORMAT = "--format=%H%n%an <%ae>%n%aI"


def _commit_facts(directory: Path, *args: str) -> tuple[str | None, str | None, str | None]:
    """(hash, author, author date) of the last commit ``git log -1 ARGS`` names; Nones when there is none."""
    log = _git(directory, "log", "-1", _LOG_FORMAT, *args)
    parts = log.split("\n") if log else []
    if len(parts) != 3:
        return None, None, None
    commit, author, authored_at = parts
    return commit or None, author or None, authored_at or None


def git_provenance(path: Path) -> GitProvenance:
    """Git facts about ``path``: the HEAD commit and its author, whether this file is tracked and unchanged
    there, and the file's own last commit with its author."""
    directory = path.resolve().parent
    commit = _git(directory, "rev-parse", "HEAD")
    if commit is None:
        return GitProvenance()
    name = path.resolve().name
    tracked = _git(directory, "ls-files", "--error-unmatch", "--", name) is not None
    status = _git(directory, "status", "--porcelain", "--", name)
    dirty = None if status is None else (bool(status) or not tracked)
    _, author, authored_at = _commit_facts(directory, "HEAD")
    policy_commit, policy_author, policy_authored_at = (
        _commit_facts(directory, "--", name) if tracked else (None, None, None)
    )
    return GitProvenance(
        commit=commit,
        dirty=dirty,
        tracked=tracked,
        author=author,
        committed_at=authored_at,
        policy_commit=policy_commit,
        policy_author=policy_author,
        policy_authored_at=policy_authored_at,
    )
