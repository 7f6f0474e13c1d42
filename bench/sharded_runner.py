"""The benchmark's ``sharded`` runner (issue 16, item 7): the sweep cut into shards by project and run on two Prefect
workers, as the scale-out test runs it (``tests/flows/test_deploy.py``), against a ``prefect server`` on PostgreSQL.

Set-up, once per benchmark command: the process work pool ``escalator-process`` and ``prefect deploy --all`` (this
checkout's ``prefect.yaml``). Per case, on the case's freshly seeded sandbox: the unsharded reference (every issue
in scope with its whole changelog, read once, kept in memory), then two ``prefect worker start`` processes
(``worker-a``, ``worker-b``; at most three runs each, so the parent and the four shards of OPS, SUP, ENG and "rest"
all run at once), then one run of ``all-matrices-sharded`` with the benchmark's policy, timed until its final state.
Measured meanwhile: the CPU of each worker with its flow-run processes (the reaped ones through the worker's
``cutime``), the Prefect server's and PostgreSQL's, the sandbox's (this process), and each worker's peak RSS (the
largest ``VmHWM`` of its flow-run processes, sampled every 0.2 s). The plan check evaluates the reference, restricted
to each shard's projects, at the instant that shard evaluated (its decision records' ``evaluated_at``), and compares
its escalations with what the shard recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
POOL = "escalator-process"
PARENT_DEPLOYMENT = "escalate-sharded/all-matrices-sharded"
PROJECTS = ["OPS", "SUP", "ENG"]
WORKERS = ("worker-a", "worker-b")
RUNS_PER_WORKER = 3  # the parent and four shards at once on two workers
SAMPLE_SECONDS = 0.2
HOME_ENV = "ESCALATOR_BENCH_PREFECT_HOME"  # the server's PREFECT_HOME, set by the benchmark for the workers


def prefect_env(home: Path, api_url: str) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": api_url, "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("ESCALATOR_HOME", None)  # each worker resolves it at run time (prefect.yaml's pull step)
    return env


def deploy(home: Path, api_url: str) -> None:
    """The operator's two commands: the process work pool, then every deployment of ``prefect.yaml``."""
    for args in (["work-pool", "create", POOL, "--type", "process"], ["--no-prompt", "deploy", "--all"]):
        done = subprocess.run(
            [sys.executable, "-m", "prefect", *args],
            cwd=ROOT,
            env=prefect_env(home, api_url),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def proc_stat(pid: int) -> tuple[int, list[str]] | None:
    """(parent pid, the fields after the command name) of a live process; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), fields


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        found = proc_stat(int(entry.name))
        if found is not None:
            parents[int(entry.name)] = found[0]
    tree, grew = {root}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree - {root}


def worker_cpu(pid: int) -> float:
    """CPU seconds of a worker: its own, its reaped children's (``cutime``/``cstime``: finished flow runs) and its
    live descendants'."""
    ticks = 0
    own = proc_stat(pid)
    if own is not None:
        ticks += sum(int(own[1][index]) for index in (11, 12, 13, 14))
    for child in descendants(pid):
        found = proc_stat(child)
        if found is not None:
            ticks += int(found[1][11]) + int(found[1][12])
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextmanager
def running_workers(env: dict[str, str], logs: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Two ``prefect worker start`` processes on the pool, as an operator starts one on each machine."""
    workers: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in WORKERS:
            command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", name]
            with (logs / f"{name}.log").open("wb") as log:
                workers[name] = subprocess.Popen(
                    [*command, "--limit", str(RUNS_PER_WORKER)],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        yield workers
    finally:
        for worker in workers.values():
            worker.terminate()
        for worker in workers.values():
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()


def unsharded_reference(sandbox: Any, policy_path: Path, page_size: int) -> tuple[Any, list[Any], frozenset[str]]:
    """The policy and every issue in its scope with its whole changelog, read once before the sharded run."""
    from history_check import whole_history_issues

    from escalator.authoring.files import load_policies
    from escalator.jira.adapter import JiraAdapter
    from escalator.jira.settings import JiraSettings

    (loaded,) = load_policies([policy_path])
    settings = JiraSettings.model_validate({"url": sandbox.url, "email": sandbox.user, "api_token": sandbox.token})
    with JiraAdapter.connect(settings) as jira:
        inactive = jira.preflight(loaded.policy, writes=False).inactive_users
        pages = list(jira.policy_pages(loaded.policy, page_size=page_size, changelog=False))
        whole, _, _ = whole_history_issues(jira, pages)
    return loaded.policy, whole, frozenset(inactive)


def sharded_case(
    sandbox: Any, policy_path: Path, page_size: int, workdir: Path, server_pids: tuple[int, ...]
) -> dict[str, Any]:
    """One sharded sweep on two workers against the running server; its numbers and the plan check."""
    from prefect.client.orchestration import get_client
    from sweep_benchmark import FULL_SCOPE, tree_cpu

    home, api_url = Path(os.environ[HOME_ENV]), os.environ["PREFECT_API_URL"]
    policy, whole, inactive = unsharded_reference(sandbox, policy_path, page_size)
    sink = workdir / f"audit-{time.time_ns()}"
    env = {
        **prefect_env(home, api_url),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "ESCALATOR_HOME": str(ROOT),
        "ESCALATOR_AUDIT_SINK": str(sink),
        "JIRA_URL": sandbox.url,
        "JIRA_EMAIL": sandbox.user,
        "JIRA_API_TOKEN": sandbox.token,
    }
    parameters = {
        "params": {
            "projects": PROJECTS,
            "sweep": {
                "policies": [str(policy_path)],
                "require_clean_policy": False,  # the benchmark's policy is a file it wrote
                "narrow_scope": os.environ.get(FULL_SCOPE) != "1",
                "page_size": page_size,
            },
        }
    }
    with running_workers(env, workdir) as workers, get_client(sync_client=True) as client:
        deadline = time.monotonic() + 120
        while {w.name for w in client.read_workers_for_work_pool(POOL)} != set(WORKERS):
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not come online in 2 minutes")
            time.sleep(0.5)
        deployment = client.read_deployment_by_name(PARENT_DEPLOYMENT)
        sandbox.reset_requests()
        sandbox.update_faults()  # a full rate-limit budget for the measured run
        cpu_before = {name: worker_cpu(w.pid) for name, w in workers.items()}
        server_before, sandbox_before = tree_cpu(server_pids), time.process_time()
        peaks: dict[str, dict[int, int]] = {name: {} for name in workers}
        started = time.time()
        parent = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
        while not (run := client.read_flow_run(parent.id)).state or not run.state.is_final():
            if time.time() - started > 1800:
                raise RuntimeError("the sharded sweep did not finish in 30 minutes")
            for name, worker in workers.items():
                for pid in descendants(worker.pid):
                    peaks[name][pid] = max(peaks[name].get(pid, 0), peak_rss_kb(pid))
            time.sleep(SAMPLE_SECONDS)
        wall = time.time() - started
        sandbox_cpu, server_cpu = time.process_time() - sandbox_before, tree_cpu(server_pids) - server_before
        time.sleep(3)  # the flow-run processes exit and are reaped: their CPU moves into the worker's cutime
        cpu = {name: worker_cpu(w.pid) - cpu_before[name] for name, w in workers.items()}
        assert run.state is not None
        children = client.read_flow_runs(
            flow_run_filter=_children_filter(parent.id),
        )
        reports = [row for child in children for row in _shard_reports(client, child.id)]
        runs = {
            child.name: {
                "state": child.state.type.value if child.state else None,
                "run s": (child.end_time - child.start_time).total_seconds()
                if child.end_time and child.start_time
                else None,
            }
            for child in children
        }
        state, message = run.state.type.value, run.state.message
        own_rss = {name: peak_rss_kb(w.pid) for name, w in workers.items()}
        parent_run = (run.end_time - run.start_time).total_seconds() if run.end_time and run.start_time else None
    counts = sandbox.request_counts()
    check = plan_check(policy, whole, inactive, sink, end=started + wall)
    return {
        "wall": wall,
        "run": wall,
        "parent_run": parent_run,
        "state": state,
        "message": message,
        "shard_runs": runs,
        "evaluated": sum(r.evaluated for r in reports),
        "escalations": sum(r.escalations for r in reports),
        "applied": sum(r.applied for r in reports),
        "failed": sum(r.failed for r in reports),
        "workers_used": sorted({str(r.worker) for r in reports}),
        "worker_cpu": cpu,
        "worker_peak_rss_kb": {name: max(found.values(), default=0) for name, found in peaks.items()},
        "worker_own_peak_rss_kb": own_rss,
        "server_cpu": server_cpu,
        "sandbox_cpu": sandbox_cpu,
        "search_requests": counts.search,
        "plan": check,
    }


def _children_filter(parent_id: Any) -> Any:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    return FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id]))


def _shard_reports(client: Any, flow_run_id: Any) -> list[Any]:
    """The rows of a shard run's report artifact (as the scale-out test reads them)."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    from escalator.sharding.shards import REPORT_KEY, ShardReport

    artifacts = client.read_artifacts(
        artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]), key=ArtifactFilterKey(any_=[REPORT_KEY])
        )
    )
    rows = []
    for artifact in artifacts:
        data = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
        rows += [ShardReport.model_validate(row) for row in data]
    return rows


