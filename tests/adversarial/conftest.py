"""The adversarial suite's ground: a sandbox per test with a few issues, two small policies (``policies/``), and
the sweep flow run under Prefect's test harness, as in production.

The issues were created three days ago, L1's window is an hour and L2's thirty days, so what a sweep decides
does not depend on the second it runs: ``BASELINE`` is what a sweep does without any attack
(``test_jira_answers`` checks it), and each attack is judged against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

from escalator.cli.sweep import load_sweep_flow
from escalator.core.issue import STATE_PROPERTY_KEY
from escalator.jira import RetryPolicy
from escalator.jira.snapshot import REPORTER_FIELD, SYSTEM_FIELDS
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.settings import Mode
from jira_sandbox.testing import Sandbox, running_sandbox

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OPS = str(HERE / "policies" / "ops.yaml")
SUP = str(HERE / "policies" / "sup.yaml")
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05)
OPS_PAGES = r"project = OPS\b.*escalator\.state"
"""Matches the body of the OPS policy's page searches only (they ask for the state property; the preflight's
sample searches and counts do not): a fault rule with ``body=OPS_PAGES`` attacks those pages and nothing else."""

OPS_ISSUES = 4
SUP_ISSUES = 2
BASELINE = {"OPS": ("acc-alice", "High"), "SUP": ("acc-dave", "High")}
"""Without an attack, every issue of the suite is escalated to L1: (its L1 owner, the priority L1 sets)."""


def seeded_sandbox(mode: Mode = "cloud") -> Iterator[Sandbox]:
    """A sandbox with the demo organisation, four unassigned OPS issues and two SUP issues, three days old."""
    with running_sandbox(mode=mode, seed=0) as sandbox:
        created = datetime.now(UTC) - timedelta(days=3)
        for project, count in (("OPS", OPS_ISSUES), ("SUP", SUP_ISSUES)):
            for number in range(count):
                sandbox.add_issue(
                    project=project,
                    issuetype="Bug",
                    priority="Medium",
                    summary=f"{project} issue {number + 1}",
                    created=created + timedelta(minutes=number),
                    updated=created + timedelta(minutes=number),
                )
        yield sandbox


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A Cloud sandbox as above, with the sweep's environment pointing at it."""
    for running in seeded_sandbox("cloud"):
        point_at(running, monkeypatch)
        yield running


def point_at(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_URL", sandbox.url)
    monkeypatch.setenv("JIRA_EMAIL", sandbox.user)
    monkeypatch.setenv("JIRA_API_TOKEN", sandbox.token)
    monkeypatch.delenv("JIRA_PAT", raising=False)
    monkeypatch.delenv("ESCALATOR_AUDIT_SINK", raising=False)
    monkeypatch.chdir(ROOT)


def sweep(**params: Any) -> tuple[Any, list[dict[str, Any]]]:
    """One run of the sweep flow; its final state and its per-policy reports."""
    flow = load_sweep_flow()
    state = flow(SweepParameters(**{"retry": FAST_RETRY, **params}), return_state=True)
    data = state.result(raise_on_failure=False)
    return state, data if isinstance(data, list) else []


def artifact(state: Any, key: str) -> Any:
    with get_client(sync_client=True) as client:
        (found,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
                key=ArtifactFilterKey(any_=[key]),
            )
        )
    return found.data


def decision_rows(state: Any, policy: str) -> list[dict[str, Any]]:
    rows = json.loads(artifact(state, f"escalator-{policy}-decisions"))
    return [row for row in rows if row.get("issue_key") != "none"]


def escalated(state: Any, policy: str) -> dict[str, tuple[str | None, str | None]]:
    """The issues the run escalated in Jira for ``policy``, with the assignee and priority each got."""
    return {
        row["issue_key"]: (row["assignee_after"], row["priority_after"])
        for row in decision_rows(state, policy)
        if row["outcome"] == "applied"
    }


def in_jira(sandbox: Sandbox, keys: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """What Jira now says of ``keys``: assignee (accountId) and priority."""
    jira = sandbox.jira()
    result = {}
    for key in keys:
        fields = jira.issue(key, fields="assignee,priority").fields
        result[key] = (fields.assignee.accountId if fields.assignee else None, fields.priority.name)
    return result


def expected(keys: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """What the baseline does with ``keys``."""
    return {key: BASELINE[key.split("-")[0]] for key in keys}


def keys_of(sandbox: Sandbox, project: str) -> list[str]:
    found = sandbox.jira().search_issues(f"project = {project} ORDER BY key ASC", maxResults=False)
    return [issue.key for issue in found]


def search_answer(sandbox: Sandbox, jql: str) -> dict[str, Any]:
    """The raw answer of a search as the adapter sends it (the core's fields, the reporter as a backlog snapshot
    asks for it, the state property, the changelog inline)."""
    body = {
        "jql": jql,
        "maxResults": 100,
        "fields": [*SYSTEM_FIELDS, REPORTER_FIELD],
        "properties": [STATE_PROPERTY_KEY],
        "expand": "changelog" if sandbox.mode == "cloud" else ["changelog"],  # as the adapter sends it
    }
    path = "search/jql" if sandbox.mode == "cloud" else "search"
    response = requests.post(f"{sandbox.url}/rest/api/2/{path}", json=body, auth=sandbox.auth, timeout=10)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer
