"""The sharded parent against the Prefect API (test harness): it refuses project keys Jira does not have before
starting anything; a shard run that has not started by the sweep's deadline is cancelled and reported
unfinished; a finished one is reported with its state and report. (The whole fan-out on real workers is in
test_deploy.py.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prefect import flow, get_client
from prefect.artifacts import create_table_artifact
from prefect.states import Scheduled

from escalator.sharding.shards import REPORT_KEY, ShardReport, project_shards, sharded_verdict
from tasks.shards import await_shard

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = str(ROOT / "policies" / "outage.yaml")


@flow(name="escalate")
def shard_stand_in(shard_name: str) -> None:
    """Publishes a shard report as the real shard flow does (the sweep itself is tested in test_sweep.py)."""
    report = ShardReport(
        shard=shard_name,
        policy="p",
        version="1",
        evaluated=3,
        escalations=1,
        applied=1,
        dry_run=0,
        failed=0,
        over_budget=0,
        data_problems=0,
        worker=None,
        host="here",
    )
    create_table_artifact(table=[report.model_dump(mode="json")], key=REPORT_KEY)


def test_a_shard_not_started_by_the_deadline_is_cancelled_and_a_finished_one_reported() -> None:
    waiting, done = project_shards(["OPS"])
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow(shard_stand_in)
        never_picked_up = client.create_flow_run(shard_stand_in, parameters={"shard_name": "x"}, state=Scheduled())
        assert flow_id == never_picked_up.flow_id
    state = shard_stand_in(done.name, return_state=True)
    assert state.is_completed()

    late = await_shard.fn(waiting, str(never_picked_up.id), never_picked_up.name, deadline=time.time() - 1)
    assert late.state == "UNFINISHED" and "cancelled before it started" in (late.message or "")
    with get_client(sync_client=True) as client:
        cancelled = client.read_flow_run(never_picked_up.id).state
    assert cancelled is not None and cancelled.is_cancelled(), "it can no longer start with stale parameters"

    finished = await_shard.fn(done, str(state.state_details.flow_run_id), "run", deadline=time.time() + 60)
    assert finished.succeeded and [r.shard for r in finished.reports] == ["rest"]
    ok, message = sharded_verdict([late, finished])
    assert not ok and message.startswith("1 of 2 shards did not complete: project-ops unfinished")


def test_the_parent_refuses_projects_jira_does_not_have_before_starting_any_shard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from escalator.sharding.shards import ShardedSweepParameters
    from flows.escalate_sharded import escalate_sharded
    from jira_sandbox.testing import running_sandbox

    with running_sandbox(mode="cloud", seed="demo") as sandbox:
        monkeypatch.setenv("JIRA_URL", sandbox.url)
        monkeypatch.setenv("JIRA_EMAIL", sandbox.user)
        monkeypatch.setenv("JIRA_API_TOKEN", sandbox.token)
        monkeypatch.chdir(ROOT)
        params = ShardedSweepParameters(
            projects=["OPS", "NOPE", "SUP"], shard_deployment="escalate/does-not-exist", sweep={"policies": [OUTAGE]}
        )
        state = escalate_sharded(params, return_state=True)
        writes = sandbox.request_counts().write
    assert state.is_failed()
    assert state.message == "not in Jira, or not visible to escalator: project NOPE; no shard was started"
    assert writes == 0
