"""The policy-preview flow under the Prefect test harness, on a snapshot: the diff comes back as an artifact."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

from escalator.preview.compare import PreviewParameters
from flows.preview import policy_preview
from tasks.policy_diff import PROBLEMS_KEY
from tests.diff.scenario import BROKEN_POLICY, NOW, policy_repo

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_the_preview_flow_publishes_the_diff_as_markdown(tmp_path: Path, snapshot_file: Path) -> None:
    repo = policy_repo(tmp_path)
    params = PreviewParameters(
        policies=[str(repo / "policies")],
        base="main",
        head="change",
        snapshot=str(snapshot_file),
        at=NOW,
        repository=str(repo),
    )
    state = policy_preview(params, return_state=True)
    counts = state.result()
    assert counts["preview-matrix"]["owner_changed"] == 1
    assert counts["preview-matrix"]["timing_changed"] == 1
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
                key=ArtifactFilterKey(any_=["escalator-preview-preview-matrix"]),
            )
        )
    markdown = str(artifact.data)
    assert "## Policy diff: preview-matrix" in markdown
    assert "| PRV-1 | different owner |" in markdown and "| PRV-3 | next level due at another time |" in markdown


def _artifact_markdown(flow_run_id: object, key: str) -> str:
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]), key=ArtifactFilterKey(any_=[key])
            )
        )
    return str(artifact.data)


def test_a_bad_policy_or_ref_fails_the_run_with_the_problems_as_an_artifact(
    tmp_path: Path, snapshot_file: Path
) -> None:
    repo = policy_repo(tmp_path, head_policy=BROKEN_POLICY)
    params = PreviewParameters(
        policies=[str(repo / "policies")],
        base="main",
        head="change",
        snapshot=str(snapshot_file),
        at=NOW,
        repository=str(repo),
    )
    state = policy_preview(params, return_state=True)
    assert state.is_failed()
    markdown = _artifact_markdown(state.state_details.flow_run_id, PROBLEMS_KEY)
    assert "## Policy preview failed" in markdown
    assert "change:policies/preview.yaml:" in markdown and "window" in markdown

    state = policy_preview(params.model_copy(update={"base": "no-such-ref"}), return_state=True)
    assert state.is_failed()
    assert "unknown git ref 'no-such-ref'" in _artifact_markdown(state.state_details.flow_run_id, PROBLEMS_KEY)
