"""The tasks of a sharded sweep: a shard reports what it did; the parent launches shards, waits for them, reads
their reports back and publishes one summary."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid

from prefect import get_client, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from prefect.deployments import run_deployment
from prefect.states import Cancelled

from escalator.jira.adapter import JiraAdapter
from escalator.jira.settings import JiraSettings
from escalator.orchestration.limits import delete_allowances, ensure_limits
from escalator.sharding.shards import REPORT_KEY, Shard, ShardOutcome, ShardReport
from escalator.sweep.parameters import SweepParameters
from escalator.sweep.report import SweepReport

SUMMARY_KEY = "escalator-sharded-summary"


@task(name="publish-shard-report", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_shard_report(reports: list[SweepReport], shard: Shard) -> None:
    """One row per policy, with the worker and host that ran it (the process worker names itself in
    ``PREFECT__WORKER_NAME`` for the runs it starts)."""
    worker, host = os.environ.get("PREFECT__WORKER_NAME"), socket.gethostname()
    rows = [ShardReport.of(report, shard.name, worker, host).model_dump(mode="json") for report in reports]
    create_table_artifact(table=rows, key=REPORT_KEY, description=f"Shard {shard.name}: `{shard.jql}`")


@task(name="check-projects", cache_policy=NO_CACHE)
def missing_projects(settings: JiraSettings, keys: list[str]) -> list[str]:
    """The shards' project keys Jira does not know: a shard of one would fail, and so would ``rest``, whose
    ``project not in (...)`` names it too."""
    with JiraAdapter.connect(settings) as jira:
        return jira.missing_projects(keys)


@task(name="create-allowances", cache_policy=NO_CACHE)
def create_blast_radius_allowances(limits: dict[str, int]) -> None:
    """Each policy's ``max_escalations_per_run`` as a limit its shards take their escalations from."""
    ensure_limits(limits)


@task(name="delete-allowances", cache_policy=NO_CACHE)
def delete_blast_radius_allowances(names: list[str]) -> None:
    delete_allowances(names)


@task(name="launch-shard", cache_policy=NO_CACHE)
def launch_shard(deployment: str, params: SweepParameters, shard: Shard, parent_run_id: str) -> tuple[str, str]:
    """Create the shard's flow run (a worker picks it up) and return at once: its id and name. The idempotency
    key makes a retried parent find the run it already created instead of starting the shard twice."""
    run = run_deployment(
        name=deployment,
        parameters={"params": params.model_dump(mode="json"), "shard": shard.model_dump(mode="json")},
        timeout=0,
        idempotency_key=f"{parent_run_id}:{shard.name}",
        tags=["escalator", f"shard:{shard.name}"],
        as_subflow=True,
    )
    return str(run.id), run.name


@task(name="await-shard", cache_policy=NO_CACHE)
def await_shard(shard: Shard, flow_run_id: str, flow_run_name: str, deadline: float) -> ShardOutcome:
    """Wait until the shard's run ends or the sweep's ``deadline`` (epoch seconds) passes, then read its report
    artifact. A run that has not started by the deadline is cancelled, so it cannot start later with stale
    parameters; one already running goes on, under its own concurrency limit, and is reported as unfinished."""
    run_id = uuid.UUID(flow_run_id)
    with get_client(sync_client=True) as client:
        while (state := client.read_flow_run(run_id).state) is None or not state.is_final():
            if time.time() > deadline:
                message = f"still {state.name if state else 'not created'} at the sweep's deadline"
                if state is None or state.is_scheduled() or state.is_pending():
                    client.set_flow_run_state(
                        run_id, Cancelled(message="the sharded sweep's deadline passed"), force=True
                    )
                    message += "; cancelled before it started"
                return ShardOutcome(
                    shard=shard,
                    flow_run_id=flow_run_id,
                    flow_run_name=flow_run_name,
                    state="UNFINISHED",
                    message=message,
                )
            time.sleep(2)
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]), key=ArtifactFilterKey(any_=[REPORT_KEY])
            ),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    reports: list[ShardReport] = []
    for artifact in artifacts:
        rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
        reports = [ShardReport.model_validate(row) for row in rows or []]
    return ShardOutcome(
        shard=shard,
        flow_run_id=flow_run_id,
        flow_run_name=flow_run_name,
        state=state.type.value,
        message=state.message,
        reports=reports,
    )


@task(name="publish-sharded-summary", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_sharded_summary(markdown: str) -> None:
    create_markdown_artifact(markdown=markdown, key=SUMMARY_KEY, description="Sharded escalation sweep: every shard")
