"""`prefect deploy --all` against a real local Prefect server, as the README tells an operator to do it.

One server per module (SQLite in a temporary PREFECT_HOME, loopback, a free port): create the process work
pool and deploy with the CLI, then read what the server stored through the client. Costs ~30-40 s on two
cores, most of it the server's start; deselect with ``-m "not deploy"``.
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

from escalator.deployments import read_deployments, sweeps
from escalator.prefect_server import PrefectServer, running_prefect_server

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
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    with running_prefect_server(tmp_path_factory.mktemp("prefect-home")) as started:
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
            spec.name: client.read_deployment_by_name(
                f"{'escalate' if spec.is_sweep else 'policy-preview'}/{spec.name}"
            )
            for spec in read_deployments()
        }


def test_every_deployment_is_created_with_its_schedule_and_time_zone(deployed: dict[str, Any]) -> None:
    assert set(deployed) == {"outage-matrix", "support-matrix", "policy-preview"}
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


def test_sweeps_never_overlap_and_parameters_are_enforced(deployed: dict[str, Any]) -> None:
    assert deployed["policy-preview"].enforce_parameter_schema is True
    for name, stored in deployed.items():
        if name == "policy-preview":
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
