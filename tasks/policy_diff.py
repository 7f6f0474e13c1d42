"""The tasks of a policy preview: compute the diffs (reads only), publish each as a markdown artifact."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from escalator.authoring.files import PolicyLoadError
from escalator.authoring.git import GitRefError
from escalator.jira.settings import JiraSettings
from escalator.preview.backlog import SnapshotError
from escalator.preview.compare import PreviewParameters, artifact_key, preview
from escalator.preview.diff import PolicyDiff
from escalator.preview.render import render_markdown

PROBLEMS_KEY = "escalator-preview-failed"
"""The artifact of a preview that could not run: a bad policy, git ref or snapshot."""


def problems_markdown(error: PolicyLoadError | GitRefError | SnapshotError) -> str:
    """The problems as the CLI prints them (``file:line: field: message``), one list item each."""
    lines = [str(p) for p in error.problems] if isinstance(error, PolicyLoadError) else [str(error)]
    what = "policy problems" if isinstance(error, PolicyLoadError) else "problem"
    items = "\n".join("- `" + line.replace("`", "'") + "`" for line in lines)
    return f"## Policy preview failed\n\n{len(lines)} {what}:\n\n{items}\n"


@task(name="policy-diff", cache_policy=NO_CACHE)
def compute_diffs(params: PreviewParameters, settings: JiraSettings | None) -> list[PolicyDiff] | str:
    """The diffs; or, when a policy, git ref or snapshot is bad, the problems as markdown (not a traceback)."""
    try:
        return _preview(params, settings)
    except (PolicyLoadError, GitRefError, SnapshotError) as error:
        return problems_markdown(error)


def _preview(params: PreviewParameters, settings: JiraSettings | None) -> list[PolicyDiff]:
    return preview(
        [Path(p) for p in params.policies],
        base=params.base,
        head=params.head,
        cwd=Path(params.repository) if params.repository else Path.cwd(),
        snapshot=Path(params.snapshot) if params.snapshot else None,
        at=params.at,
        settings=settings,
    )


@task(name="publish-preview", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_preview(diff: PolicyDiff) -> str:
    key = artifact_key(diff.policy)
    create_markdown_artifact(
        markdown=render_markdown([diff]),
        key=key,
        description=f"What {diff.base_label} → {diff.head_label} would change ({len(diff.changes)} issues)",
    )
    return key


@task(name="publish-preview-problems", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_problems(markdown: str) -> str:
    create_markdown_artifact(markdown=markdown, key=PROBLEMS_KEY, description="Why the policy preview could not run")
    return PROBLEMS_KEY
