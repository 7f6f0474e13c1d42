"""The tamper suite against the heads recorded in Prefect: sweeps under the Prefect test harness write a sink and
record its chain head in their artifacts; `escalator audit verify` then catches what the chain alone cannot (a
cut tail, a deleted chain, a consistent rewrite) and names the run whose head the sink no longer reaches. A chain
signed with a key from a Prefect Secret block verifies with that key and only with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.blocks.system import Secret
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
from typer.testing import CliRunner

from escalator.audit.keys import AuditKeyring
from escalator.audit.sink import AuditSink, ChainHead
from escalator.cli.app import app
from escalator.cli.sweep import load_sweep_flow
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import Sandbox
from tests.audit.chainfiles import forged, hash_of, lines_of, write_lines

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = str(ROOT / "policies" / "outage.yaml")
SECRET = "c" * 64
runner = CliRunner()


def sweep(**params: Any) -> Any:
    state = load_sweep_flow()(SweepParameters(**params), return_state=True)
    assert state.is_completed(), state.message
    return state


def artifacts(flow_run_id: Any) -> dict[str, Any]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
                key=ArtifactFilterKey(any_=["escalator-outage-matrix-decisions", "escalator-outage-matrix-summary"]),
            )
        )
    return {str(artifact.key): artifact for artifact in found}


def verify(sink: Path, *args: str, code: int, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, ["audit", "verify", "--sink", str(sink), *args], env=env)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_heads_recorded_in_prefect_catch_what_the_chain_alone_cannot(sandbox: Sandbox, tmp_path: Path) -> None:
    sink = tmp_path / "audit"
    state = sweep(policies=[OUTAGE], audit_sink=str(sink))
    run_id = state.state_details.flow_run_id

    # The head after the run's records is in both artifacts: metadata and description of the table, the text of
    # the summary; the chain's last line is the checkpoint written after they were published.
    recorded = artifacts(run_id)
    table, summary = recorded["escalator-outage-matrix-decisions"], recorded["escalator-outage-matrix-summary"]
    metadata = table.metadata_ or {}
    head = ChainHead("outage-matrix", int(metadata["audit_seq"]), metadata["audit_head"])
    assert head.seq > 10 and AuditSink(str(sink)).head("outage-matrix").seq == head.seq + 1
    assert metadata == summary.metadata_ and metadata["audit_sink"] == AuditSink(str(sink)).identity
    assert f"audit chain head {head}" in str(table.description) and f"`{head}`" in str(summary.data)

    output = verify(sink, code=0)
    assert "1 recorded head(s) checked" in output and "reaches every recorded head" in output

    (day,) = sorted((sink / "outage-matrix").glob("*.jsonl"))
    original = lines_of(day)
    with get_client(sync_client=True) as client:
        name = client.read_flow_run(run_id).name
    run = f"recorded by flow run {name} ({run_id})"

    write_lines(day, original[:-2])  # the tail cut
    assert "OK" in verify(sink, "--sink-only", code=0)
    output = verify(sink, code=1)
    assert f"head: the chain ends at seq {head.seq - 1}, short of seq {head.seq}; head {head} {run}" in output

    day.unlink()  # the newest (here: only) day file gone
    assert f"chain outage-matrix is gone; head {head} {run}" in verify(sink, code=1)

    shutil.rmtree(sink / "outage-matrix")  # the whole chain gone
    assert f"chain outage-matrix is gone; head {head} {run}" in verify(sink, code=1)

    (sink / "outage-matrix").mkdir()  # rewritten consistently: every hash recomputed
    prev, rewritten = "0" * 64, []
    for line in original:
        body = json.loads(line)["body"]
        body = {**body, "assignee_after": "acc-mallory"} if "assignee_after" in body else body
        rewritten.append(forged(line, AuditKeyring(), body=body, prev_hash=prev))
        prev = hash_of(rewritten[-1])
    write_lines(day, rewritten)
    assert "OK" in verify(sink, "--sink-only", code=0)
    assert f"head: seq {head.seq} has hash" in verify(sink, code=1)

    write_lines(day, original)
    assert "OK" in verify(sink, code=0)


def test_a_chain_keyed_from_a_secret_block_verifies_with_that_key_only(sandbox: Sandbox, tmp_path: Path) -> None:
    Secret(value=f"audit-2026:{SECRET}").save("escalator-test-audit-key", overwrite=True)
    sink = tmp_path / "audit"
    state = sweep(policies=[OUTAGE], audit_sink=str(sink), audit_key_block="escalator-test-audit-key")
    (day,) = sorted((sink / "outage-matrix").glob("*.jsonl"))
    assert {json.loads(line)["kid"] for line in lines_of(day)} == {"audit-2026"}
    for artifact in artifacts(state.state_details.flow_run_id).values():
        assert SECRET not in str(artifact.data) and SECRET not in str(artifact.description)

    assert "OK" in verify(sink, code=0, env={"ESCALATOR_AUDIT_KEY": f"audit-2026:{SECRET}"})
    assert "OK" in verify(sink, "--key-block", "escalator-test-audit-key", code=0)
    assert "NOT VERIFIED" in verify(sink, code=2)
    assert "NOT VERIFIED" in verify(sink, code=2, env={"ESCALATOR_AUDIT_KEY": "audit-2027:" + "d" * 64})
