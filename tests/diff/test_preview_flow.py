"""The policy-preview flow under the Prefect test harness, on a snapshot: the diff comes back as an artifact."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

from escalator.preview import PreviewParameters
from flows.preview import policy_preview
from tests.diff.scenario import NOW, policy_repo

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
