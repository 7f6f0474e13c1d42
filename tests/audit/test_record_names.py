"""People named as people in the decision records: beside each id, the display name Jira gave for it (the issue's
assignee from the search, the owners from preflight's user look-ups), in the table artifact and in the sink,
intents included. Through the real sweep against the sandbox over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

from escalator.audit.entry import parse_entry
from escalator.audit.sink import AuditSink
from escalator.cli.sweep import load_sweep_flow
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import Sandbox
from tests.conftest import demo_jira

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]


class DisplayNames(dict[str, str]):
    """Display names by accountId, as the sandbox's ``user`` resource answers them (looked up on first use)."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__()
        self.sandbox = sandbox

    def __missing__(self, account_id: str) -> str:
        answer = requests.get(
            f"{self.sandbox.url}/rest/api/3/user", params={"accountId": account_id}, auth=self.sandbox.auth, timeout=10
        )
        answer.raise_for_status()
        self[account_id] = name = str(answer.json()["displayName"])
        return name


def test_records_carry_display_names_beside_the_ids(tmp_path: Path) -> None:
    sink = str(tmp_path / "audit")
    with pytest.MonkeyPatch.context() as patch, demo_jira(patch) as sandbox:
        names = DisplayNames(sandbox)
        params = SweepParameters(policies=[str(ROOT / "policies" / "support.yaml")], audit_sink=sink)
        state = load_sweep_flow()(params, return_state=True)
        assert state.is_completed(), state.message
        with get_client(sync_client=True) as client:
            (artifact,) = client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
                    key=ArtifactFilterKey(any_=["escalator-support-matrix-decisions"]),
                )
            )
        rows = json.loads(str(artifact.data))
        applied = [row for row in rows if row["outcome"] == "applied"]
        assert applied
        for row in applied:
            assert row["assignee_after_name"] == names[row["assignee_after"]], row
            if row["assignee_before"] is not None:
                assert row["assignee_before_name"] == names[row["assignee_before"]], row
        assert any(row["assignee_before"] is not None for row in applied)
        skipped = [row for row in rows if row["owners_skipped"]]
        assert skipped, "the demo has owners who are out"
        for row in skipped:
            for owner_id in {part.split(" at ")[0] for part in row["owners_skipped"].split("; ")}:
                assert names[owner_id] in row["owners_skipped_names"] and owner_id not in row["owners_skipped_names"]

        bodies = [
            (entry.kind, entry.body)
            for line in AuditSink(sink).lines("support-matrix")
            if (entry := parse_entry(line.raw)) is not None and entry.kind in {"intent", "record"}
        ]
        intents = [body for kind, body in bodies if kind == "intent"]
        assert intents and all(body["assignee_after_name"] == names[body["assignee_after"]] for body in intents)
