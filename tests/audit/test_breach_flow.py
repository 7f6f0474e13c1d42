"""Deadline breaches end to end, under the Prefect test harness against the sandbox: an issue past its escalation
deadline is recorded when the breach starts, not again by a sweep the same (UTC) day, and its end is recorded when
it leaves the policy's hands; the open breaches live in the sink's checkpoint, or without a sink in Prefect."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

from escalator.audit.entry import parse_entry
from escalator.audit.sink import AuditSink
from escalator.cli.sweep import load_sweep_flow
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import Sandbox
from tests.conftest import demo_jira, example_version

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = ROOT / "policies" / "outage.yaml"


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with demo_jira(monkeypatch) as running:
        yield running


def overdue_issue(sandbox: Sandbox, policy: str) -> str:
    """An outage at the top level (L3), first escalated nine days ago: past the seven-day deadline."""
    nine_days_ago = datetime.now(UTC) - timedelta(days=9)
    state = {
        "policy": policy,
        "policy_version": example_version("outage"),
        "category": "outage",
        "level": "L3",
        "level_index": 3,
        "at": nine_days_ago.isoformat(),
        "first_at": nine_days_ago.isoformat(),
        "assignee_set": "acc-carol",
        "priority_set": "Highest",
        "escalations": 3,
    }
    return sandbox.add_issue(
        project="OPS",
        issuetype="Incident",
        labels=["outage"],
        priority="Highest",
        assignee="acc-carol",
        created=nine_days_ago - timedelta(hours=4),
        properties={"escalator.state": state},
    )


def sweep(**params: Any) -> tuple[str, list[dict[str, Any]]]:
    """The UTC day the run judged the issues on, and its decision records, as published in Prefect."""
    state = load_sweep_flow()(SweepParameters(**params), return_state=True)
    assert state.is_completed(), state.message
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    by_suffix = {str(artifact.key).rsplit("-", 1)[-1]: artifact for artifact in found}
    evaluated = re.search(r"\*\*Evaluated at:\*\* (\S+)", str(by_suffix["summary"].data))
    assert evaluated is not None
    day = str(datetime.fromisoformat(evaluated.group(1)).astimezone(UTC).date())
    return day, [row for row in json.loads(str(by_suffix["decisions"].data)) if row.get("policy")]


def breach_rows(rows: list[dict[str, Any]], key: str) -> list[tuple[str, str | None]]:
    return [(row["outcome"], row["breach"]) for row in rows if row["issue_key"] == key]


def test_a_breach_is_recorded_once_a_day_and_its_end_with_the_sink_keeping_count(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sink = str(tmp_path / "audit")
    key = overdue_issue(sandbox, "outage-matrix")
    first_day, first = sweep(policies=[str(OUTAGE)], audit_sink=sink)
    assert breach_rows(first, key) == [("deadline_breached", "started")]
    second_day, second = sweep(policies=[str(OUTAGE)], audit_sink=sink)
    same_day = first_day == second_day  # a second sweep after midnight UTC records the breach again
    assert breach_rows(second, key) == ([] if same_day else [("deadline_breached", "ongoing")])

    checkpoints = [
        entry.body
        for line in AuditSink(sink).lines("outage-matrix")
        if (entry := parse_entry(line.raw)) is not None and entry.kind == "checkpoint"
    ]
    assert [row["issue_key"] for row in checkpoints[-1]["breaches"]] == [key]

    sandbox.jira().issue(key).update(fields={"labels": ["outage", "escalator-ignore"]})  # exempted
    _, third = sweep(policies=[str(OUTAGE)], audit_sink=sink)
    (ended,) = [row for row in third if row["issue_key"] == key]
    assert (ended["outcome"], ended["breach"], ended["reason_code"]) == ("breach_ended", "ended", "exempt_label")
    _, fourth = sweep(policies=[str(OUTAGE)], audit_sink=sink)
    assert breach_rows(fourth, key) == []
    stored = [r for r in AuditSink(sink).records("outage-matrix") if r.issue_key == key]
    assert [(r.outcome, r.breach) for r in stored] == [
        ("deadline_breached", "started"),
        *([] if same_day else [("deadline_breached", "ongoing")]),
        ("breach_ended", "ended"),
    ]


def test_without_a_sink_prefect_keeps_the_open_breaches(sandbox: Sandbox, tmp_path: Path) -> None:
    policy = tmp_path / "breach-matrix.yaml"  # a name of its own: the register artifact is keyed by policy
    policy.write_text(OUTAGE.read_text().replace("name: outage-matrix", "name: breach-matrix", 1))
    key = overdue_issue(sandbox, "breach-matrix")
    first_day, first = sweep(policies=[str(policy)])
    assert breach_rows(first, key) == [("deadline_breached", "started")]
    with get_client(sync_client=True) as client:
        (register,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["escalator-breach-matrix-breaches"])), limit=1
        )
    assert [row["issue_key"] for row in json.loads(str(register.data))] == [key]
    second_day, second = sweep(policies=[str(policy)])
    same_day = first_day == second_day
    assert breach_rows(second, key) == ([] if same_day else [("deadline_breached", "ongoing")])
