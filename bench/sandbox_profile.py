"""Where the sandbox's CPU goes while it serves a sweep (issue 16, item 6). Prints numbers; not a test.

The sweep benchmark (``sweep_benchmark.py``) runs the sandbox in its own process, beside the sweep, on the same
cores: when the sandbox spends more CPU per page than the sweep, it is the sandbox that is measured. This script
seeds a sandbox as the benchmark does (cloud mode, the demo organisation, N issues, strict mode, 30 ms latency,
per-second rate limits), runs the benchmark's ``direct`` child against it (the sweep's pipeline without Prefect:
preflight, pages without the changelog, ``changelog/bulkfetch`` where a history can change a decision, the
writes) and reports:

1. **live**: the sandbox process's CPU (user + system, every thread: uvicorn's loop, the thread pool that runs
   the routes, HTTP parsing, the middleware) from "go" to the child's answer, per search page and per request;
2. **replay**: every read request of that run (each ``search/jql`` page by its own ``nextPageToken``, the
   ``bulkfetch`` requests, the preflight's reads), sent again to the same app in this thread through ASGI
   (``httpx.ASGITransport``, with the routes run inline instead of in the thread pool, so one cProfile sees the
   whole request), without latency or rate limits: CPU per request kind, and the functions that take it
   (``--profile FILE`` keeps the stats).

Without ``--warm`` every page of the live run is rendered afresh, as in the benchmark's ``direct`` case; with it, the
scope is first read as the ``flow`` case reads it before its measured run (``history_check.compare_plans``), so the
live run's searches reuse the matches and rendered issues the sandbox kept (``search_results.py``,
``render_cache.py``). The replay's requests carry another URL base, so its pages are always rendered afresh.

Run from the project root: ``uv run --frozen python bench/sandbox_profile.py --size 100000``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import sweep_benchmark  # noqa: E402  (bench/, the script's own folder)


@dataclass(frozen=True)
class Captured:
    method: str
    path: str
    query: str
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def kind(self) -> str:
        if self.path.endswith("/search/jql"):
            return "search/jql page"
        if self.path.endswith("/changelog/bulkfetch"):
            return "changelog/bulkfetch"
        return f"other {self.method}"


class Capture:
    """ASGI middleware, outermost: keeps each REST request (method, path, query, headers, body) as it arrived."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[Captured] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(bytes(m.get("body", b"")) for m in messages if m["type"] == "http.request")
        query = bytes(scope.get("query_string", b"")).decode("latin-1")
        self.requests.append(Captured(scope["method"], scope["path"], query, list(scope["headers"]), body))
        pending = list(messages)

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        await self.app(scope, replay, send)


def run_live(
    size: int, limits: sweep_benchmark.Limits, workdir: Path, warm: bool = False
) -> tuple[Any, Capture, dict[str, Any]]:
    """Seed, serve, run the ``direct`` child; the sandbox's CPU from "go" to the answer, and what it was sent.
    ``warm``: first read the scope as the benchmark's ``flow`` case does before its measured run (``compare_plans``),
    so the searches find what the sandbox keeps from earlier reads (``render_cache``, ``search_results``)."""
    from jira_sandbox.app import build_runtime, create_app
    from jira_sandbox.faults import FaultConfig
    from jira_sandbox.server import SandboxServer
    from jira_sandbox.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_TOKEN, SandboxSettings
    from jira_sandbox.store import Store
    from jira_sandbox.testing import Sandbox, sandbox_seed

    faults = FaultConfig(
        latency_ms=limits.latency_ms,
        rate_limits={"GET": limits.reads, "POST": limits.reads, "PUT": limits.writes, "DELETE": limits.writes},
        retry_after=1,
    )
    settings = SandboxSettings(
        mode="cloud", admin_email=DEFAULT_ADMIN_EMAIL, admin_token=DEFAULT_ADMIN_TOKEN, strict=True
    )  # as `running_sandbox` starts it for the benchmark
    runtime = build_runtime(settings, Store(":memory:"), faults)
    started = time.perf_counter()
    sandbox_seed(runtime, size)
    print(f"seeded {size:,} issues in {time.perf_counter() - started:.0f} s", flush=True)
    capture = Capture(create_app(runtime))
    server = SandboxServer(capture)  # type: ignore[arg-type]  # any ASGI app serves
    server.start_in_background()
    sandbox = Sandbox(server.url, DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_TOKEN, "cloud", runtime)
    created = sweep_benchmark.open_created(sandbox)
    window = sweep_benchmark.window_minutes(created, sweep_benchmark.WORKLOADS["steady"])
    policy = workdir / "bench-sandbox.yaml"
    policy.write_text(sweep_benchmark.workload_policy("steady", window))
    if warm:
        from history_check import compare_plans  # bench/, the script's own folder

        compare_plans(sandbox.url, sandbox.user, sandbox.token, policy, limits.page_size)
    env = {**os.environ, "JIRA_URL": sandbox.url, "JIRA_EMAIL": sandbox.user, "JIRA_API_TOKEN": sandbox.token}
    env[sweep_benchmark.FULL_SCOPE] = "1"
    command = [sys.executable, sweep_benchmark.__file__, "--child", "direct", str(policy), str(policy), str(window)]
    command += [str(limits.page_size)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env) as child:
        assert child.stdin is not None and child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            child.kill()
            raise RuntimeError("the direct child did not get ready")
        sandbox.reset_requests()
        sandbox.update_faults()
        capture.requests.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        child.stdin.write("go\n")
        child.stdin.flush()
        result: dict[str, Any] = json.loads(child.stdout.readline())
        result["sandbox_cpu"] = time.process_time() - cpu  # this process is the sandbox: every thread of it
        result["sandbox_wall"] = time.perf_counter() - wall
        child.wait()
    counts = sandbox.request_counts()
    result.update(open=len(created), search=counts.search, total=counts.total, throttled=counts.by_status.get(429, 0))
    return (server, capture, result)


