"""Attacks on the ``escalator.state`` property, each through the real sweep against the sandbox over HTTP: any Jira
user who may edit an issue may write it. Each attack ends with the victim recorded as a data problem (or its state
rebuilt from escalator's own changelog entries), every other issue escalated exactly as without the attack, and
the run completed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

from escalator.cli.sweep import load_sweep_flow
from escalator.jira import RetryPolicy
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import Sandbox
from tests.conftest import demo_jira, example_version

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = str(ROOT / "policies" / "outage.yaml")
STATE_KEY = "k" * 40
FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=0.4)


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with demo_jira(monkeypatch) as running:
        yield running


def sweep(**params: Any) -> tuple[Any, dict[str, Any]]:
    state = load_sweep_flow()(SweepParameters(policies=[OUTAGE], retry=FAST_RETRY, **params), return_state=True)
    (report,) = state.result(raise_on_failure=False)
    return state, report


def rows(state: Any) -> list[dict[str, Any]]:
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
                key=ArtifactFilterKey(any_=["escalator-outage-matrix-decisions"]),
            )
        )
    return json.loads(str(artifact.data))


def escalated(report: dict[str, Any]) -> dict[str, str]:
    return {o["issue_key"]: o["status"] for o in report["outcomes"]}


def problem_of(state: Any, key: str) -> str:
    (row,) = [r for r in rows(state) if r["issue_key"] == key and r["outcome"] == "data_problem"]
    return str(row["reason"])


def property_url(sandbox: Sandbox, key: str) -> str:
    return f"{sandbox.url}/rest/api/2/issue/{key}/properties/escalator.state"


def write_state(sandbox: Sandbox, key: str, value: Any) -> None:
    """What any user with edit permission can do (here with the sandbox's credentials)."""
    requests.put(property_url(sandbox, key), json=value, auth=sandbox.auth, timeout=10).raise_for_status()


def read_state(sandbox: Sandbox, key: str) -> Any:
    answer = requests.get(property_url(sandbox, key), auth=sandbox.auth, timeout=10)
    answer.raise_for_status()
    return answer.json()["value"]


def delete_state(sandbox: Sandbox, key: str) -> None:
    requests.delete(property_url(sandbox, key), auth=sandbox.auth, timeout=10).raise_for_status()


GENUINE = {
    "policy": "outage-matrix",
    "policy_version": example_version("outage"),
    "category": "outage",
    "level": "L1",
    "level_index": 1,
    "assignee_set": "acc-alice",
}


@pytest.mark.parametrize(
    ("attack", "forged", "expected"),
    [
        (
            "at in the year 1",
            {**GENUINE, "at": "0001-01-01T00:00:00+00:00", "first_at": "0001-01-01T00:00:00+00:00"},
            "times are impossible",
        ),
        (
            "first_at in the year 9999",
            {**GENUINE, "at": "9999-12-31T00:00:00+00:00", "first_at": "9999-12-31T00:00:00+00:00"},
            "times are impossible",
        ),
        (
            "at in the future: a cooldown for ever",
            {**GENUINE, "at": "2099-01-01T00:00:00+00:00", "first_at": "2099-01-01T00:00:00+00:00"},
            "times are impossible",
        ),
        ("a schema from the future", {**GENUINE, "schema_version": 99, "at": "2026-01-01T00:00:00+00:00"}, "99"),
    ],
)
def test_a_forged_state_costs_its_issue_alone(
    sandbox: Sandbox, attack: str, forged: dict[str, Any], expected: str
) -> None:
    _, dry = sweep(dry_run=True)
    plan = escalated(dry)
    victim = sorted(plan)[0]
    write_state(sandbox, victim, {"first_at": forged.get("at"), **forged})
    state, live = sweep()
    assert state.is_completed(), (attack, state.message)
    assert set(escalated(live)) == set(plan)  # the victim too: escalator never changed it, so it is due as before
    assert all(status == "applied" for status in escalated(live).values())
    reason = problem_of(state, victim)
    assert expected in reason and "never escalated" in reason, reason
    assert live["data_problems"] == 1


def test_a_deleted_state_after_l1_l2_and_l3_is_rebuilt_never_sent_back(sandbox: Sandbox) -> None:
    first_state, first = sweep()
    levels = {r["issue_key"]: r["to_level"] for r in rows(first_state) if r["outcome"] == "applied"}
    victims = {level: next(key for key, to in sorted(levels.items()) if to == level) for level in ("L1", "L2", "L3")}
    for key in victims.values():
        delete_state(sandbox, key)
    state, second = sweep()
    assert state.is_completed(), state.message
    assert not set(escalated(second)) & set(victims.values())  # none of them escalated again
    decisions = {r["issue_key"]: r for r in rows(state) if r["outcome"] == "data_problem"}
    for level, key in victims.items():
        reason = decisions[key]["reason"]
        assert "state is missing" in reason and f"{level} of " in reason, (level, reason)
    assert second["data_problems"] == len(victims)
    assert escalated(first)  # the first sweep did escalate


def test_with_a_state_key_states_are_sealed_and_forgeries_refused(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALATOR_STATE_KEY", STATE_KEY)
    _, first = sweep()
    applied = sorted(escalated(first))
    sealed = read_state(sandbox, applied[0])
    assert set(sealed) == {"v", "kid", "payload", "mac"} and STATE_KEY not in json.dumps(sealed)

    top, foreign, copied = applied[1], applied[2], applied[3]
    payload = json.loads(sealed["payload"])
    write_state(sandbox, top, {**sealed, "payload": json.dumps({**payload, "level": "L3", "level_index": 3})})
    write_state(sandbox, foreign, {**payload, "policy": "someone-elses"})  # unsigned, while a key is set
    write_state(sandbox, copied, sealed)  # a genuine seal, from another issue
    state, second = sweep()
    assert state.is_completed(), state.message
    assert "MAC does not verify" in problem_of(state, top)
    assert "not signed" in problem_of(state, foreign)
    assert "MAC does not verify" in problem_of(state, copied)
    assert not set(escalated(second)) & {top, foreign, copied}  # rebuilt from escalator's own changes: not due
    assert second["data_problems"] == 3


def test_a_foreign_policy_state_without_a_key_is_left_to_that_policy_on_the_record(sandbox: Sandbox) -> None:
    """Unsigned, a state naming another policy cannot be told from a real one: the issue stays quiet, and the
    decision saying why is in the summary's counts."""
    _, dry = sweep(dry_run=True)
    victim = sorted(escalated(dry))[0]
    write_state(
        sandbox,
        victim,
        {
            **GENUINE,
            "policy": "someone-elses",
            "at": "2026-11-20T00:00:00+00:00",
            "first_at": "2026-11-20T00:00:00+00:00",
        },
    )
    state, live = sweep()
    assert state.is_completed()
    assert victim not in escalated(live)
    assert set(escalated(live)) == set(escalated(dry)) - {victim}
