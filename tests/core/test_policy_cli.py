"""`escalator policy validate|test|explain|schema`, as policy owners and CI run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from escalator.authoring.cases import find_case_files, run_cases
from escalator.cli.app import app
from escalator.cli.policy import policy_json_schema
from tests.conftest import example_version

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_the_example_policies_validate() -> None:
    code, output = run("policy", "validate", str(POLICIES))
    assert code == 0, output
    assert f"outage-matrix version {example_version('outage')}" in output
    assert f"support-matrix version {example_version('support')}" in output


@pytest.mark.parametrize("case_file", find_case_files([POLICIES]), ids=lambda p: p.name)
def test_golden_policy_cases(case_file: Path) -> None:
    results = run_cases(case_file)
    failures = [f"{r.case.name}: {'; '.join(r.mismatches)} ({r.decision.reason})" for r in results if not r.passed]
    assert not failures, "\n".join(failures)


def test_policy_test_command_reports_a_failing_case(tmp_path: Path) -> None:
    source = (POLICIES / "tests" / "outage.cases.yaml").read_text()
    broken = source.replace(
        "to_level: L1, assignee: acc-alice, priority: High,", "to_level: L1, assignee: acc-carol, priority: High,"
    )
    assert broken != source
    (tmp_path / "outage.yaml").write_text((POLICIES / "outage.yaml").read_text())
    (tmp_path / "x.cases.yaml").write_text(broken.replace("policy: ../outage.yaml", "policy: outage.yaml"))
    code, output = run("policy", "test", str(tmp_path))
    assert code == 1
    assert "FAIL" in output and "assignee: expected 'acc-carol', got 'acc-alice'" in output
    assert "13 passed, 1 failed" in output


def test_explain_prints_the_trace(tmp_path: Path) -> None:
    code, output = run(
        "policy",
        "explain",
        "--policy",
        str(POLICIES / "outage.yaml"),
        "--issue-json",
        str(POLICIES / "examples" / "outage-issue.json"),
        "--at",
        "2026-11-23T00:30:00+01:00",
    )
    assert code == 0, output
    for expected in (
        "outage: used",
        "escalate (due)",
        "L1 → L2",
        "acc-alice → acc-bob",
        "High → Highest",
        "Status comment",
    ):
        assert expected in output


def test_explain_says_how_long_the_clock_was_paused(tmp_path: Path) -> None:
    example = POLICIES / "examples" / "support-waiting-issue.json"
    args = ("policy", "explain", "--policy", str(POLICIES / "support.yaml"), "--issue-json", str(example))
    code, output = run(*args, "--at", "2026-11-24T14:00:00-05:00")
    assert code == 0, output
    assert "escalate (due)" in output
    assert "clock paused      2h 00m in Waiting for customer" in output
    assert "Clock paused: 2h 00m of working time." in output  # in the status comment too
    waiting = json.loads(example.read_text()) | {"status": "Waiting for customer"}
    waiting["status_changes"] = waiting["status_changes"][:1]
    (tmp_path / "waiting.json").write_text(json.dumps(waiting))
    code, output = run(*args[:-1], str(tmp_path / "waiting.json"), "--at", "2026-11-24T14:00:00-05:00")
    assert code == 0, output
    assert "no_action (paused)" in output and "5h 00m in Waiting for customer (paused now)" in output


def test_explain_json_is_a_decision(tmp_path: Path) -> None:
    code, output = run(
        "policy",
        "explain",
        "--policy",
        str(POLICIES / "support.yaml"),
        "--json",
        "--issue-json",
        str(POLICIES / "examples" / "support-issue.json"),
        "--at",
        "2026-11-25T15:45:00-05:00",
    )
    assert code == 0, output
    decision = json.loads(output)
    assert decision["outcome"] == "no_action" and decision["reason_code"] == "not_due"


def test_explain_rejects_a_bad_issue_and_a_naive_time(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"key": "SUP-1", "project": "SUP"}')
    code, output = run("policy", "explain", "--policy", str(POLICIES / "support.yaml"), "--issue-json", str(bad))
    assert code == 1 and "issue_type: Field required" in output
    code, output = run(
        "policy",
        "explain",
        "--policy",
        str(POLICIES / "support.yaml"),
        "--issue-json",
        str(POLICIES / "examples" / "support-issue.json"),
        "--at",
        "2026-11-25T15:45",
    )
    assert code == 1 and "has no UTC offset" in output


def test_validate_a_broken_policy_as_a_user_sees_it(tmp_path: Path) -> None:
    """Run the installed command in a real process: a clear message with file and line, exit 1, no traceback."""
    policy = tmp_path / "broken.yaml"
    policy.write_text(
        (POLICIES / "support.yaml")
        .read_text()
        .replace('window: 4h, owners: ["group:support"]', 'window: 4 hrs, owners: ["group:support"]')
    )
    result = subprocess.run(
        [sys.executable, "-m", "escalator", "policy", "validate", str(policy)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert f"{policy}:61: categories[2].levels[0].window: '4 hrs' is not a duration" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_committed_json_schema_is_current() -> None:
    committed = (POLICIES / "policy.schema.json").read_text()
    assert committed == policy_json_schema(), "run `make schema` and commit policies/policy.schema.json"


@pytest.mark.parametrize("policy", sorted(POLICIES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_json_schema_accepts_the_examples(policy: Path) -> None:
    schema = json.loads((POLICIES / "policy.schema.json").read_text())
    document = json.loads(json.dumps(YAML(typ="safe").load(policy.read_text()), default=str))
    jsonschema.validate(document, schema)
