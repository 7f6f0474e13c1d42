"""Where a policy file came from in git: the commit, whether the file differs from it, who made the commit.

Auditors ask "under which version of which policy, approved by whom?"; the answer is the file's sha256 (in
the policy identity) plus what git knows about it. Without git, or outside a repository, the fields stay None
and the record says so, rather than failing the run.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pydantic import BaseModel, ConfigDict

__all__ = ["GitProvenance", "git_provenance"]


class GitProvenance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    commit: str | None = None
    dirty: bool | None = None
    tracked: bool | None = None
    author: str | None = None
    committed_at: str | None = None

    @property
    def clean(self) -> bool:
        """True only when the file is committed and unchanged since: what a production run should use."""
        return self.commit is not None and self.tracked is True and self.dirty is False


def _git(directory: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def git_provenance(path: Path) -> GitProvenance:
    """Git facts about ``path``: the HEAD commit, and whether this file is tracked and unchanged there."""
    directory = path.resolve().parent
    commit = _git(directory, "rev-parse", "HEAD")
    if commit is None:
        return GitProvenance()
    name = path.resolve().name
    tracked = _git(directory, "ls-files", "--error-unmatch", "--", name) is not None
    status = _git(directory, "status", "--porcelain", "--", name)
    dirty = None if status is None else (bool(status) or not tracked)
    log = _git(directory, "log", "-1", "--format=%an <%ae>%n%cI", "--", name) if tracked else None
    author, _, committed_at = log.partition("\n") if log else (None, "", None)
    return GitProvenance(
        commit=commit, dirty=dirty, tracked=tracked, author=author or None, committed_at=committed_at or None
    )
