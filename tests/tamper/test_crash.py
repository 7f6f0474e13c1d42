"""A sweep SIGKILLed at precise points of its writes, then the next sweep: after it, every escalation visible in
Jira has exactly one outcome record, in the audit sink and in Prefect, and the sink verifies.

The worker is a real `escalator run` process against the sandbox over HTTP, with the harness's Prefect API. Two
of its writes are held by the sandbox at exact points, and the test kills the worker only once both are there
(conditions, not sleeps): issue A's PUT is held before the sandbox serves it (the intent is in the chain, the
change is not in Jira), issue B's PUT is served and its answer held (the change is in Jira, the worker has not
heard of it, so no outcome is recorded). Writes of other issues run on the applier's other threads and may be
anywhere when the kill comes; the invariant covers them too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
from prefect.settings import PREFECT_API_URL
from typer.testing import CliRunner

from escalator.audit.entry import parse_entry
from escalator.audit.sink import AuditSink
from escalator.cli.app import app
from escalator.cli.sweep import load_sweep_flow
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import Sandbox

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = str(ROOT / "policies" / "outage.yaml")
HELD_MS = 600_000  # far longer than the test: the held requests never complete while it runs


def sweep(**params: Any) -> tuple[Any, dict[str, Any]]:
    state = load_sweep_flow()(SweepParameters(**params), return_state=True)
    data = state.result(raise_on_failure=False)
    return state, data[0] if isinstance(data, list) and data else {}


def entries(sink: str) -> list[tuple[str, dict[str, Any]]]:
    store = AuditSink(sink)
    found = []
    for line in store.lines("outage-matrix"):
        entry = parse_entry(line.raw)
        if entry is not None:
            found.append((entry.kind, entry.body))
    return found


def wait_for(condition: Any, what: str, worker: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert worker.poll() is None, f"the worker ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def has_state(sandbox: Sandbox, key: str) -> bool:
    from jira.exceptions import JIRAError

    try:
        sandbox.jira().issue_property(key, "escalator.state")
    except JIRAError:
        return False
    return True


def escalation_comments(sandbox: Sandbox, key: str) -> int:
    return sum(1 for c in sandbox.jira().comments(key) if "Policy: outage-matrix" in c.body)


def prefect_records(run_ids: set[str]) -> list[dict[str, Any]]:
    import uuid

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["escalator-outage-matrix-decisions"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[uuid.UUID(r) for r in run_ids]),
            )
        )
    rows = [row for artifact in artifacts for row in json.loads(str(artifact.data))]
    return [row for row in rows if row.get("policy")]


def test_a_sweep_killed_mid_write_leaves_every_escalation_with_one_outcome(sandbox: Sandbox, tmp_path: Path) -> None:
    sink = str(tmp_path / "audit")
    _, dry = sweep(policies=[OUTAGE], dry_run=True, audit_sink=None)
    planned = sorted(o["issue_key"] for o in dry["outcomes"])
    a, b = planned[0], planned[1]  # the applier writes in key order, four at a time: both start at once
    sandbox.add_fault(action="delay", delay_ms=HELD_MS, method="PUT", path=rf"/issue/{a}$", times=1)
    sandbox.add_fault(action="delay_response", delay_ms=HELD_MS, method="PUT", path=rf"/issue/{b}$", times=1)
    api_url = PREFECT_API_URL.value()
    assert api_url
    env = {**os.environ, "PREFECT_API_URL": api_url, "ESCALATOR_AUDIT_SINK": sink}
    worker = subprocess.Popen(
        [sys.executable, "-m", "escalator", "run", "--policy", OUTAGE],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: ("intent", a) in [(k, body["issue_key"]) for k, body in entries(sink)], "A's intent", worker)
        wait_for(lambda: has_state(sandbox, b), "B's write", worker)
        assert not any(kind == "record" and body["issue_key"] in {a, b} for kind, body in entries(sink))
        worker.send_signal(signal.SIGKILL)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=60)
    killed = {body["flow_run_id"] for kind, body in entries(sink) if kind == "intent"}
    assert len(killed) == 1
    (killed_run,) = killed

    state, report = sweep(policies=[OUTAGE], audit_sink=sink)
    assert state.is_completed(), state.message
    next_run = str(state.state_details.flow_run_id)
    stored = entries(sink)

    # The sink: every intent has exactly one outcome; A was not applied, B was (both reconciled by the next run).
    intents = [body for kind, body in stored if kind == "intent"]
    outcomes = Counter(
        (body["issue_key"], body["flow_run_id"], body["evaluated_at"])
        for kind, body in stored
        if kind == "record" and body["decision"] == "escalate"
    )
    assert intents and all(outcomes[(i["issue_key"], i["flow_run_id"], i["evaluated_at"])] == 1 for i in intents)
    reconciled = {body["issue_key"]: body for kind, body in stored if kind == "record" and body["reconciled_by"]}
    assert reconciled[a]["outcome"] == "not_applied" and reconciled[b]["outcome"] == "applied"
    assert {r["reconciled_by"] for r in reconciled.values()} == {next_run}
    assert {r["flow_run_id"] for r in reconciled.values()} == {killed_run}

    # Jira against the sink and Prefect: one applied record per escalation Jira shows, no more.
    applied_in_sink = Counter(
        body["issue_key"] for kind, body in stored if kind == "record" and body["outcome"] == "applied"
    )
    rows = prefect_records({killed_run, next_run})
    applied_in_prefect = Counter(row["issue_key"] for row in rows if row["outcome"] == "applied")
    touched = set(applied_in_sink) | set(applied_in_prefect) | set(planned)
    in_jira = {key: escalation_comments(sandbox, key) for key in touched}
    assert in_jira[b] == 1 and in_jira[a] == 1  # B by the killed run, A by the next one
    assert {k: n for k, n in in_jira.items() if n} == dict(applied_in_sink) == dict(applied_in_prefect)
    per_intent = Counter(
        (row["issue_key"], row["flow_run_id"], row["evaluated_at"])
        for row in rows
        if row["decision"] == "escalate" and row["flow_run_id"] == killed_run
    )
    killed_intents = [i for i in intents if i["flow_run_id"] == killed_run]
    assert set(per_intent.values()) == {1} and len(per_intent) == len(killed_intents)
    assert report["applied"] >= 1

    # The chain is whole and reaches the head the next run recorded in Prefect.
    result = CliRunner().invoke(app, ["audit", "verify", "--sink", sink])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
