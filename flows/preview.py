"""A policy change previewed from the Prefect UI or API: the diff of ``escalator policy diff``, published per
policy as a markdown artifact (``escalator-preview-<policy>``) and kept with the run history. Reads only: from a
snapshot file, or from Jira without ever constructing the adapter's write path.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.states import Failed, State

from escalator.jira.settings import JiraSettings
from escalator.preview.compare import PreviewParameters
from tasks.jira import jira_settings
from tasks.policy_diff import compute_diffs, publish_preview, publish_problems


@flow(name="policy-preview", log_prints=False, validate_parameters=True)
def policy_preview(
    params: PreviewParameters = PreviewParameters(),  # noqa: B008
) -> dict[str, dict[str, int]] | State[None]:
    """Counts of changed issues by kind, per policy; the details are in the artifacts. A bad policy, git ref or
    snapshot ends the run Failed, its problems (file:line: field: message) in the artifact
    ``escalator-preview-failed``."""
    logger = get_run_logger()
    settings: JiraSettings | None = None if params.snapshot else jira_settings(params.jira_block)
    diffs = compute_diffs(params, settings)
    if isinstance(diffs, str):
        key = publish_problems(diffs)
        logger.error("the preview could not run: %s", diffs)
        return Failed(message=f"the policies, git refs or snapshot are not valid: see the artifact {key}")
    result: dict[str, dict[str, int]] = {}
    for diff in diffs:
        key = publish_preview(diff)
        logger.info("%s: %d issues change (artifact %s)", diff.policy, len(diff.changes), key)
        result[diff.policy] = {kind: count for kind, count in diff.counts().items()}
    return result