def plan_check(policy: Any, whole: list[Any], inactive: frozenset[str], sink: Path, end: float) -> dict[str, Any]:
    """Each shard's recorded escalations against the unsharded plan of the same issues at the same instant."""
    from datetime import UTC, datetime

    from escalator.audit.sink import AuditSink
    from escalator.core import evaluate
    from escalator.sharding.shards import project_shards

    audit = AuditSink(str(sink))
    recorded: dict[str, list[Any]] = {}
    for chain in audit.policies():  # policy@shard
        recorded[chain.split("@", 1)[1]] = [r for r in audit.records(chain)]
    listed = set(PROJECTS)
    differences: list[str] = []
    expected_total = 0
    for shard in project_shards(PROJECTS):
        key = shard.name.removeprefix("project-").upper() if shard.name != "rest" else None
        mine = [i for i in whole if (i.key.split("-")[0] == key if key else i.key.split("-")[0] not in listed)]
        records = recorded.get(shard.name, [])
        instants = {r.evaluated_at for r in records}
        if len(instants) > 1:
            differences.append(f"{shard.name}: records of {len(instants)} instants")
        now = next(iter(instants)) if instants else datetime.fromtimestamp(end, UTC)
        plan = evaluate(mine, policy, now, inactive_users=inactive)
        want = {(d.issue_key, d.to_level) for d in plan.escalations}
        got = {(r.issue_key, r.to_level) for r in records if r.decision == "escalate"}
        expected_total += len(want)
        if want != got:
            differences.append(f"{shard.name}: {len(want - got)} missing, {len(got - want)} extra")
    return {"same_plan": not differences, "differences": differences, "expected_escalations": expected_total}


