"""The sweep against its lower bound and against the script most teams write first (issue 6). Prints numbers;
not a test, and not part of the test suite's timing.

For each N and workload it seeds a fresh sandbox (cloud mode, the demo organisation) with N issues, with a
fixed latency per request and per-second rate limits answered with 429 + ``Retry-After``, writes a policy whose
window is chosen against the seeded ages so that the asked share of open issues is due (``realistic``: windows of
hours to days by priority, run dry; issue 16), and runs, each in a
subprocess of its own on a fresh sandbox (so the sweep's peak RSS is its own and every run sees the same issues):

- ``flow``: the live sweep through the real flow (``flows/escalate.py:escalate``, the adapter, the sandbox over
  HTTP) against a ``prefect server`` on loopback, as a worker's flow run talks to one (``--ephemeral``: Prefect's
  ephemeral local API instead, as ``escalator run`` uses, whose process also loads the Prefect server's code,
  about 80 MB more), after a warm-up flow run that matches no issue;
- ``direct``: the same pipeline (preflight, pages, evaluate, merge, apply with the flow's concurrency) called
  without Prefect, for the share of wall time spent in orchestration;
- ``baseline``: the ``jira`` client script: search, then per issue ``assign_issue``, ``issue.update(priority)``,
  ``add_comment`` and ``add_issue_property``;
- ``sharded`` (with ``--postgres``): the sweep cut into shards by project (``all-matrices-sharded`` of
  ``prefect.yaml``) on two ``prefect worker`` processes, as the scale-out test runs it (``sharded_runner.py``).

Lower bound of a run, from the workload itself: max(search pages ÷ read limit, writes ÷ write limit) plus one
round trip, where search pages = ⌈open issues ÷ page size⌉ and writes = one per escalation.

Two times per flow run: *run* is from the call to the flow run's final state (what the Prefect UI shows as the
run's duration); *wall* is until the call returns, which in Prefect 3.9 is up to a second later, when the flow
engine joins its heartbeat thread (it sleeps in whole seconds; ``prefect.flow_engine._send_heartbeats``).

A second table gives each run's own CPU (the sweep process's, not the sandbox's), µs of it per issue read (also
by kind of thread: the search's readers, the main thread, the rest), the CPU the Prefect server used meanwhile on
the same machine, the sandbox's (this process's, every thread) per search page it served, and the machine's speed
around the run (``yardstick.py``: fixed work measured in the child before and after it, and the run's CPU per issue
in units of it, meant to stay put when the machine slows down); ``--profile FILE``
writes cProfile stats of the measured runs (``bench/read_profile.py`` splits the CPU per issue into decode,
snapshot and evaluate).

Run from the project root: ``make bench``, or ``uv run --frozen python bench/sweep_benchmark.py --sizes 1000,10000``.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any

from escalator.orchestration.postgres import running_postgres
from escalator.orchestration.server import running_prefect_server

WORKLOADS = {"first": 0.10, "steady": 0.001}  # share of open issues due: a first sweep, a sweep every 15 minutes
RUNNERS = ("flow", "direct", "baseline", "sharded")
OWNER = "acc-alice"
OWNER_NAME = "Alice Adams"  # what a hand-written script passes to assign_issue; the client looks the account up
LADDER = ["Lowest", "Low", "Medium", "High", "Highest"]

POLICY = """\
name: {name}
version: "1"
description: Benchmark policy; every open issue older than the window is due.
maintainers: [bench]
scope: {scope}
priorities: [Lowest, Low, Medium, High, Highest]
calendars:
  - name: always
    timezone: UTC
    working_days: [mon, tue, wed, thu, fri, sat, sun]
    working_hours: [{{start: "00:00", end: "24:00"}}]
default_calendar: always
max_escalations_per_run: 1000000
categories:
  - name: all
    description: Every open issue of the demo organisation.
    match: {{projects: [OPS, SUP, ENG]}}
    levels:
      - {{name: L1, window: {window}m, owners: [{owner}], priority: {{raise: 1}}}}