def replay(app: ASGIApp, requests: list[Captured], profile: cProfile.Profile) -> dict[str, list[float]]:
    """Each read request sent again to ``app`` in this thread; CPU seconds of each, by kind."""
    import fastapi.dependencies.utils
    import fastapi.routing
    import httpx

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:  # the routes in this thread, for one profile
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = inline  # type: ignore[assignment]
    fastapi.dependencies.utils.run_in_threadpool = inline  # type: ignore[assignment]
    spent: dict[str, list[float]] = defaultdict(list)

    async def send_all() -> None:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for request in requests:
                if request.method not in ("GET", "POST") or request.kind.startswith("other POST"):
                    continue  # writes (and notify) change the store: only reads are replayed
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers]
                headers = [(k, v) for k, v in headers if k.lower() not in ("host", "content-length")]
                url = request.path + (f"?{request.query}" if request.query else "")
                cpu = time.process_time()
                profile.enable()
                answer = await client.request(request.method, url, content=request.body, headers=headers)
                profile.disable()
                spent[request.kind].append(time.process_time() - cpu)
                if answer.status_code != 200:
                    raise RuntimeError(f"replayed {request.method} {request.path} answered {answer.status_code}")

    asyncio.run(send_all())
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument("--read-limit", type=int, default=100)
    parser.add_argument("--write-limit", type=int, default=50)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--top", type=int, default=25, help="functions listed from the replay's profile")
    parser.add_argument("--profile", type=Path, help="write the replay's cProfile stats here")
    parser.add_argument(
        "--warm", action="store_true", help="read the scope first, as the benchmark's flow case does before its run"
    )
    args = parser.parse_args()
    limits = sweep_benchmark.Limits(args.latency_ms, args.read_limit, args.write_limit, args.page_size)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="escalator-sandbox-profile-") as tmp:
        server, capture, live = run_live(args.size, limits, Path(tmp), args.warm)
        try:
            from jira_sandbox.faults import FaultConfig

            app: Any = capture.app
            app.state.runtime.faults.configure(FaultConfig())  # the replay measures CPU: no latency, no 429s
            profile = cProfile.Profile()
            spent = replay(app, list(capture.requests), profile)
        finally:
            server.stop()
    pages = live["search"]
    print(
        f"\nlive, N={args.size:,} steady full scope, direct runner{' after a first read' if args.warm else ''}: "
        f"{live['evaluated']:,} issues read, "
        f"{live['total']:,} requests ({pages:,} search pages, {live['throttled']:,} answered 429) in "
        f"{live['sandbox_wall']:.1f} s; sweep CPU {live['cpu']:.2f} s; sandbox CPU {live['sandbox_cpu']:.2f} s = "
        f"{live['sandbox_cpu'] / max(1, pages) * 1000:.1f} ms per search page, "
        f"{live['sandbox_cpu'] / max(1, live['total']) * 1000:.1f} ms per request"
    )
    print("\nreplay in one thread, no latency or rate limits:\n")
    print("| request | count | CPU s | ms each (mean) | ms each (median) |")
    print("|---|---|---|---|---|")
    for kind, times in sorted(spent.items()):
        ordered = sorted(times)
        cells = [kind, f"{len(times):,}", f"{sum(times):.2f}", f"{sum(times) / len(times) * 1000:.2f}"]
        print("| " + " | ".join([*cells, f"{ordered[len(ordered) // 2] * 1000:.2f}"]) + " |")
    if args.profile:
        profile.dump_stats(str(args.profile))
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top + 15)
    print(out.getvalue())


if __name__ == "__main__":
    main()
