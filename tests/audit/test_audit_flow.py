"""The audit trail end to end: sweeps under the Prefect test harness against the sandbox (dry run, a second
policy version never committed, a live run failing part-way on a 403), then `escalator audit` queries, exports,
shows and verifies what they recorded, in the Prefect API and in the audit sink; tampering is detected."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from escalator.cli.app import app
from escalator.cli.sweep import load_sweep_flow
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import Sandbox
from tests.conftest import demo_jira, example_version

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = ROOT / "policies" / "outage.yaml"
runner = CliRunner()


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Sandbox]:
    with demo_jira(monkeypatch) as running:
        monkeypatch.setenv("ESCALATOR_AUDIT_SINK", str(tmp_path / "audit"))
        yield running


def sweep(**params: Any) -> tuple[Any, dict[str, Any]]:
    state = load_sweep_flow()(SweepParameters(**params), return_state=True)
    data = state.result(raise_on_failure=False)
    return state, data[0] if isinstance(data, list) and data else {}


def audit(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["audit", *args])
    assert result.exit_code == code, result.output
    return result.output


def jsonl(*args: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in audit(*args, "--format", "jsonl").splitlines() if line.strip()]


def test_runs_are_queried_exported_shown_and_verified(sandbox: Sandbox, tmp_path: Path) -> None:
    since = datetime.now(UTC).isoformat()
    merged = example_version("outage")  # the version in git, and one nobody has merged yet
    unmerged_version = str(int(merged) + 1)
    unmerged = tmp_path / f"outage-v{unmerged_version}.yaml"
    unmerged.write_text(OUTAGE.read_text().replace(f'version: "{merged}"', f'version: "{unmerged_version}"', 1))

    dry_state, dry = sweep(policies=[str(OUTAGE)], dry_run=True)
    assert dry_state.is_completed() and sandbox.request_counts().write == 0
    v4_state, _ = sweep(policies=[str(unmerged)], dry_run=True)
    assert v4_state.is_completed()
    victim = dry["outcomes"][0]["issue_key"]
    sandbox.add_fault(status=403, method="PUT", path=f"/issue/{victim}$", message="You may not edit this issue")
    live_state, live = sweep(policies=[str(OUTAGE)])
    assert live_state.is_failed() and live["applied"] == live["escalations"] - 1 > 5
    live_id = str(live_state.state_details.flow_run_id)

    # Query the Prefect API: every run's records, by version, commit, outcome, run and mode.
    everything = jsonl("--policy", "outage-matrix", "--since", since)
    assert {(r["policy_version"], r["dry_run"]) for r in everything} == {
        (merged, True),
        (unmerged_version, True),
        (merged, False),
    }
    v4 = jsonl("--policy-version", unmerged_version, "--since", since)
    assert v4 and all(r["git_commit"] is None and r["dry_run"] for r in v4)
    assert len(jsonl("--commit", "none", "--since", since)) == len(v4) == len(jsonl("--dirty", "--since", since))
    in_live = jsonl("--flow-run", live_id, "--live")
    assert len(in_live) == len([r for r in everything if r["flow_run_id"] == live_id])
    assert {r["git_commit"] for r in in_live} != {None}
    (failed,) = jsonl("--outcome", "failed", "--since", since)
    assert failed["issue_key"] == victim and "may not edit" in failed["error"]

    # Export as CSV to a file and as a table; the sink holds the same records as Prefect.
    out = tmp_path / "export.csv"
    audit("--since", since, "--format", "csv", "--output", str(out))
    assert len(list(csv.DictReader(io.StringIO(out.read_text())))) == len(everything)
    assert victim in audit("--issue", victim, "--since", since)
    from_sink = jsonl("--from", "sink")
    assert sorted(json.dumps(r, sort_keys=True) for r in from_sink) == sorted(
        json.dumps(r, sort_keys=True) for r in everything
    )

    # One issue's history across runs: both versions, the failure, the runs.
    history = audit("show", victim)
    assert f"v{merged}" in history and f"v{unmerged_version}" in history and "failed" in history and live_id in history
    assert "not in git" in history and "You may not edit" in history
    assert re.search(r"assignee: .+ → [A-Z][a-z]+ [A-Z][a-z]+ \(acc-[a-z]+\)", history), history  # named as people

    # The chain verifies; altering one stored line is found, with its position.
    assert "OK" in audit("verify")
    (day_file,) = (tmp_path / "audit" / "outage-matrix").glob("*.jsonl")
    lines = day_file.read_text().splitlines()
    lines[2] = lines[2].replace('"outcome":"dry_run"', '"outcome":"applied"')
    day_file.write_text("\n".join(lines) + "\n")
    report = audit("verify", code=1)
    assert f"{day_file.name}:3: altered" in report and "FAILED" in report


def test_an_unwritable_audit_sink_stops_the_run_before_jira(sandbox: Sandbox, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    state, _ = sweep(policies=[str(OUTAGE)], audit_sink=str(blocker / "audit"))
    assert state.is_failed() and "not writable" in (state.message or "")
    assert sandbox.request_counts().total == 0, "not even a preflight read before the sink is known"