def sharded_report(rows: list[dict[str, Any]], limits: Any, bound: Callable[[dict[str, Any], Any], float]) -> str:
    """The sharded runs as a markdown table: time against the bound, CPU of the workers, the server and the sandbox,
    each worker's peak RSS, and the plan check."""
    head = (
        "| N | workload | open | issues read | escalations (applied) | wall s | parent run s | bound s | ratio "
        "| shard runs s | search pages | worker CPU s (a / b) | Prefect server + PostgreSQL CPU s | sandbox CPU s "
        "| peak RSS MB of a flow run per worker (a / b) | worker's own peak RSS MB (a / b) | same plan as unsharded |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows:
        result = row.get("sharded")
        if not result:
            continue
        lower = bound(result, limits)
        cpu = result["worker_cpu"]
        rss = result["worker_peak_rss_kb"]
        plan = result["plan"]
        cells = [
            f"{row['n']:,}",
            row["workload"],
            f"{result['open']:,}",
            f"{result['evaluated']:,}",
            f"{result['escalations']:,} ({result['applied']:,})",
            f"{result['wall']:.1f}",
            f"{result['parent_run']:.1f}" if result["parent_run"] else "–",
            f"{lower:.2f}",
            f"{result['wall'] / lower:.2f}",
            ", ".join(f"{run['run s']:.1f}" for run in result["shard_runs"].values() if run["run s"] is not None),
            f"{result['search_requests']:,}",
            " / ".join(f"{cpu[name]:.1f}" for name in WORKERS),
            f"{result['server_cpu']:.1f}",
            f"{result['sandbox_cpu']:.1f}",
            " / ".join(f"{rss[name] / 1024:.0f}" for name in WORKERS),
            " / ".join(f"{result['worker_own_peak_rss_kb'][name] / 1024:.0f}" for name in WORKERS),
            "yes" if plan["same_plan"] else f"NO: {'; '.join(plan['differences'])}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
