"""The snapshot committed for CI (.github/workflows/policy-check.yml): it is a pseudonymised escalator snapshot
of the policies' scopes, the policy commands ignore it, and the workflow's diff runs cleanly on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalator.cli.app import app
from escalator.preview.backlog import read_snapshot

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "policies" / "backlog.snapshot.json"
runner = CliRunner()


def test_the_committed_snapshot_holds_every_scope_pseudonymised() -> None:
    from escalator.authoring.files import load_policies

    snapshot = read_snapshot(SNAPSHOT)
    assert snapshot.pseudonymised and snapshot.issues
    scopes = {s.scope for s in snapshot.scopes}
    assert {item.policy.scope for item in load_policies([ROOT / "policies"])} <= scopes


def test_policy_validate_ignores_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["policy", "validate", "policies"])
    assert result.exit_code == 0, result.output
    assert "backlog.snapshot.json" not in result.output


def test_the_workflow_diff_runs_cleanly_on_the_committed_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(
        app,
        ["policy", "diff", "--snapshot", str(SNAPSHOT), "--base", "HEAD", "--format", "markdown", "--fail-over", "25"],
        env={"JIRA_URL": "", "JIRA_API_TOKEN": "", "JIRA_PAT": ""},
    )
    assert result.exit_code == 0, result.output
    assert "## Policy diff: " in result.stdout and "NOT COMPARED" not in result.stdout


def test_the_workflow_points_at_the_committed_snapshot() -> None:
    workflow = (ROOT / ".github" / "workflows" / "policy-check.yml").read_text()
    assert "--snapshot policies/backlog.snapshot.json" in workflow
    assert "--edit-last" in workflow
