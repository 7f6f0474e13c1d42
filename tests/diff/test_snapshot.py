"""Snapshots: read-only, no credentials, loadable by the sandbox, optionally pseudonymised."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from escalator.authoring.files import load_policy_file
from escalator.cli.app import app
from escalator.core.policy import Policy
from escalator.preview.backlog import Backlog, Snapshot, people_named, pseudonymise, read_snapshot
from jira_sandbox.testing import Sandbox, running_sandbox
from tests.diff.conftest import jira_env
from tests.diff.scenario import BASE_POLICY


def test_a_snapshot_holds_the_scope_and_no_credentials(sandbox: Sandbox, snapshot_file: Path) -> None:
    text = snapshot_file.read_text()
    assert sandbox.token not in text and sandbox.url not in text and "127.0.0.1" not in text
    snapshot = read_snapshot(snapshot_file)
    assert [s.scope for s in snapshot.scopes] == ["project = PRV AND statusCategory != Done"]
    assert sorted(issue.key for issue in snapshot.issues) == ["PRV-1", "PRV-2", "PRV-3", "PRV-4", "PRV-5"]
    assert snapshot.deployment == "cloud"


def test_taking_a_snapshot_never_writes(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(BASE_POLICY)
    sandbox.reset_requests()
    result = CliRunner().invoke(
        app, ["snapshot", "save", str(tmp_path / "s.json"), "--policy", str(tmp_path / "p.yaml")], env=jira_env(sandbox)
    )
    assert result.exit_code == 0, result.output
    counts = sandbox.request_counts()
    assert counts.write == 0 and counts.search >= 1


def test_the_sandbox_loads_a_snapshot_and_gives_the_same_backlog_back(snapshot_file: Path, tmp_path: Path) -> None:
    before = read_snapshot(snapshot_file)
    with running_sandbox(seed=None) as fresh:
        with fresh.store.transaction() as db:
            from jira_sandbox.jira_export import import_export
            from jira_sandbox.jiratime import now_ms

            import_export(db, json.loads(snapshot_file.read_text()), now_ms())
        (tmp_path / "p.yaml").write_text(BASE_POLICY)
        again = tmp_path / "again.json"
        result = CliRunner().invoke(
            app, ["snapshot", "save", str(again), "--policy", str(tmp_path / "p.yaml")], env=jira_env(fresh)
        )
        assert result.exit_code == 0, result.output
    after = read_snapshot(again)
    strip = {"updated", "human_changed_at"}
    assert [i.model_dump(exclude=strip) for i in sorted(after.issues, key=lambda i: i.key)] == [
        i.model_dump(exclude=strip) for i in sorted(before.issues, key=lambda i: i.key)
    ]


def test_pseudonymise_keeps_the_people_the_policy_names(snapshot_file: Path, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(BASE_POLICY)
    policy: Policy = load_policy_file(tmp_path / "p.yaml").policy
    snapshot = read_snapshot(snapshot_file)
    snapshot = snapshot.model_copy(
        update={
            "issues": tuple(
                i.model_copy(update={"reporter": "acc-dave", "assignee": "acc-alice"}) for i in snapshot.issues
            )
        }
    )
    hidden = pseudonymise(snapshot, people_named([policy]), b"key")
    assert hidden.pseudonymised
    reporters = {i.reporter for i in hidden.issues}
    assert len(reporters) == 1 and next(iter(reporters)).startswith("person-")  # type: ignore[union-attr]
    assert {i.assignee for i in hidden.issues} == {"acc-alice"}  # named in the policy: kept
    assert pseudonymise(snapshot, people_named([policy]), b"key").issues == hidden.issues  # stable for a key
    assert Backlog(hidden).issues_in(policy)


def test_a_snapshot_keeps_the_status_history_through_the_sandbox_and_back(tmp_path: Path) -> None:
    """Format 2: the status history (for paused clocks) is in the snapshot, and a sandbox loading it gives it back."""
    from datetime import UTC, datetime, timedelta

    from jira_sandbox.jira_export import import_export
    from jira_sandbox.jiratime import now_ms

    now = datetime.now(UTC).replace(microsecond=0)
    waited = [
        {
            "created": now - timedelta(hours=4),
            "items": [{"field": "status", "from": "To Do", "to": "Waiting for customer"}],
        },
        {
            "created": now - timedelta(hours=2),
            "items": [{"field": "status", "from": "Waiting for customer", "to": "In Progress"}],
        },
    ]
    (tmp_path / "p.yaml").write_text(BASE_POLICY)

    def save(sandbox: Sandbox, name: str) -> Snapshot:
        args = ["snapshot", "save", str(tmp_path / name), "--policy", str(tmp_path / "p.yaml")]
        result = CliRunner().invoke(app, args, env=jira_env(sandbox))
        assert result.exit_code == 0, result.output
        return read_snapshot(tmp_path / name)

    with running_sandbox(seed="demo") as first:
        first.add_issue(project="PRV", status="In Progress", created=now - timedelta(hours=5), changelog=waited)
        snapshots = [save(first, "one.json")]
    with running_sandbox(seed=None) as second:
        with second.store.transaction() as db:
            import_export(db, json.loads((tmp_path / "one.json").read_text()), now_ms())
        snapshots.append(save(second, "two.json"))
    for snapshot in snapshots:
        assert snapshot.format_version == 2
        (issue,) = snapshot.issues
        assert [(c.at, c.from_status, c.to_status) for c in issue.status_changes] == [
            (now - timedelta(hours=4), "To Do", "Waiting for customer"),
            (now - timedelta(hours=2), "Waiting for customer", "In Progress"),
        ]
        assert issue.status_history_since is None


def test_a_format_1_snapshot_knows_each_status_only_since_the_issues_last_update(
    snapshot_file: Path, tmp_path: Path
) -> None:
    document = json.loads(snapshot_file.read_text())
    document["format_version"] = 1
    for issue in document["issues"]:
        issue.pop("status_changes", None)
        issue.pop("status_history_since", None)
    (tmp_path / "old.json").write_text(json.dumps(document))
    old = read_snapshot(tmp_path / "old.json")
    assert old.issues and all(i.status_history_since == (i.updated or old.taken_at) for i in old.issues)
    assert all(i.status_history_since is None for i in read_snapshot(snapshot_file).issues)