"""
SCOPE = "project in (OPS, SUP, ENG) AND statusCategory != Done"

# The headline workload (issue 16): windows of hours to days, by priority, over the demo backlog created across six
# weeks (``jira_sandbox.demo.DEMO_SPAN_DAYS``). Narrowing cuts only issues younger than the shortest window (4 h), so
# the sweep reads almost every open issue. Without the states that earlier sweeps would have left, most of the
# backlog is overdue; the run is a dry run, so it decides and records every escalation and writes none.
REALISTIC = "realistic"
REALISTIC_POLICY = """\
name: {name}
version: "1"
description: Benchmark policy with windows of hours to days by priority.
maintainers: [bench]
scope: {scope}
priorities: [Lowest, Low, Medium, High, Highest]
calendars:
  - name: always
    timezone: UTC
    working_days: [mon, tue, wed, thu, fri, sat, sun]
    working_hours: [{{start: "00:00", end: "24:00"}}]
default_calendar: always
max_escalations_per_run: 1000000
categories:
  - name: urgent
    match: {{projects: [OPS, SUP, ENG], priorities: [Highest]}}
    levels:
      - {{name: L1, window: 4h, owners: [acc-alice]}}
      - {{name: L2, window: 1d, owners: [acc-bob]}}
  - name: high
    match: {{projects: [OPS, SUP, ENG], priorities: [High]}}
    levels:
      - {{name: L1, window: 12h, owners: [acc-alice], priority: {{raise: 1}}}}
      - {{name: L2, window: 3d, owners: [acc-bob]}}
  - name: normal
    match: {{projects: [OPS, SUP, ENG]}}
    levels:
      - {{name: L1, window: 2d, owners: [acc-alice], priority: {{raise: 1}}}}
      - {{name: L2, window: 1w, owners: [acc-bob]}}
"""
DRY_RUN = "ESCALATOR_BENCH_DRY_RUN"
FULL_SCOPE = "ESCALATOR_BENCH_FULL_SCOPE"
PROFILE = "ESCALATOR_BENCH_PROFILE"
WARM_UP_SCOPE = SCOPE + ' AND created > "2999-01-01"'  # matches nothing: starts Prefect, touches every code path


@dataclass(frozen=True)
class Limits:
    latency_ms: int
    reads: int
    writes: int
    page_size: int


# --- the parent: sandboxes, policies, subprocesses, the table ----------------------------------------------------


def open_created(sandbox: Any) -> list[int]:
    """Creation times (ms) of the open issues, oldest first, read from the sandbox's store (not over HTTP)."""
    with sandbox.store.transaction() as db:
        rows = db.execute(
            "SELECT i.created FROM issues i JOIN statuses s ON s.id = i.status_id "
            "WHERE s.category != 'done' ORDER BY i.created"
        ).fetchall()
    return [int(row[0]) for row in rows]


