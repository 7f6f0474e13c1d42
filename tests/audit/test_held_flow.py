"""Issues their escalation state keeps quiet, end to end under the Prefect test harness against the sandbox: the
first sweep that leaves an issue alone for its state (cooldown, top level, another policy's) records why, later
sweeps at the same state do not, and a new state is recorded again. The register lives in the sink's checkpoint,
or without a sink in Prefect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

from escalator.audit.entry import parse_entry
from escalator.audit.sink import AuditSink
from escalator.authoring.files import load_policy_file
from escalator.cli.sweep import load_sweep_flow
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import Sandbox
from tests.conftest import demo_jira

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = str(ROOT / "policies" / "outage.yaml")


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with demo_jira(monkeypatch) as running:
        yield running


def sweep(**params: Any) -> list[dict[str, Any]]:
    """One sweep of the outage policy; its decision records as published in Prefect."""
    state = load_sweep_flow()(SweepParameters(policies=[OUTAGE], **params), return_state=True)
    assert state.is_completed(), state.message
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
                key=ArtifactFilterKey(any_=["escalator-outage-matrix-decisions"]),
            )
        )
    return [row for row in json.loads(str(artifact.data)) if row.get("policy")]


def left_alone(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = [row for row in rows if row["outcome"] == "left_alone"]
    by_key = {row["issue_key"]: row for row in found}
    assert len(by_key) == len(found), "one left_alone record per issue and run"
    return by_key


def test_cooldown_and_top_level_are_recorded_once_per_state_with_the_sink_keeping_count(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as patch, demo_jira(patch):
        sink = str(tmp_path / "audit")
        first = sweep(audit_sink=sink)
        applied = {row["issue_key"]: row for row in first if row["outcome"] == "applied"}
        assert applied and not left_alone(first)

        second = sweep(audit_sink=sink)  # within the 15-minute cooldown of every escalation just made
        quiet = left_alone(second)
        assert set(quiet) == set(applied)
        tops = {c.name: c.levels[-1].name for c in load_policy_file(Path(OUTAGE)).policy.categories}
        for key, row in quiet.items():
            expected = "at_top_level" if applied[key]["to_level"] == tops[row["category"]] else "cooldown"
            assert row["reason_code"] == expected, (key, row["reason"])
            assert row["state_policy"] == "outage-matrix" and row["state_at"] is not None
            assert row["from_level"] == applied[key]["to_level"]
            assert key in row["reason"]

        assert not left_alone(sweep(audit_sink=sink))  # same states: nothing new to say

        checkpoint = [
            entry.body
            for line in AuditSink(sink).lines("outage-matrix")
            if (entry := parse_entry(line.raw)) is not None and entry.kind == "checkpoint"
        ][-1]
        assert sorted(row["issue_key"] for row in checkpoint["held"]) == sorted(applied)


def test_a_dry_run_predicts_the_records_and_changes_nothing(sandbox: Sandbox) -> None:
    sweep()
    predicted = left_alone(sweep(dry_run=True))
    assert predicted and all(row["dry_run"] for row in predicted.values())
    assert set(left_alone(sweep())) == set(predicted)  # the dry run did not count as having recorded them
    assert not left_alone(sweep())


def test_another_policys_state_is_recorded_again_when_it_changes(sandbox: Sandbox) -> None:
    """Without a sink: the register is the ``escalator-outage-matrix-left-alone`` artifact."""
    victim = sorted(r["issue_key"] for r in sweep(dry_run=True) if r["outcome"] == "dry_run")[0]
    url = f"{sandbox.url}/rest/api/2/issue/{victim}/properties/escalator.state"
    foreign = {
        "policy": "someone-elses",
        "policy_version": "1",
        "category": "outage",
        "level": "L1",
        "level_index": 1,
        "assignee_set": "acc-alice",
        "at": "2026-11-20T00:00:00+00:00",
        "first_at": "2026-11-20T00:00:00+00:00",
    }
    requests.put(url, json=foreign, auth=sandbox.auth, timeout=10).raise_for_status()
    first = left_alone(sweep())[victim]
    assert first["reason_code"] == "other_policy" and first["state_policy"] == "someone-elses"
    assert victim not in left_alone(sweep())

    moved = {**foreign, "at": "2026-11-21T00:00:00+00:00", "level": "L2", "level_index": 2}
    requests.put(url, json=moved, auth=sandbox.auth, timeout=10).raise_for_status()
    again = left_alone(sweep())[victim]
    assert again["state_at"] != first["state_at"] and again["reason_code"] == "other_policy"
