"""A sandbox holding the scenario's backlog (in the demo organisation), and a snapshot taken from it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalator.cli.app import app
from jira_sandbox.testing import Sandbox, running_sandbox
from tests.diff.scenario import BASE_POLICY, ISSUES


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(seed="demo") as running:
        running.add_issues(*({"project": "PRV", "priority": "Medium", **issue} for issue in ISSUES))
        yield running


def jira_env(sandbox: Sandbox) -> dict[str, str]:
    return {"JIRA_URL": sandbox.url, "JIRA_EMAIL": sandbox.user, "JIRA_API_TOKEN": sandbox.token, "JIRA_PAT": ""}


@pytest.fixture(scope="module")
def snapshot_file(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("snapshot")
    (folder / "preview.yaml").write_text(BASE_POLICY)
    target = folder / "backlog.json"
    result = CliRunner().invoke(
        app, ["snapshot", "save", str(target), "--policy", str(folder / "preview.yaml")], env=jira_env(sandbox)
    )
    assert result.exit_code == 0, result.output
    return target
