"""A policy change previewed from the Prefect UI or API: the diff of ``escalator policy diff``, published per
policy as a markdown artifact (``escalator-preview-<policy>``) and kept with the run history. Reads only: from a
snapshot file, or from Jira without ever constructing the adapter's write path.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from escalator.jira.settings import JiraSettings
from escalator.preview import PreviewParameters
from flows.escalate import jira_settings
from tasks.preview import compute_diffs, publish_preview


@flow(name="policy-preview", log_prints=False, validate_parameters=True)
def policy_preview(params: PreviewParameters = PreviewParameters()) -> dict[str, dict[str, int]]:  # noqa: B008
    """Counts of changed issues by kind, per policy; the details are in the artifacts."""
    logger = get_run_logger()
    settings: JiraSettings | None = None if params.snapshot else jira_settings(params.jira_block)
    diffs = compute_diffs(params, settings)
    result: dict[str, dict[str, int]] = {}
    for diff in diffs:
        key = publish_preview(diff)
        logger.info("%s: %d issues change (artifact %s)", diff.policy, len(diff.changes), key)
        result[diff.policy] = {kind: count for kind, count in diff.counts().items()}
    return result
