"""Which policies a sweep runs: every one validated, with its git provenance, and refused when a production
run requires clean policies and one is not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from escalator.authoring.files import LoadedPolicy, load_policies
from escalator.authoring.provenance import GitProvenance, git_provenance
from escalator.core.policy import Policy, PolicyIdentity


@dataclass(frozen=True)
class PolicyRun:
    """A validated policy with the facts a run records about it."""

    loaded: LoadedPolicy
    git: GitProvenance

    @property
    def policy(self) -> Policy:
        return self.loaded.policy

    @property
    def identity(self) -> PolicyIdentity:
        return self.loaded.identity.model_copy(update={"git_commit": self.git.commit, "git_dirty": self.git.dirty})


class PolicyProvenanceError(Exception):
    """A production run refused a policy that is not committed, unchanged, in git."""


def prepare_policies(paths: Sequence[Path], *, require_clean_policy: bool) -> list[PolicyRun]:
    """Every policy validated (``PolicyLoadError`` lists all problems) with its git provenance."""
    runs = [PolicyRun(loaded, git_provenance(loaded.path)) for loaded in load_policies(paths)]
    if require_clean_policy:
        unclean = [run for run in runs if not run.git.clean]
        if unclean:
            names = ", ".join(f"{run.loaded.path} ({_why_unclean(run.git)})" for run in unclean)
            raise PolicyProvenanceError(f"require_clean_policy is set and these policies are not clean: {names}")
    return runs


def _why_unclean(git: GitProvenance) -> str:
    if git.commit is None:
        return "not in a git repository"
    if not git.tracked:
        return "not committed"
    return "changed since the last commit"
