"""A change of a policy's scope: each side is evaluated on the issues in its own scope, so widening the scope
shows the issues it brings in as newly escalated, and ``--fail-over`` guards them. A scope the snapshot does not
hold is reported as unknown, never answered with the other side's issues."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalator.cli.app import app
from escalator.cli.diff import FAIL_OVER_EXIT
from jira_sandbox.testing import Sandbox, running_sandbox
from tests.diff.conftest import jira_env
from tests.diff.scenario import AT, BASE_POLICY, ISSUES, policy_repo

WIDE_POLICY = BASE_POLICY.replace(
    "scope: project = PRV AND statusCategory != Done", "scope: project in (PRV, OPS) AND statusCategory != Done"
).replace("match: {projects: [PRV]}\n", "match: {projects: [PRV, OPS]}\n")
OPS_ISSUES = [
    # a working day old: escalates once the scope takes OPS in
    {"key": "OPS-9001", "project": "OPS", "issuetype": "Task", "created": datetime(2026, 11, 19, 9, 0, tzinfo=UTC)},
    # fresh: in the wider scope, but not due
    {"key": "OPS-9002", "project": "OPS", "issuetype": "Task", "created": datetime(2026, 11, 20, 14, 0, tzinfo=UTC)},
]
runner = CliRunner()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(seed="demo") as running:
        running.add_issues(
            *({"project": "PRV", "priority": "Medium", **issue} for issue in ISSUES),
            *({"priority": "Medium", **issue} for issue in OPS_ISSUES),
        )
        yield running


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = policy_repo(tmp_path, head_policy=WIDE_POLICY)
    monkeypatch.chdir(path)
    return path


def save_snapshot(sandbox: Sandbox, folder: Path, *policies: str) -> Path:
    files = []
    for index, text in enumerate(policies):
        (folder / f"p{index}").mkdir(parents=True)
        files += ["--policy", str(folder / f"p{index}" / "preview.yaml")]
        (folder / f"p{index}" / "preview.yaml").write_text(text)
    target = folder / "backlog.json"
    result = runner.invoke(app, ["snapshot", "save", str(target), *files], env=jira_env(sandbox))
    assert result.exit_code == 0, result.output
    return target


def diff(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, object], str]:
    result = runner.invoke(app, ["policy", "diff", "--at", AT, "--format", "json", "--base", "main", *args], env=env)
    (document,) = json.loads(result.stdout)["policies"]
    return result.exit_code, document, result.stderr


def newly_escalated(document: dict[str, object]) -> set[str]:
    changes = document["changes"]
    assert isinstance(changes, list)
    return {c["issue_key"] for c in changes if "newly_escalated" in c["kinds"]}


def test_widening_the_scope_live_escalates_the_issues_it_brings_in(repo: Path, sandbox: Sandbox) -> None:
    code, document, err = diff(env=jira_env(sandbox))
    assert code == 0, err
    added = newly_escalated(document)
    assert "OPS-9001" in added and "OPS-9002" not in added
    assert all(key.startswith("OPS-") for key in added)  # the PRV issues decide the same on both sides
    assert any("each side is evaluated on the issues in its own scope" in n for n in document["notes"])  # type: ignore[union-attr]
    code, _, err = diff("--fail-over", "0", env=jira_env(sandbox))
    assert code == FAIL_OVER_EXIT and "newly escalated" in err


def test_widening_the_scope_against_a_snapshot_of_both_scopes(repo: Path, sandbox: Sandbox, tmp_path: Path) -> None:
    other_name = BASE_POLICY.replace("name: preview-matrix", "name: preview-narrow")  # names are unique
    snapshot = save_snapshot(sandbox, tmp_path / "both", other_name, WIDE_POLICY)
    assert len(json.loads(snapshot.read_text())["scopes"]) == 2
    code, document, err = diff("--snapshot", str(snapshot))
    assert code == 0, err
    assert "OPS-9001" in newly_escalated(document) and not document["unknown"]
    code, _, err = diff("--snapshot", str(snapshot), "--fail-over", "0")
    assert code == FAIL_OVER_EXIT and "newly escalated" in err


def test_a_scope_missing_from_the_snapshot_is_unknown_not_borrowed(
    repo: Path, sandbox: Sandbox, tmp_path: Path
) -> None:
    snapshot = save_snapshot(sandbox, tmp_path / "base-only", BASE_POLICY)
    code, document, err = diff("--snapshot", str(snapshot))
    assert code == 0, err
    assert document["unknown"] is True and document["changes"] == []
    assert any("project in (PRV, OPS)" in n and "unknown" in n for n in document["notes"])  # type: ignore[union-attr]
    code, _, err = diff("--snapshot", str(snapshot), "--fail-over", "100")
    assert code == FAIL_OVER_EXIT and "unknown" in err
