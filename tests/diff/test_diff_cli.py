"""`escalator policy diff` over a real git repository and a snapshot taken from the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalator.cli.app import app
from escalator.cli.diff import FAIL_OVER_EXIT
from jira_sandbox.testing import Sandbox
from tests.diff.conftest import jira_env
from tests.diff.scenario import AT, BASE_POLICY, BROKEN_POLICY, EXPECTED, git, policy_repo

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = policy_repo(tmp_path)
    monkeypatch.chdir(path)
    return path


def diff_json(*args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    code, out, err = run("policy", "diff", "--at", AT, "--format", "json", *args, env=env)
    assert code == 0, out + err
    (document,) = json.loads(out)["policies"]
    assert isinstance(document, dict)
    return document


def kinds_by_issue(document: dict[str, object]) -> dict[str, list[str]]:
    changes = document["changes"]
    assert isinstance(changes, list)
    return {change["issue_key"]: change["kinds"] for change in changes}


def test_diff_names_exactly_the_issues_that_change_and_why(repo: Path, snapshot_file: Path) -> None:
    document = diff_json("--base", "main", "--head", "change", "--snapshot", str(snapshot_file))
    assert kinds_by_issue(document) == EXPECTED
    assert document["issues"] == 5
    assert (document["base_escalations"], document["head_escalations"]) == (3, 2)
    counts = document["counts"]
    assert isinstance(counts, dict)
    assert counts["owner_changed"] == 1 and counts["timing_changed"] == 1 and counts["newly_escalated"] == 0
    changes = {c["issue_key"]: c for c in document["changes"]}  # type: ignore[attr-defined]
    owner = changes["PRV-1"]
    assert (owner["base"]["assignee"], owner["head"]["assignee"]) == ("acc-alice", "acc-carol")
    moved = changes["PRV-2"]
    assert (moved["base"]["category"], moved["head"]["category"]) == ("outage", "incident")
    assert moved["head"]["reason_code"] == "not_due"
    weekend = changes["PRV-3"]
    assert weekend["base"]["due_at"] == "2026-11-20T17:00:00+00:00"  # Friday
    assert weekend["head"]["due_at"] == "2026-11-23T11:00:00+00:00"  # Monday, over the weekend
    assert "L1 is due after 6h 00m, at 2026-11-23 11:00 UTC" in weekend["head"]["reason"]


def test_defaults_are_the_merge_base_with_main_and_the_working_tree(repo: Path, snapshot_file: Path) -> None:
    document = diff_json("--snapshot", str(snapshot_file))
    assert kinds_by_issue(document) == EXPECTED
    assert str(document["base_label"]).startswith("merge-base ")
    assert document["head_label"] == "working tree"
    (repo / "policies" / "preview.yaml").write_text(git(repo, "show", "main:policies/preview.yaml"))
    assert kinds_by_issue(diff_json("--snapshot", str(snapshot_file))) == {}


def test_table_and_markdown_put_counts_first_then_both_reasons(repo: Path, snapshot_file: Path) -> None:
    code, table, err = run("policy", "diff", "--at", AT, "--base", "main", "--snapshot", str(snapshot_file))
    assert code == 0, table + err
    assert table.index("different owner") < table.index("PRV-1:")
    assert "base: escalate none → L1 to acc-alice [outage]" in table
    assert "head: escalate none → L1 to acc-carol [outage]" in table
    assert "head: no action (not_due); next level due 2026-11-23 11:00 UTC [incident]" in table
    code, markdown, _ = run(
        "policy", "diff", "--at", AT, "--base", "main", "--snapshot", str(snapshot_file), "--format", "markdown"
    )
    assert code == 0
    assert "| different owner | 1 |" in markdown and "| PRV-3 | next level due at another time |" in markdown


def test_fail_over_guards_the_number_of_new_escalations(repo: Path, snapshot_file: Path) -> None:
    # Reverting the change escalates PRV-2 again: one more issue escalated.
    reverse = ("policy", "diff", "--at", AT, "--base", "change", "--head", "main", "--snapshot", str(snapshot_file))
    code, out, err = run(*reverse, "--fail-over", "0")
    assert code == FAIL_OVER_EXIT, out + err
    assert "1 issues would be newly escalated, more than --fail-over 0" in err
    assert "PRV-2: newly escalated" in out
    assert run(*reverse, "--fail-over", "1")[0] == 0
    forward = ("policy", "diff", "--at", AT, "--base", "main", "--snapshot", str(snapshot_file))
    assert run(*forward, "--fail-over", "0")[0] == 0


def test_a_bad_policy_at_a_ref_is_reported_with_file_line_and_field(
    tmp_path: Path, snapshot_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = policy_repo(tmp_path, head_policy=BROKEN_POLICY)
    monkeypatch.chdir(repo)
    code, out, err = run("policy", "diff", "--base", "main", "--head", "change", "--snapshot", str(snapshot_file))
    assert code == 1
    assert "Traceback" not in out + err
    assert "change:policies/preview.yaml:22: categories[1].levels[0].window: '4 hrs' is not a duration" in err


def test_git_problems_are_one_line(repo: Path, snapshot_file: Path) -> None:
    code, _, err = run("policy", "diff", "--base", "no-such-ref", "--snapshot", str(snapshot_file))
    assert code == 1 and "unknown git ref 'no-such-ref'" in err


def test_the_live_diff_reads_jira_and_never_writes(repo: Path, sandbox: Sandbox) -> None:
    sandbox.reset_requests()
    document = diff_json("--base", "main", "--head", "change", env=jira_env(sandbox))
    assert kinds_by_issue(document) == EXPECTED
    counts = sandbox.request_counts()
    assert counts.write == 0 and counts.search >= 1
    assert all(r.method in ("GET", "POST") for r in sandbox.requests())


def test_a_policy_added_by_the_change_is_diffed_against_nothing(repo: Path, snapshot_file: Path) -> None:
    added = BASE_POLICY.replace("name: preview-matrix", "name: preview-extra")
    (repo / "policies" / "extra.yaml").write_text(added)
    code, out, err = run("policy", "diff", "--at", AT, "--format", "json", "--snapshot", str(snapshot_file))
    assert code == 0, out + err
    documents = {d["policy"]: d for d in json.loads(out)["policies"]}
    extra = documents["preview-extra"]
    assert "preview-extra is new at working tree" in extra["notes"]
    assert {c["issue_key"]: c["kinds"] for c in extra["changes"]} == {
        "PRV-1": ["newly_escalated"],
        "PRV-2": ["newly_escalated"],
        "PRV-4": ["newly_escalated"],
    }
    assert kinds_by_issue(documents["preview-matrix"]) == EXPECTED


def test_the_live_diff_never_builds_the_write_path(
    repo: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalator.jira.adapter import JiraAdapter
    from escalator.sweep import jira_writer

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the write path was used")

    monkeypatch.setattr(JiraAdapter, "apply", refuse)
    monkeypatch.setattr(jira_writer.JiraWriter, "__init__", refuse)
    assert kinds_by_issue(diff_json("--base", "main", env=jira_env(sandbox))) == EXPECTED


def test_data_problems_in_the_backlog_are_named(repo: Path, snapshot_file: Path, tmp_path: Path) -> None:
    document = json.loads(snapshot_file.read_text())
    document["problems"] = ["PRV-9: unreadable escalator.state property, ignored"]
    (tmp_path / "problems.json").write_text(json.dumps(document))
    notes = diff_json("--base", "main", "--snapshot", str(tmp_path / "problems.json"))["notes"]
    assert notes == ["data problems when the issues were read: PRV-9: unreadable escalator.state property, ignored"]
