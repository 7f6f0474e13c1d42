"""``escalator diff`` with rotations and groups: a different on-call person is a different owner, and a snapshot
keeps the group members a diff needs (pseudonymised with everyone else), and the sandbox loads them back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from escalator.authoring.files import LoadedPolicy
from escalator.cli.app import app
from escalator.core.issue import IssueSnapshot
from escalator.core.policy import Policy, PolicyIdentity
from escalator.preview.backlog import Backlog, Snapshot, SnapshotScope, pseudonymise, read_snapshot
from escalator.preview.compare import PolicySide, diff_sides
from jira_sandbox.jira_export import import_export
from jira_sandbox.jiratime import now_ms
from jira_sandbox.testing import Sandbox, running_sandbox
from tests.diff.conftest import jira_env

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday: ann's week in the rotation below
SCOPE = "project = SUP"


def side(label: str, **changes: Any) -> PolicySide:
    document: dict[str, Any] = {
        "name": "support",
        "version": label,
        "scope": SCOPE,
        "rotations": [
            {
                "name": "on-call",
                "timezone": "Europe/Berlin",
                "members": ["ann", "ben"],
                "length": "1w",
                "handoff": {"weekday": "mon", "time": "09:00"},
                "start": "2026-11-23",
            }
        ],
        "groups": [{"name": "agents", "pick": "first"}],
        "categories": [
            {
                "name": "urgent",
                "match": {"labels": ["urgent"]},
                "levels": [{"name": "L1", "window": "1h", "owners": ["rotation:on-call"]}],
            },
            {"name": "other", "levels": [{"name": "L1", "window": "1h", "owners": ["group:agents"]}]},
        ],
    }
    document.update(changes)
    policy = Policy.model_validate(document)
    loaded = LoadedPolicy(policy, PolicyIdentity.of(policy), Path(f"{label}.yaml"))
    return PolicySide(label, None, (loaded,))


def snapshot() -> Snapshot:
    issues = [
        IssueSnapshot(key="SUP-1", project="SUP", issue_type="Task", labels=("urgent",), created=NOW.replace(hour=9)),
        IssueSnapshot(key="SUP-2", project="SUP", issue_type="Task", created=NOW.replace(hour=9)),
        IssueSnapshot(key="SUP-3", project="SUP", issue_type="Task", assignee="cy", created=NOW),
    ]
    return Snapshot(
        taken_at=NOW,
        scopes=(SnapshotScope(scope=SCOPE, policies=("support",), issue_keys=tuple(i.key for i in issues)),),
        groups={"agents": ("cy", "dee")},
        issues=tuple(issues),
    )


def test_a_different_on_call_person_is_a_different_owner() -> None:
    base = side("1")
    swapped = side(
        "2", rotations=[{**base.policies[0].policy.rotations[0].model_dump(by_alias=True), "members": ["ben", "ann"]}]
    )
    (diff,) = diff_sides(base, swapped, Backlog(snapshot()), NOW)
    (change,) = diff.changes
    assert change.issue_key == "SUP-1" and change.kinds == ("owner_changed",)
    assert change.base and change.base.actions and change.base.actions.assignee_to == "ann"
    assert change.head and change.head.actions and change.head.actions.assignee_to == "ben"


def test_the_snapshot_group_members_and_their_load_decide_a_group_owner() -> None:
    loaded = side("2", groups=[{"name": "agents", "pick": "least_loaded"}])
    (diff,) = diff_sides(side("1"), loaded, Backlog(snapshot()), NOW)
    (change,) = diff.changes
    assert change.issue_key == "SUP-2" and change.kinds == ("owner_changed",)
    assert change.base and change.base.actions and change.base.actions.assignee_to == "cy"  # first
    assert change.head and change.head.actions and change.head.actions.assignee_to == "dee"  # cy has SUP-3


def test_pseudonymising_a_snapshot_renames_group_members_too() -> None:
    hidden = pseudonymise(snapshot(), keep=frozenset({"dee"}), key=b"k" * 32)
    members = hidden.groups["agents"]
    assert members[1] == "dee" and members[0].startswith("person-")
    assert {i.assignee for i in hidden.issues} - {None} == {members[0]}  # cy, the same pseudonym everywhere
    assert Snapshot.model_validate_json(hidden.model_dump_json()) == hidden


GROUP_POLICY = """\
name: preview-groups
version: "1"
scope: project = PRV AND statusCategory != Done
groups: [{name: support, pick: least_loaded}]
categories:
  - name: all
    levels: [{name: L1, window: 1h, owners: ["group:support"]}]
"""


def test_a_snapshot_keeps_group_members_and_the_sandbox_loads_them(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(GROUP_POLICY)
    saved = tmp_path / "s.json"
    env = jira_env(sandbox)
    result = CliRunner().invoke(app, ["snapshot", "save", str(saved), "--policy", str(tmp_path / "p.yaml")], env=env)
    assert result.exit_code == 0, result.output
    taken = read_snapshot(saved)
    assert taken.groups == {"support": ("acc-dave", "acc-erin", "acc-frank")} and "acc-frank" in taken.inactive_users
    with running_sandbox(seed=None) as fresh:
        with fresh.store.transaction() as db:
            import_export(db, json.loads(saved.read_text()), now_ms())
        again = tmp_path / "again.json"
        env = jira_env(fresh)
        result = CliRunner().invoke(
            app, ["snapshot", "save", str(again), "--policy", str(tmp_path / "p.yaml")], env=env
        )
        assert result.exit_code == 0, result.output
    assert read_snapshot(again).groups == taken.groups
