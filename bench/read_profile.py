"""The sweep's own CPU per issue read, by stage: decode (JSON bytes to objects, checking the JSON types the core
reads on the way: ``page_schema``), snapshot (``read_page``: the other checks and ``IssueSnapshot``s) and evaluate
(the pure core as a sweep runs it, under the benchmark's steady and realistic policies), on the search pages a
sandbox answered (issue 16, item 3).

The pages are fetched once over HTTP from a sandbox seeded with N issues (cloud mode, the demo organisation, no
latency, no limits) and kept as bytes; then each stage runs on them alone, in this process, with nothing else
in it running, so the numbers are the sweep's CPU and not the sandbox's. ``--profile FILE`` also writes a
cProfile of the three stages. Prints numbers; not a test.

Run from the project root: ``uv run --frozen python bench/read_profile.py --size 20000``.
"""

from __future__ import annotations

import argparse
import cProfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson


def fetch_pages(size: int, page_size: int, changelog: bool) -> tuple[list[bytes], str | None]:
    """Every page of the scope's search as the sandbox sent it (bytes), and escalator's account there."""
    import requests

    from escalator.jira.adapter import JiraAdapter
    from escalator.jira.settings import JiraSettings
    from escalator.jira.snapshot import SYSTEM_FIELDS
    from jira_sandbox.testing import running_sandbox

    pages: list[bytes] = []
    with running_sandbox(mode="cloud", seed=size) as sandbox:
        settings = JiraSettings.from_env(
            {"JIRA_URL": sandbox.url, "JIRA_EMAIL": sandbox.user, "JIRA_API_TOKEN": sandbox.token}
        )
        with JiraAdapter.connect(settings) as jira:
            acting_user = jira.current_user()
        body: dict[str, Any] = {
            "jql": "project in (OPS, SUP, ENG) AND statusCategory != Done",
            "maxResults": page_size,
            "fields": list(SYSTEM_FIELDS),
            "properties": ["escalator.state"],
        }
        if changelog:  # the sweep reads pages without it since issue 16 item 2
            body["expand"] = "changelog"
        with requests.Session() as session:
            session.auth = (sandbox.user, sandbox.token)
            token = None
            while True:
                request = body if token is None else {**body, "nextPageToken": token}
                answer = session.post(f"{sandbox.url}/rest/api/3/search/jql", json=request, timeout=60)
                answer.raise_for_status()
                pages.append(answer.content)
                token = orjson.loads(answer.content).get("nextPageToken")
                if not token:
                    break
    return pages, acting_user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20_000, help="issues seeded (about 80%% of them open)")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each stage; the fastest is reported")
    parser.add_argument("--changelog", action="store_true", help="pages with the changelog inline, as before issue 16")
    parser.add_argument("--profile", type=Path, help="also write a cProfile of one run of the stages here")
    args = parser.parse_args()

    from sweep_benchmark import POLICY, REALISTIC_POLICY, SCOPE
    from yardstick import yardstick_us

    from escalator.authoring.files import load_policy_bytes
    from escalator.core import evaluate
    from escalator.jira.page_schema import page_parser
    from escalator.jira.pages import read_page
    from escalator.jira.state_seal import StateSeal
    from escalator.sweep.heap import sweep_collector

    started = time.perf_counter()
    raw, acting_user = fetch_pages(args.size, args.page_size, args.changelog)
    print(f"fetched {len(raw)} pages in {time.perf_counter() - started:.1f} s")
    seal, now = StateSeal(), datetime.now(UTC)
    SWEEP: frozenset[str] = frozenset()  # evaluate as a sweep does: keep what is recorded, count the rest
    policies = {  # the benchmark's: one window of 41 days (almost nothing due), and windows of hours to days
        "steady": POLICY.format(name="bench-steady", scope=SCOPE, window=41 * 24 * 60, owner="acc-alice"),
        "realistic": REALISTIC_POLICY.format(name="bench-realistic", scope=SCOPE),
    }
    loaded = {
        name: load_policy_bytes(text.encode(), f"{name}.yaml", Path(f"{name}.yaml")).policy
        for name, text in policies.items()
    }

    def fastest(stage: Callable[[], Any]) -> float:
        """The least CPU of ``--repeat`` runs, with the garbage collector as a sweep has it (``sweep_collector``)."""
        best = float("inf")
        with sweep_collector():
            for _ in range(args.repeat):
                cpu = time.process_time()
                stage()
                best = min(best, time.process_time() - cpu)
        return best

    parse = page_parser("cloud")  # as the sweep parses a search page: the JSON types the core reads checked

    def decode() -> list[Any]:
        return [parse(page) for page in raw]

    answers = decode()

    def snapshot() -> list[Any]:
        return [read_page(answer, "cloud", (), acting_user, seal) for answer in answers]

    pages = snapshot()
    issues = sum(len(page.issues) for page in pages)
    timings = {"decode": fastest(decode), "snapshot": fastest(snapshot)}
    due = {}
    for name, policy in loaded.items():
        due[name] = sum(len(evaluate(page.issues, policy, now).escalations) for page in pages)
        timings[f"evaluate {name}"] = fastest(
            lambda policy=policy: [evaluate(p.issues, policy, now, keep=SWEEP) for p in pages]
        )
    print(f"{issues:,} issues read; due: {due}; CPU, the fastest of {args.repeat} runs:")
    print(f"  {'yardstick':<18} {'':9} {yardstick_us():6.2f} µs per issue of fixed work (the machine's speed now)")
    for name, seconds in timings.items():
        print(f"  {name:<18} {seconds:6.2f} s  {seconds / issues * 1e6:6.1f} µs per issue")
    for name in loaded:
        total = timings["decode"] + timings["snapshot"] + timings[f"evaluate {name}"]
        print(f"  {'total ' + name:<18} {total:6.2f} s  {total / issues * 1e6:6.1f} µs per issue")
    if args.profile:
        policy = loaded["steady"]
        profiler = cProfile.Profile()
        profiler.runcall(
            lambda: [
                evaluate(read_page(parse(r), "cloud", (), acting_user, seal).issues, policy, now, keep=SWEEP)
                for r in raw
            ]
        )
        profiler.dump_stats(args.profile)
        print(f"profile of the three stages (steady policy) written to {args.profile}")


if __name__ == "__main__":
    main()
