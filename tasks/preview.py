"""The tasks of a policy preview: compute the diffs (reads only), publish each as a markdown artifact."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from escalator.jira.settings import JiraSettings
from escalator.policy_diff import PolicyDiff
from escalator.policy_diff_render import render_markdown
from escalator.preview import PreviewParameters, artifact_key, preview


@task(name="policy-diff", cache_policy=NO_CACHE)
def compute_diffs(params: PreviewParameters, settings: JiraSettings | None) -> list[PolicyDiff]:
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
