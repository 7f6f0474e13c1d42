"""A busy issue's older human change is respected: the sweep reads its pages without the changelog and the whole
changelog of the issues that need it, where Jira Cloud's search embeds only the 40 newest histories (the sandbox
cuts it the same way), so reading the changelog inline would miss a person's change behind 45 newer ones.

Through the real flow (Prefect's test harness), the adapter and the sandbox over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalator.authoring.files import load_policies
from escalator.cli.sweep import load_sweep_flow
from escalator.core import evaluate
from escalator.jira.adapter import JiraAdapter
from escalator.jira.settings import JiraSettings
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import Sandbox
from tests.conftest import demo_jira, example_version

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = ROOT / "policies" / "outage.yaml"
ESCALATOR = "acc-admin"  # the sandbox's administrator: the account escalator sweeps with here


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with demo_jira(monkeypatch) as running:
        yield running


def busy_outage(sandbox: Sandbox, now: datetime) -> str:
    """An outage escalated to L1 three hours ago (state and escalator's change), which a person then reassigned away
    and back 20 minutes ago, followed by 45 status changes: L2 (a 1h window) is due by escalator's clock, not since
    the person's change."""
    escalated = now - timedelta(hours=3)
    human = now - timedelta(minutes=20)
    changes: list[dict[str, Any]] = [
        {
            "author": ESCALATOR,
            "created": escalated,
            "items": [
                {"field": "assignee", "from": None, "to": "acc-alice"},
                {"field": "priority", "from": "Medium", "to": "High"},
                {"field": "labels", "fromString": "outage", "toString": "escalated-l1 outage"},
            ],
        },
        {
            "author": "acc-bob",
            "created": human,
            "items": [{"field": "assignee", "from": "acc-alice", "to": "acc-carol"}],
        },
        {
            "author": "acc-bob",
            "created": human + timedelta(seconds=30),
            "items": [{"field": "assignee", "from": "acc-carol", "to": "acc-alice"}],
        },
    ]
    for number in range(45):
        status = ("In Progress", "To Do")[number % 2]
        at = human + timedelta(minutes=1, seconds=20 * number)
        changes.append({"author": "acc-alice", "created": at, "items": [{"field": "status", "to": status}]})
    state = {
        "policy": "outage-matrix",
        "policy_version": example_version("outage"),
        "category": "outage",
        "level": "L1",
        "level_index": 1,
        "at": escalated.isoformat(),
        "first_at": escalated.isoformat(),
        "assignee_set": "acc-alice",
        "priority_set": "High",
    }
    return sandbox.add_issue(
        project="OPS",
        issuetype="Incident",
        status="To Do",
        priority="High",
        assignee="acc-alice",
        labels=["outage", "escalated-l1"],
        created=now - timedelta(days=1),
        properties={"escalator.state": state},
        changelog=changes,
    )


def test_an_older_human_change_on_a_busy_issue_is_respected(sandbox: Sandbox) -> None:
    now = datetime.now(UTC)
    key = busy_outage(sandbox, now)
    (policy,) = (loaded.policy for loaded in load_policies([OUTAGE]))

    # Read inline, as Cloud embeds it: the person's change is not among the newest 40 histories.
    with JiraAdapter.connect(JiraSettings.from_env()) as jira:
        jira.acting_user = ESCALATOR
        (page,) = jira.search_pages(f"key = {key}", custom_fields=policy.fields_read())
        (inline,) = evaluate(page.issues, policy, now).decisions
    assert inline.outcome == "escalate"  # what reading the changelog inline would have done

    sandbox.reset_requests()
    state = load_sweep_flow()(SweepParameters(policies=[str(OUTAGE)]), return_state=True)
    assert state.is_completed(), state.message
    (report,) = state.result()
    assert report["escalations"] > 0  # the demo's other outages are escalated as usual
    assert key not in {outcome["issue_key"] for outcome in report["outcomes"]}
    issue = sandbox.jira().issue(key)
    assert issue.fields.assignee.accountId == "acc-alice"
    assert not [comment for comment in sandbox.jira().comments(key) if "Policy: " in comment.body]
    bulk = [record for record in sandbox.requests() if record.path.endswith("/changelog/bulkfetch")]
    assert len(bulk) == 1  # one request for every issue that needed its history
    searched = [record for record in sandbox.requests() if record.path.endswith("/search/jql")]
    assert searched  # pages read without the changelog: tests/jira/test_changelogs.py