def window_minutes(created: list[int], share: float) -> int:
    """A window (whole minutes) under which about ``share`` of the open issues are due (age ≥ window)."""
    due = max(1, round(share * len(created)))
    age_ms = time.time() * 1000 - created[due - 1]
    return max(1, int(age_ms // 60_000))


def run_case(
    runner: str, count: int, workload: str, limits: Limits, workdir: Path, server_pids: tuple[int, ...] = ()
) -> dict[str, Any]:
    """One runner on a fresh sandbox seeded with ``count`` issues; its own numbers plus the sandbox's counts."""
    from history_check import compare_plans  # bench/, the script's own folder

    from jira_sandbox.faults import FaultConfig
    from jira_sandbox.testing import running_sandbox

    faults = FaultConfig(
        latency_ms=limits.latency_ms,
        rate_limits={"GET": limits.reads, "POST": limits.reads, "PUT": limits.writes, "DELETE": limits.writes},
        retry_after=1,
    )
    with running_sandbox(mode="cloud", seed=count, faults=faults) as sandbox:
        created = open_created(sandbox)
        window = window_minutes(created, WORKLOADS.get(workload, WORKLOADS["steady"]))
        policy = workdir / f"bench-{runner}-{count}-{workload}-{window}.yaml"
        policy.write_text(workload_policy(workload, window))
        warm_up = workdir / "warm-up.yaml"
        warm_up.write_text(POLICY.format(name="bench-warm-up", scope=WARM_UP_SCOPE, window=window, owner=OWNER))
        if runner == "sharded":
            from sharded_runner import sharded_case  # bench/, the script's own folder

            result = sharded_case(sandbox, policy, limits.page_size, workdir, server_pids)
            result.update(open=len(created), window_min=window)
            return result
        plans = (
            compare_plans(sandbox.url, sandbox.user, sandbox.token, policy, limits.page_size)
            if runner == "flow"
            else None
        )
        env = {**os.environ, "JIRA_URL": sandbox.url, "JIRA_EMAIL": sandbox.user, "JIRA_API_TOKEN": sandbox.token}
        if workload == REALISTIC:
            env[DRY_RUN] = "1"
        env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        command = [sys.executable, __file__, "--child", runner, str(policy), str(warm_up), str(window)]
        command += [str(limits.page_size)]
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env) as child:
            assert child.stdin is not None and child.stdout is not None
            ready = child.stdout.readline().strip()
            if ready != "ready":
                child.kill()
                raise RuntimeError(f"{runner} child did not get ready: {ready!r}")
            sandbox.reset_requests()
            sandbox.update_faults()  # resets the rate-limit windows: the measured run starts with a full budget
            server_cpu, sandbox_cpu = tree_cpu(server_pids), time.process_time()
            child.stdin.write("go\n")
            child.stdin.flush()
            result: dict[str, Any] = json.loads(child.stdout.readline())
            result["server_cpu"] = tree_cpu(server_pids) - server_cpu  # the Prefect server's work for the run
            result["sandbox_cpu"] = time.process_time() - sandbox_cpu  # this process serves the sandbox meanwhile
            child.wait()
        counts = sandbox.request_counts()
        changelog_reads = sum(record.path.endswith("/changelog/bulkfetch") for record in sandbox.requests())
    if plans is not None:
        result["plans"] = plans
    result.update(
        changelog_reads=changelog_reads,
        open=len(created),
        window_min=window,
        search=counts.search,
        writes=counts.write,
        other=counts.other,
        total=counts.total,
        throttled=counts.by_status.get(429, 0),
    )
    return result


def workload_policy(workload: str, window: int) -> str:
    """The policy file of a workload: one window from the seeded ages, or the realistic windows of hours to days."""
    if workload == REALISTIC:
        return REALISTIC_POLICY.format(name="bench-sweep", scope=SCOPE)
    return POLICY.format(name="bench-sweep", scope=SCOPE, window=window, owner=OWNER)


def tree_cpu(pids: tuple[int, ...]) -> float:
    """CPU seconds (user + system) used so far by processes ``pids`` and their live descendants, from ``/proc``:
    the Prefect server's (and its PostgreSQL's) share of the machine during a run (0 without them, or off Linux)."""
    if not pids or not Path("/proc").is_dir():
        return 0.0
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        process = int(stat.parent.name)
        parents[process], ticks[process] = int(fields[1]), int(fields[11]) + int(fields[12])
    tree, grew = set(pids), True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(ticks.get(process, 0) for process in tree) / os.sysconf("SC_CLK_TCK")


def lower_bound(result: dict[str, Any], limits: Limits) -> float:
    """max(search pages ÷ read limit, escalations ÷ write limit) + one round trip, with search pages for every open
    issue in scope (what a sweep that cannot narrow its search reads)."""
    pages = math.ceil(int(result["open"]) / limits.page_size)
    writes = 0 if result.get("dry_run") else int(result["escalations"])
    return max(pages / limits.reads, writes / limits.writes) + limits.latency_ms / 1000


def report(rows: list[dict[str, Any]], limits: Limits) -> str:
    """The results as a markdown table, one row per N and workload."""
    head = (
        "| N | workload | open | due (share) | flow run s | flow wall s | bound s | ratio run | ratio wall | search "
        "| writes | other | 429s | RSS MB | direct s | orchestration | baseline s | baseline requests | baseline 429s "
        "| fewer requests | less time |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows:
        flow, direct, base = row["flow"], row.get("direct"), row.get("baseline")
        bound = lower_bound(flow, limits)
        share = flow["escalations"] / max(1, flow["open"])
        run = flow.get("run", flow["wall"])
        orchestration = f"{(run - direct['wall']) / run:.0%}" if direct else "–"
        cells = [
            f"{row['n']:,}",
            row["workload"],
            f"{flow['open']:,}",
            f"{flow['escalations']:,} ({share:.2%})",
            f"{run:.1f}",
            f"{flow['wall']:.1f}",
            f"{bound:.2f}",
            f"{run / bound:.2f}",
            f"{flow['wall'] / bound:.2f}",
            f"{flow['search']:,}",
            f"{flow['writes']:,}",
            f"{flow['other']:,}",
            f"{flow['throttled']:,}",
            f"{flow['maxrss_kb'] / 1024:.0f}",
            f"{direct['wall']:.1f}" if direct else "–",
            orchestration,
            f"{base['wall']:.1f}" if base else "–",
            f"{base['total']:,}" if base else "–",
            f"{base['throttled']:,}" if base else "–",
            f"{base['total'] / flow['total']:.1f}×" if base else "–",
            f"{base['wall'] / run:.1f}×" if base else "–",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def history_report(rows: list[dict[str, Any]]) -> str:
    """The changelog read where it can change a decision, per row: the flow run's bulk changelog requests, and the
    plan check (``history_check.py``) of the selective read against every issue's whole changelog."""
    lines = [
        "| N | workload | histories needed | bulkfetch requests (flow run) | whole-changelog requests | same plan |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        flow, plans = row["flow"], row["flow"].get("plans", {})
        cells = [
            f"{row['n']:,}",
            row["workload"],
            f"{plans.get('histories_needed', 0):,} of {plans.get('issues', 0):,}",
            f"{flow['changelog_reads']:,}",
            f"{plans.get('whole_history_requests', 0):,}",
            "yes" if plans.get("same_plan") else f"NO: {plans.get('differences')}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated issue counts (default 1000,10000)")
    parser.add_argument(
        "--workloads",
        default="first,steady",
        help="first (~10%% due), steady (~0.1%% due), realistic (windows of 4 h to 1 w by priority; a dry run)",
    )
    parser.add_argument(
        "--runners",
        default="flow,direct,baseline",
        help="flow, direct (no Prefect), baseline (jira), sharded (two prefect workers; needs --postgres)",
    )
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument("--read-limit", type=int, default=100, help="GET and POST requests per second")
    parser.add_argument("--write-limit", type=int, default=50, help="PUT and DELETE requests per second")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument(
        "--full-scope", action="store_true", help="sweep with narrow_scope off: read every open issue in scope"
    )
    parser.add_argument(
        "--ephemeral",
        action="store_true",
        help="run the flow on Prefect's ephemeral API (as `escalator run` does) instead of a `prefect server`",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="run the `prefect server` on PostgreSQL (as the README recommends for production) instead of SQLite",
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="profile the measured run's main thread with cProfile: stats in FILE.flow and FILE.direct",
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    limits = Limits(args.latency_ms, args.read_limit, args.write_limit, args.page_size)
    if args.full_scope:
        os.environ[FULL_SCOPE] = "1"  # read by the children, which inherit the environment
    unknown = set(args.workloads.split(",")) - {*WORKLOADS, REALISTIC}
    if unknown:
        parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    if args.profile:
        os.environ[PROFILE] = str(args.profile.resolve())  # read by the children
    runners = [name for name in RUNNERS if name in args.runners.split(",")]
    if "flow" not in runners and "sharded" not in runners:
        parser.error("the flow runner is what is measured; keep it in --runners (or run the sharded one)")
    if "sharded" in runners and (args.ephemeral or not args.postgres):
        parser.error("the sharded runner runs on workers of a `prefect server` on PostgreSQL: add --postgres")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="escalator-bench-") as tmp, ExitStack() as stack:
        server_pids: tuple[int, ...] = ()
        if not args.ephemeral:  # as deployments run: a worker's flow run talks to a Prefect server
            postgres = stack.enter_context(running_postgres()) if args.postgres else None
            database = postgres.database_url if postgres else None
            server = stack.enter_context(running_prefect_server(Path(tmp) / "prefect", database_url=database))
            os.environ["PREFECT_API_URL"] = server.api_url  # the children inherit it
            server_pids = (server.pid, postgres.pid) if postgres else (server.pid,)
            if "sharded" in runners:
                from sharded_runner import HOME_ENV, deploy  # bench/, the script's own folder

                os.environ[HOME_ENV] = str(server.home)
                deploy(server.home, server.api_url)
        for count in (int(size.replace("_", "")) for size in args.sizes.split(",")):
            for workload in args.workloads.split(","):
                row: dict[str, Any] = {"n": count, "workload": workload}
                for runner in runners:
                    started = time.perf_counter()
                    row[runner] = run_case(runner, count, workload, limits, Path(tmp), server_pids)
                    print(
                        f"N={count:,} {workload} {runner}: {json.dumps(row[runner])} "
                        f"({time.perf_counter() - started:.0f} s with seeding)",
                        flush=True,
                    )
                rows.append(row)
    if args.json:
        args.json.write_text(json.dumps({"limits": limits.__dict__, "rows": rows}, indent=2))
    print()
    on = " on PostgreSQL" if args.postgres else " on SQLite"
    print("Prefect:", "ephemeral API" if args.ephemeral else f"a local `prefect server`{on}")
    print(
        f"latency {limits.latency_ms} ms, {limits.reads} reads/s (GET, POST each), {limits.writes} writes/s "
        f"(PUT, DELETE each), page size {limits.page_size}"
    )
    measured = [row for row in rows if "flow" in row]
    if measured:
        print(report(measured, limits))
        print()
        print(history_report(measured))
        print()
    if any("flow" in row or "direct" in row for row in rows):
        print(cpu_report(rows))
    if any("sharded" in row for row in rows):
        from sharded_runner import sharded_report  # bench/, the script's own folder

        print()
        print(sharded_report(rows, limits, lower_bound))


def cpu_report(rows: list[dict[str, Any]]) -> str:
    """The sweep process's own CPU (user + system, all threads; not the sandbox's), µs of it per issue read, split
    by kind of thread (``ThreadCpu``), the CPU the Prefect server (and its PostgreSQL under ``--postgres``) used
    meanwhile on the same machine, and the machine's speed before and after the run (``yardstick.py``)."""
    head = (
        "| N | workload | runner | issues read | wall s | CPU s | CPU µs per issue | CPU share of wall "
        "| readers / main / other threads µs per issue | Prefect server CPU s | sandbox CPU s "
        "| sandbox ms per search page | yardstick µs before / after | CPU per issue ÷ yardstick |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows:
        for runner in ("flow", "direct"):
            result = row.get(runner)
            if not result or "cpu" not in result:
                continue
            read = int(result["evaluated"] or 0)
            per_issue = f"{result['cpu'] / read * 1e6:.0f}" if read else "–"
            wall = result.get("run", result["wall"])
            cells = [f"{row['n']:,}", row["workload"], runner, f"{read:,}", f"{wall:.1f}", f"{result['cpu']:.2f}"]
            server = f"{result['server_cpu']:.2f}" if "server_cpu" in result else "–"
            sandbox = [f"{result['sandbox_cpu']:.2f}", f"{result['sandbox_cpu'] / max(1, result['search']) * 1000:.1f}"]
            by_thread = result.get("cpu_by_thread")
            split = " / ".join(f"{by_thread[kind] / read * 1e6:.0f}" for kind in ThreadCpu.KINDS) if read else "–"
            cells += [per_issue, f"{result['cpu'] / wall:.0%}", split if by_thread else "–", server, *sandbox]
            yardstick = result.get("yardstick_us")
            cells += (
                [" / ".join(f"{us:.2f}" for us in yardstick), f"{result['cpu'] / read * 1e6 / mean(yardstick):.1f}"]
                if yardstick and read
                else ["–", "–"]
            )
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- the children: one run each, timed between "go" and the end -------------------------------------------------


def child(runner: str, policy: str, warm_up: str, window: str, page_size: str) -> None:
    from yardstick import yardstick_us  # bench/, the script's own folder

    run = {"flow": flow_child, "direct": direct_child, "baseline": baseline_child}[runner]
    before = yardstick_us()  # the machine's speed around the run, in this process (not in the measured time)
    result = run(Path(policy), Path(warm_up), int(window), int(page_size))
    result["yardstick_us"] = [before, yardstick_us()]
    result["maxrss_kb"] = peak_rss_kb()
    print(json.dumps(result), flush=True)


def peak_rss_kb() -> int:
    """This process's peak RSS. Not ``getrusage``: a child's ``ru_maxrss`` starts from its parent's peak at fork
    (the sandbox holding N issues), whereas ``VmHWM`` belongs to the image the child ``exec``-ed."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


def sweep_parameters(**values: Any) -> Any:
    """The sweep's parameters as the flow would get them, with narrowing off under ``--full-scope`` and a dry run
    for the realistic workload."""
    from escalator.sweep.parameters import SweepParameters

    narrow, dry_run = os.environ.get(FULL_SCOPE) != "1", os.environ.get(DRY_RUN) == "1"
    return SweepParameters(narrow_scope=narrow, dry_run=dry_run, **values)


class ThreadCpu:
    """The measured run's CPU by kind of thread: ``readers`` (``partitioned_pages``' pumps: each search page's
    HTTP, decode and snapshot), ``main`` (the flow or the pipeline: evaluation, histories, writes, Prefect's task
    engine) and ``other`` (Prefect's event loop, log and event workers; the preflight and apply pools). A thread
    that ends is timed as it ends (``Thread.run`` wrapped); one still running at the end, or already running at the
    start, from ``/proc`` (Linux; elsewhere those count nothing)."""

    KINDS = ("readers", "main", "other")

    def __init__(self) -> None:
        self.ended = dict.fromkeys(self.KINDS, 0.0)
        self.lock = threading.Lock()
        self.before = self.proc()
        self.main = time.thread_time()
        run = threading.Thread.run
        meter = self

        def timed(thread: threading.Thread) -> None:
            try:
                run(thread)
            finally:
                spent = time.thread_time() - meter.before.pop(thread.native_id or 0, 0.0)
                with meter.lock:
                    meter.ended[meter.kind(thread.name)] += spent

        threading.Thread.run = timed  # type: ignore[method-assign]
        self.restore = lambda: setattr(threading.Thread, "run", run)

    @staticmethod
    def kind(name: str) -> str:
        return "readers" if name.endswith("(pump)") else "main" if name == "MainThread" else "other"

    @staticmethod
    def proc() -> dict[int, float]:
        """CPU seconds of each of this process's threads so far, by native id."""
        spent: dict[int, float] = {}
        tasks = Path("/proc/self/task")
        for task in tasks.iterdir() if tasks.is_dir() else ():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            spent[int(task.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return spent

    def result(self) -> dict[str, float]:
        self.restore()
        spent = dict(self.ended, main=time.thread_time() - self.main)
        now = self.proc()
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and thread.native_id in now:
                spent[self.kind(thread.name)] += now[thread.native_id] - self.before.get(thread.native_id, 0.0)
        return spent


def wait_for_go() -> None:
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no go")


def flow_child(policy: Path, warm_up: Path, window: int, page_size: int) -> dict[str, Any]:
    from escalator.cli.sweep import load_sweep_flow
    from escalator.sweep.parameters import SweepParameters

    sweep = load_sweep_flow()
    state = sweep(SweepParameters(policies=[str(warm_up)]), return_state=True)  # starts the local Prefect API
    assert state.is_completed(), state.message
    params = sweep_parameters(policies=[str(policy)], page_size=page_size)
    wait_for_go()
    profile = os.environ.get(PROFILE)
    profiler = cProfile.Profile() if profile else None
    threads = ThreadCpu()
    started, started_at, cpu = time.perf_counter(), time.time(), time.process_time()
    state = sweep(params, return_state=True) if profiler is None else profiler.runcall(sweep, params, return_state=True)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    by_thread = threads.result()
    if profiler is not None and profile is not None:
        profiler.dump_stats(f"{profile}.flow")
    (data,) = state.result(raise_on_failure=False)
    return {
        "wall": wall,
        "cpu": cpu,
        "cpu_by_thread": by_thread,
        "dry_run": params.dry_run,
        "run": state.timestamp.timestamp() - started_at,  # until the run's final state: see flow_run_seconds
        "state": state.type.value,
        "evaluated": data["evaluated"],
        "escalations": data["escalations"],
        "applied": data["applied"],
        "failed": data["failed"],
    }


def direct_child(policy: Path, warm_up: Path, window: int, page_size: int) -> dict[str, Any]:
    """The flow's pipeline without Prefect: same adapter, evaluation, writer and apply concurrency."""
    from datetime import UTC, datetime

    from escalator.audit.record import RunInfo
    from escalator.authoring.files import load_policies
    from escalator.core import evaluate, merge_plans
    from escalator.jira.adapter import JiraAdapter
    from escalator.jira.settings import JiraSettings
    from escalator.sweep.apply import DryRunWriter, Writer, apply_decisions
    from escalator.sweep.heap import sweep_collector
    from escalator.sweep.histories import with_histories
    from escalator.sweep.jira_writer import JiraWriter

    params = sweep_parameters(page_size=page_size)
    wait_for_go()
    profile = os.environ.get(PROFILE)
    profiler = cProfile.Profile() if profile else None
    threads = ThreadCpu()
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    (loaded,) = load_policies([policy])
    with (
        sweep_collector(),
        JiraAdapter.connect(
            JiraSettings.from_env(),
            reads_per_second=params.reads_per_second,
            writes_per_second=params.writes_per_second,
        ) as jira,
    ):
        jql = params.search_jql(loaded.policy)
        check = jira.preflight(loaded.policy, jql=jql)
        inactive = check.inactive_users
        now = datetime.now(UTC)
        parts, evaluated = [], 0
        partitions = params.partitions_for(check.scope_count)
        slices = params.slices_for(check.scope_count)
        pages = jira.policy_pages(
            loaded.policy, jql=jql, page_size=page_size, partitions=partitions, slices=slices, changelog=False
        )
        while batch := list(itertools.islice(pages, params.pages_per_batch)):  # as the flow's fetch-issues task
            issues, _ = with_histories(jira, batch, loaded.policy, now)
            evaluated += len(issues)
            parts.append(evaluate(issues, loaded.policy, now, inactive_users=inactive, keep=frozenset()))
        plan = merge_plans(parts, loaded.policy)
        writer: Writer = DryRunWriter() if params.dry_run else JiraWriter(jira, RunInfo())
        outcomes = apply_decisions(plan.decisions, writer, concurrency=params.apply_concurrency)
    if profiler:
        profiler.disable()
        profiler.dump_stats(f"{profile}.direct")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "wall": wall,
        "cpu": cpu,
        "cpu_by_thread": threads.result(),
        "dry_run": params.dry_run,
        "evaluated": evaluated,
        "escalations": len(plan.escalations),
        "applied": sum(o.status == "applied" for o in outcomes),
        "failed": sum(o.status == "failed" for o in outcomes),
    }


def baseline_child(policy: Path, warm_up: Path, window: int, page_size: int) -> dict[str, Any]:
    """The script most teams write first: search for what is overdue, then four calls per issue."""
    from jira import JIRA

    wait_for_go()
    started = time.perf_counter()
    client = JIRA(server=os.environ["JIRA_URL"], basic_auth=(os.environ["JIRA_EMAIL"], os.environ["JIRA_API_TOKEN"]))
    jql = f'{SCOPE} AND created <= "-{window}m" ORDER BY key'
    issues = client.search_issues(jql, maxResults=False, fields="priority,assignee")
    applied = 0
    for issue in issues:
        client.assign_issue(issue.key, OWNER_NAME)
        current = issue.fields.priority.name if issue.fields.priority else "Medium"
        raised = LADDER[min(LADDER.index(current) + 1, len(LADDER) - 1)] if current in LADDER else current
        issue.update(priority={"name": raised})
        client.add_comment(issue.key, f"Escalated to L1: {OWNER} owns this issue now (benchmark baseline).")
        client.add_issue_property(issue.key, "escalator", {"level": "L1", "at": time.time()})
        applied += 1
    return {"wall": time.perf_counter() - started, "evaluated": None, "escalations": len(issues), "applied": applied}


if __name__ == "__main__":
    main()
