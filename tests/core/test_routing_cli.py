"""`escalator policy explain` with a rotation and a group: who is on call and why, how the owner was chosen, who
was skipped; bad --group and --workload values are clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from escalator.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
runner = CliRunner()


def explain(*extra: str, policy: str = "support.yaml", issue: str = "support-issue.json") -> tuple[int, str]:
    args = ["policy", "explain", "--policy", str(POLICIES / policy), "--issue-json", str(POLICIES / "examples" / issue)]
    result = runner.invoke(app, [*args, *extra])
    return result.exit_code, result.output


def test_explain_names_the_group_pick_and_who_was_passed_over() -> None:
    code, output = explain(
        "--at",
        "2026-11-25T17:00:00-05:00",
        "--group",
        "support=acc-dave,acc-erin,acc-frank",
        "--inactive",
        "acc-frank",
        "--workload",
        "acc-dave=4",
        "--json",
    )
    assert code == 0, output
    decision = json.loads(output)
    assert decision["actions"]["assignee_to"] == "acc-dave"
    assert decision["owner_reason"] == (
        "least loaded in group support of the members who can take it: 4 open issues "
        "(all: acc-erin 0, acc-frank 0, acc-dave 4)"
    )
    assert [(s["owner"], s["reason"]) for s in decision["owners_skipped"]] == [
        ("acc-erin", "group support: parental leave until 2027-01-08"),
        ("acc-frank", "group support: inactive in Jira"),
    ]


def test_explain_shows_who_is_on_call_in_each_rotation() -> None:
    code, output = explain("--at", "2026-12-19T12:00:00+01:00", policy="outage.yaml", issue="outage-issue.json")
    assert code == 0, output
    text = " ".join(output.split())  # the table wraps long cells
    assert (
        "on call acc-bob in ops-on-call: on call in rotation ops-on-call by override for acc-alice from 2026-12-17 "
        "18:00 until 2026-12-21 09:00 Europe/Berlin" in text
    )


def test_bad_group_and_workload_options_are_clear_errors() -> None:
    code, output = explain("--group", "support")
    assert code == 1 and "--group 'support' is not NAME=ID,ID,..." in output
    code, output = explain("--workload", "acc-dave=many")
    assert code == 1 and "--workload 'acc-dave=many' is not ID=COUNT" in output
