"""A policy change previewed: the policy files at two git refs (or the working tree), evaluated against the
same backlog at the same instant, compared. What ``escalator policy diff`` and the ``policy-preview`` flow run.

The backlog is a snapshot file, or one taken read-only from Jira for the scopes of both sides; each side is
evaluated on the issues in its own scope (a scope change shows), with the same inactive users. Every policy
problem of both sides is raised together as one ``PolicyLoadError`` whose problems name ``REF:path``, line and field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from escalator.authoring.files import (
    CASES_SUFFIXES,
    LoadedPolicy,
    PolicyLoadError,
    PolicyProblem,
    load_policies,
    load_policy_bytes,
)
from escalator.authoring.git import GitRefError, GitRepo
from escalator.core.decision import Plan
from escalator.core.evaluate import evaluate
from escalator.core.policy import Policy
from escalator.jira.adapter import JiraAdapter
from escalator.jira.settings import JiraSettings
from escalator.preview.backlog import Backlog, Snapshot, read_snapshot, take_snapshot
from escalator.preview.diff import PolicyDiff, diff_plans

__all__ = [
    "PolicySide",
    "PreviewParameters",
    "artifact_key",
    "diff_sides",
    "live_snapshot",
    "policies_at",
    "preview",
    "resolve_sides",
]

WORKING_TREE = "working tree"


class PreviewParameters(BaseModel):
    """What a ``policy-preview`` flow run compares (the flow's parameters, validated, shown in the run form)."""

    model_config = ConfigDict(extra="forbid")

    policies: list[str] = Field(default=["policies"], description="policy files or folders")
    base: str | None = Field(default=None, description="git ref before; default: the merge base with main")
    head: str | None = Field(default=None, description="git ref after; default: the working tree")
    snapshot: str | None = Field(default=None, description="a snapshot file; default: read Jira, read-only")
    at: AwareDatetime | None = Field(default=None, description="the instant; default: the snapshot's, or now")
    repository: str | None = Field(default=None, description="the git checkout; default: the working directory")
    jira_block: str | None = Field(
        default=None, description="a Prefect Secret block with the Jira settings; default: JIRA_* variables"
    )


def artifact_key(policy: str) -> str:
    """``escalator-preview-<policy>``: one history per policy on Prefect's Artifacts page."""
    return f"escalator-preview-{policy}"


@dataclass(frozen=True)
class PolicySide:
    """The policies of one side of a diff: ``label`` is the ref as given (or "working tree")."""

    label: str
    commit: str | None
    policies: tuple[LoadedPolicy, ...]
    notes: tuple[str, ...] = ()


def resolve_sides(
    paths: Sequence[Path], base: str | None, head: str | None, cwd: Path
) -> tuple[PolicySide, PolicySide]:
    """Load both sides; ``base`` None means the merge base with the main branch, ``head`` None the working
    tree. Raises ``GitRefError`` for git problems and one ``PolicyLoadError`` with the problems of both."""
    repo = GitRepo(cwd)
    if head is not None:
        repo.commit_of(head)
    base_commit = repo.commit_of(base) if base is not None else repo.merge_base_with_main(head or "HEAD")
    base_label = base or f"merge-base {base_commit[:12]}"
    problems: list[PolicyProblem] = []
    sides: list[PolicySide] = []
    for label, ref in ((base_label, base_commit), (head or WORKING_TREE, head)):
        try:
            sides.append(policies_at(repo, ref, paths, label))
        except PolicyLoadError as error:
            problems.extend(error.problems)
    if problems:
        raise PolicyLoadError(problems)
    return sides[0], sides[1]


def policies_at(repo: GitRepo, ref: str | None, paths: Sequence[Path], label: str) -> PolicySide:
    """The policies under ``paths`` at ``ref`` (None: the working tree). A file missing at a ref is noted, not
    an error: a pull request may add or remove a policy."""
    if ref is None:
        return PolicySide(label, None, tuple(load_policies(paths)))
    commit = repo.commit_of(ref)
    display = label.split(" ")[-1] if label.startswith("merge-base ") else label
    loaded: list[LoadedPolicy] = []
    problems: list[PolicyProblem] = []
    notes: list[str] = []
    for path in paths:
        relative = repo.relative(path)
        if repo.is_dir_at(commit, relative):
            files = [
                f
                for f in repo.files_at(commit, relative)
                if f.endswith((".yaml", ".yml")) and not f.endswith(CASES_SUFFIXES)
            ]
        else:
            files = [relative]
        for file in files:
            try:
                raw = repo.show(commit, file)
            except GitRefError:
                notes.append(f"{file} does not exist at {label}")
                continue
            try:
                loaded.append(load_policy_bytes(raw, f"{display}:{file}", Path(file)))
            except PolicyLoadError as error:
                problems.extend(error.problems)
    if problems:
        raise PolicyLoadError(problems)
    return PolicySide(label, commit, tuple(loaded), tuple(notes))


def diff_sides(base: PolicySide, head: PolicySide, backlog: Backlog, now: datetime) -> list[PolicyDiff]:
    """One diff per policy name found on either side, head's order first. Each side is evaluated on the issues
    in its own scope, so a change of scope shows as issues escalated on one side only. A scope the backlog does
    not hold leaves that policy uncompared (``unknown``), with a note saying so."""
    before = {item.policy.name: item for item in base.policies}
    after = {item.policy.name: item for item in head.policies}
    names = list(dict.fromkeys([*after, *before]))
    inactive = backlog.inactive_users
    diffs = []
    for name in names:
        notes = [*base.notes, *head.notes, *_problem_notes(backlog)]
        old, new = before.get(name), after.get(name)
        if old is not None and new is not None and old.policy.scope != new.policy.scope:
            notes.append(
                f"the scope changed ({old.policy.scope!r} → {new.policy.scope!r}); each side is evaluated on "
                "the issues in its own scope"
            )
        if old is None:
            notes.append(f"{name} is new at {head.label}")
        if new is None:
            notes.append(f"{name} is removed at {head.label}")
        plans: list[Plan | None] = []
        keys: set[str] = set()
        unknown = False
        for item, side in ((old, base), (new, head)):
            if item is None:
                plans.append(None)
                continue
            issues = backlog.issues_in(item.policy)
            if issues is None:
                unknown = True
                notes.append(
                    f"the snapshot holds no issues for scope {item.policy.scope!r} of {name} at {side.label}: "
                    f"its issues are unknown, so {name} is not compared; save a new snapshot with this scope "
                    "(escalator snapshot save) or diff against Jira"
                )
                plans.append(None)
                continue
            keys |= {issue.key for issue in issues}
            roster = backlog.roster(issues)
            plans.append(
                evaluate(issues, item.policy, now, inactive_users=inactive, identity=item.identity, roster=roster)
            )
        diff = diff_plans(
            plans[0] if not unknown else None,
            plans[1] if not unknown else None,
            base_label=base.label,
            head_label=head.label,
            now=now,
            issues=len(keys),
            notes=tuple(notes),
            policy_name=name,
        )
        diffs.append(diff.model_copy(update={"unknown": True}) if unknown else diff)
    return diffs


def _problem_notes(backlog: Backlog) -> list[str]:
    problems = backlog.snapshot.problems
    if not problems:
        return []
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return [f"data problems when the issues were read: {'; '.join(problems[:3])}{more}"]


def live_snapshot(settings: JiraSettings, policies: Sequence[Policy], now: datetime) -> Snapshot:
    """A snapshot of the scopes of ``policies`` taken now from Jira: reads only, no writer is constructed."""
    with JiraAdapter.connect(settings) as jira:
        return take_snapshot(jira, policies, now)


def preview(
    paths: Sequence[Path],
    *,
    base: str | None,
    head: str | None,
    cwd: Path,
    snapshot: Path | None,
    at: datetime | None,
    settings: JiraSettings | None = None,
) -> list[PolicyDiff]:
    """The whole preview. ``at`` defaults to the snapshot's ``taken_at`` (a snapshot diff is reproducible), or
    to the time the issues are read from Jira (``settings``, else the ``JIRA_*`` environment)."""
    base_side, head_side = resolve_sides(paths, base, head, cwd)
    if snapshot is not None:
        taken = read_snapshot(snapshot)
    else:
        policies = [item.policy for item in (*base_side.policies, *head_side.policies)]
        taken = live_snapshot(settings or JiraSettings.from_env(), policies, at or datetime.now(UTC))
    return diff_sides(base_side, head_side, Backlog(taken), at or taken.taken_at)
